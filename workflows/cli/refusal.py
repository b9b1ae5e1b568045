"""The one way a command refuses: an `error:` line on stderr and an exit code.

Exit codes, the same for every command:
    0  done
    1  a step started and refused: the data (unreadable, or breaking the
       contract), the quality gate, promotion, the smoke check, an untrusted model
    2  refused before any step ran: bad settings, arguments or contract, no model
       to serve, a port taken, or a tracking server that cannot be reached
(`make` reports its own exit code 2 for any failed command.)
"""

from __future__ import annotations

import sys

REFUSED = 1
INVALID = 2


def refuse(message: object, code: int = INVALID) -> int:
    """Print `error: <message>` on stderr; return `code` for the command to exit with."""
    print(f"error: {message}", file=sys.stderr)
    return code


def refuse_failed_run(err: BaseException, tracking_uri: str) -> int:
    """A workflow that started and failed: print the error that caused it, after a
    blank line that sets it apart from the steps' progress; return REFUSED."""
    print(file=sys.stderr)
    return refuse(root_cause(err, tracking_uri), REFUSED)


def root_cause(err: BaseException, tracking_uri: str) -> str:
    """The pipeline's own message behind flytekit's wrapping; else, when the tracking
    server went away during the run, that outage; else the error itself."""
    from workflows.domain.errors import find_pipeline_error
    from workflows.gateways.tracking import explain

    found = find_pipeline_error(err) or find_pipeline_error(explain(err, tracking_uri))
    return str(found) if found else f"{type(err).__name__}: {err}"
