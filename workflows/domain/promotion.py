"""Which runs may move a domain's alias. Production moves only from a release tag."""

from __future__ import annotations

from workflows.domain.environments import PRODUCTION, is_release_tag
from workflows.domain.errors import PipelineError


class PromotionError(PipelineError):
    """This run may not move the alias of that domain."""


def check_promotion(domain: str, git_ref: str) -> None:
    if domain == PRODUCTION and not is_release_tag(git_ref):
        raise PromotionError(
            f"production moves only from a release tag refs/tags/vX.Y.Z; this run's ref is "
            f"{git_ref or 'unknown'!r}. Tag a commit on main and let CI/CD promote it."
        )


def version_label(version: str | None) -> str:
    """How messages name a model version: "v3", or "none" when an alias pointed nowhere."""
    return f"v{version}" if version else "none"


def alias_move(alias: str, version: str, previous: str | None, moved: bool) -> str:
    """How a deploy left `@alias`, in one line: moved to `version`, or left where a
    rerun found it; `previous` is `@<alias>-previous`, what a rollback restores."""
    if moved:
        return f"@{alias} -> v{version} (previous: {version_label(previous)})"
    kept = f"@{alias}-previous: {version_label(previous)}"
    return f"@{alias} stays on v{version}, already there ({kept})"
