"""The one error type the CLI turns into a one-line message and an exit code."""

from __future__ import annotations

# Exit codes: 1 = the step ran and failed (or the plan refused the ref),
# 2 = the caller gave something unusable (bad sha, bad ref, missing tool/config).
FAILED = 1
USAGE = 2


class CiError(Exception):
    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code
