"""Is the MLflow tracking server there? Asked once, quickly, with an answer a person can act on.

MLflow's own client retries a server that does not answer for about four minutes
and then reports a connection-pool error; the pipeline asks first, and asks
again after a failure, so an outage is named as one.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from workflows.domain.errors import PipelineError

PROBE_TIMEOUT = 5.0


class TrackingUnreachableError(PipelineError):
    """The tracking server named by MLFLOW_TRACKING_URI does not answer."""


def unreachable_reason(tracking_uri: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why the server at `tracking_uri` cannot be reached, or None when it answers.

    Only HTTP(S) servers are asked: a SQLite or database URI has no server to
    be down. Any HTTP answer, even an error status, means something is there.
    """
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(f"{tracking_uri.rstrip('/')}/health", timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None
    except urllib.error.URLError as err:
        return str(err.reason)
    except (OSError, ValueError) as err:  # timeouts, resets, malformed URLs
        return str(err) or type(err).__name__


def unreachable_error(tracking_uri: str, reason: str) -> TrackingUnreachableError:
    return TrackingUnreachableError(
        f"cannot reach the MLflow tracking server at {tracking_uri} "
        f"(set by MLFLOW_TRACKING_URI): {reason}; check that the server is running and "
        "that the URL, port and network path are right, or unset MLFLOW_TRACKING_URI "
        "to use the local store in .mlflow/"
    )


def require_reachable(tracking_uri: str) -> None:
    reason = unreachable_reason(tracking_uri)
    if reason is not None:
        raise unreachable_error(tracking_uri, reason)


def explain(err: BaseException, tracking_uri: str) -> BaseException:
    """`err` itself, or, when the tracking server no longer answers, the outage it stands for."""
    if isinstance(err, PipelineError):
        return err
    reason = unreachable_reason(tracking_uri)
    return err if reason is None else unreachable_error(tracking_uri, reason)
