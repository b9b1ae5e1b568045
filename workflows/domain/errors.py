"""The base of every error the pipeline raises on purpose.

Each one carries a message meant for a person. Flyte prefixes the arguments
of exceptions raised in tasks with the task's name, so the message is kept
apart from `args` and `str()` always gives it back unchanged.
"""

from __future__ import annotations


class PipelineError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def find_pipeline_error(err: BaseException) -> PipelineError | None:
    """The PipelineError behind `err`, however deep flytekit wrapped it."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, PipelineError):
            return seen
        wrapped = getattr(seen, "value", None)  # flytekit's FlyteScopedUserException
        seen = (
            wrapped if isinstance(wrapped, BaseException) else (seen.__cause__ or seen.__context__)
        )
    return None
