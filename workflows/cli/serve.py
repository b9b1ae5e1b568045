"""`python -m workflows serve [--domain D] [--port P] [--server pyfunc|mlflow]` (make serve):
serve `@<domain>` over HTTP on this machine until Ctrl-C or SIGTERM.

pyfunc (default): in this process, following the alias (workflows/serving/hosting.py);
mlflow: `mlflow models serve` on the version the alias points at, fixed.
Exit 0 when stopped, 2 when it cannot start (settings, no model, port taken),
1 when the model is refused or the scoring server fails.
"""

from __future__ import annotations

import argparse
import os
import sys

from workflows.cli.refusal import INVALID, REFUSED, refuse
from workflows.serving import launcher
from workflows.serving.hosting import DEFAULT_POLL_SECONDS, HostingError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--domain",
        default=os.environ.get("DOMAIN") or "development",
        help="serve the model @<domain> points at (DOMAIN; default: %(default)s)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=launcher.DEFAULT_PORT, help="port (default: %(default)s)"
    )
    parser.add_argument(
        "--server",
        choices=launcher.SERVERS,
        default="pyfunc",
        help="pyfunc: in this process, follows the alias (default); "
        "mlflow: `mlflow models serve` on the alias's version, fixed",
    )
    parser.add_argument("--workers", type=int, default=1, help="mlflow server only")
    parser.add_argument(
        "--poll",
        type=_positive_seconds,
        default=os.environ.get("SERVE_POLL_SECONDS") or str(DEFAULT_POLL_SECONDS),
        help="pyfunc: seconds between looks at the alias (SERVE_POLL_SECONDS)",
    )


def _positive_seconds(text: str) -> float:
    seconds = float(text)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("--poll must be a positive number of seconds")
    return seconds


def run(args: argparse.Namespace) -> int:
    from workflows.gateways.tracking import TrackingUnreachableError, require_reachable
    from workflows.settings import Settings, SettingsError

    launcher.stop_on_signals()
    try:
        settings = Settings.from_env({**os.environ, "DOMAIN": args.domain})
        require_reachable(settings.tracking_uri)
        if args.server == "pyfunc":
            launcher.serve_in_process(settings, args.host, args.port, args.poll)
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
