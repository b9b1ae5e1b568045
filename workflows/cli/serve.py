"""`python -m workflows serve [--domain D] [--port P] [--server pyfunc|mlflow]` (make serve):
serve `@<domain>` over HTTP until Ctrl-C or SIGTERM (then the requests in flight finish).

pyfunc (default): this project's app on uvicorn, following the alias
(workflows/serving/app.py); with --model-version N, that version fixed (what the
serving Deployment in the cluster runs). mlflow: `mlflow models serve` on the
version the alias points at, fixed. Limits (each also an environment variable):
--max-body-mb (SERVE_MAX_BODY_MB, 10), --header-seconds (SERVE_HEADER_SECONDS, 10),
--body-seconds (SERVE_BODY_SECONDS, 30), --keep-alive-seconds (SERVE_KEEP_ALIVE_SECONDS,
5), --drain-seconds (SERVE_DRAIN_SECONDS, 30).
Exit 0 when stopped, 2 when it cannot start (settings, no model, port taken),
1 when the model is refused or the scoring server fails.
"""

from __future__ import annotations

import argparse
import os
import sys

from workflows import serving
from workflows.cli.refusal import INVALID, REFUSED, refuse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--domain",
        default=os.environ.get("DOMAIN") or "development",
        help="serve the model @<domain> points at (DOMAIN; default: %(default)s)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=serving.DEFAULT_PORT, help="port (default: %(default)s)"
    )
    parser.add_argument(
        "--server",
        choices=serving.SERVERS,
        default="pyfunc",
        help="pyfunc: in this process, follows the alias (default); "
        "mlflow: `mlflow models serve` on the alias's version, fixed",
    )
    parser.add_argument("--workers", type=int, default=1, help="mlflow server only")
    parser.add_argument(
        "--poll",
        type=_positive_seconds,
        default=os.environ.get("SERVE_POLL_SECONDS") or str(serving.DEFAULT_POLL_SECONDS),
        help="pyfunc: seconds between looks at the alias (SERVE_POLL_SECONDS)",
    )

    parser.add_argument(
        "--model-version", default="", help="pyfunc: serve this version fixed, not the alias"
    )
    for flag, env, default in _LIMITS:
        parser.add_argument(
            f"--{flag}", type=_positive, default=os.environ.get(env) or str(default), help=env
        )


_LIMITS = (
    ("max-body-mb", "SERVE_MAX_BODY_MB", 10),
    ("header-seconds", "SERVE_HEADER_SECONDS", 10),
    ("body-seconds", "SERVE_BODY_SECONDS", 30),
    ("keep-alive-seconds", "SERVE_KEEP_ALIVE_SECONDS", 5),
    ("drain-seconds", "SERVE_DRAIN_SECONDS", 30),
)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:  # `not` also refuses NaN
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


_positive_seconds = _positive


def limits(args: argparse.Namespace):
    from workflows.serving.app import MB, Limits

    return Limits(
        max_body_bytes=int(args.max_body_mb * MB),
        header_seconds=args.header_seconds,
        body_seconds=args.body_seconds,
        keep_alive_seconds=args.keep_alive_seconds,
        drain_seconds=args.drain_seconds,
    )


def run(args: argparse.Namespace) -> int:
    from workflows.gateways.tracking import TrackingUnreachableError, require_reachable
    from workflows.serving import launcher
    from workflows.serving.errors import HostingError
    from workflows.settings import Settings, SettingsError

    launcher.stop_on_signals()
    try:
        settings = Settings.from_env({**os.environ, "DOMAIN": args.domain})
        require_reachable(settings.tracking_uri)
        if args.server == "pyfunc":
            launcher.serve_in_process(
                settings, args.host, args.port, args.poll, limits(args), args.model_version or None
            )
            return _stopped()
        verified = launcher.verify(settings, settings.domain)
    except (SettingsError, launcher.ServeError, TrackingUnreachableError, HostingError) as err:
        return refuse(err, INVALID)
    except (KeyboardInterrupt, launcher.Stopped):
        return _stopped()
    except Exception as err:  # e.g. UntrustedModelError: never serve it
        return refuse(f"{type(err).__name__}: {err}", REFUSED)
    try:
        code = launcher.serve_fixed(settings, verified, args.host, args.port, args.workers)
    except (KeyboardInterrupt, launcher.Stopped):
        code = None
    except launcher.ServeError as err:
        return refuse(err, REFUSED)
    if code is None:
        return _stopped()
    return refuse(f"the scoring server exited with code {code}", REFUSED)


def _stopped() -> int:
    print("\nstopped", file=sys.stderr)
    return 0
