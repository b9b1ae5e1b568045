"""git ref -> Flyte domain, version and MLflow alias: the one table of promotion.

Pure functions, no I/O: GitHub Actions, Argo, the Makefile and the pipeline's
own production guard all ask this module.

| ref                  | domain      | version              |
|----------------------|-------------|----------------------|
| refs/heads/main      | staging     | main-<sha7>          |
| refs/heads/<other>   | development | <branch-slug>-<sha7> |
| refs/tags/vX.Y.Z     | production  | vX.Y.Z (tag on main) |
| refs/tags/<other>    | not allowed |                      |
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass

# The domains and the release-tag rule live with the pipeline, which checks them
# too; this module adds what only CI knows: refs, shas and main's history.
from workflows.domain.environments import MAX_VERSION_LENGTH, is_release_tag

MAIN_BRANCH = "main"
# fullmatch: `$` would accept a trailing newline.
SHA_RE = re.compile(r"[0-9a-f]{40}")
_SHORT_SHA = 7
_NAME_HASH = 6


class RefError(ValueError):
    """A ref or sha that cannot be planned; the message says which and why."""


@dataclass(frozen=True)
class Plan:
    ref: str
    sha: str
    domain: str | None
    version: str | None
    alias: str | None
    allowed: bool
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def validate_sha(sha: str) -> str:
    if not isinstance(sha, str) or not SHA_RE.fullmatch(sha):
        raise RefError(f"sha must be 40 lowercase hex characters, got {sha!r}")
    return sha


def split_ref(ref: str) -> tuple[str, str]:
    """Return ("heads" | "tags", name) for a full git ref, or raise RefError."""
    for kind in ("heads", "tags"):
        prefix = f"refs/{kind}/"
        if ref.startswith(prefix) and len(ref) > len(prefix):
            name = ref[len(prefix) :]
            _check_ref_name(ref, name)
            return kind, name
    raise RefError(f"ref must look like refs/heads/<branch> or refs/tags/<tag>, got {ref!r}")


def _check_ref_name(ref: str, name: str) -> None:
    # The parts of git's check-ref-format that a ref from a webhook could break.
    parts = name.split("/")
    bad = (
        any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in name)
        or any(part.startswith(".") or part.endswith(".lock") for part in parts)
        or name == "@"
        or any(ch in name for ch in "~^:?*[\\")
        or ".." in name
        or "@{" in name
        or name.endswith((".", "/", ".lock"))
        or name.startswith(("/", "-"))
        or "//" in name
    )
    if bad:
        raise RefError(f"not a valid git ref name: {ref!r}")


def slugify(name: str) -> str:
    """Lowercase ASCII letters, digits and single dashes; never empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug or "branch"


def branch_version(branch: str, sha: str) -> str:
    """`<branch-slug>-<sha7>`, distinct for distinct branches.

    When the slug loses information (capitals, slashes, unicode, truncation),
    a short hash of the real branch name keeps two branches apart.
    """
    suffix = f"-{sha[:_SHORT_SHA]}"
    slug = slugify(branch)
    budget = MAX_VERSION_LENGTH - len(suffix)
    if slug == branch and len(slug) <= budget:
        return slug + suffix
    digest = hashlib.sha256(branch.encode()).hexdigest()[:_NAME_HASH]
    slug = slug[: budget - _NAME_HASH - 1].rstrip("-") or "branch"
    return f"{slug}-{digest}{suffix}"


def plan(ref: str, sha: str, tag_on_main: bool | None = None) -> Plan:
    """Plan a push of `sha` at `ref`.

    `tag_on_main` says whether the tagged commit is on main; None means it
    was not checked, and an unchecked release tag does not reach production:
    a guard that is skipped must fail closed.
    """
    validate_sha(sha)
    kind, name = split_ref(ref)
    if kind == "heads":
        domain = "staging" if name == MAIN_BRANCH else "development"
        return Plan(ref, sha, domain, branch_version(name, sha), domain, True)
    if not is_release_tag(ref):
        return Plan(
            ref, sha, None, None, None, False,
            f"tag {name!r} is not a release tag vX.Y.Z: only release tags reach production",
        )  # fmt: skip
    if tag_on_main is None:
        return Plan(
            ref, sha, "production", name, "production", False,
            f"tag {name!r}: whether {sha[:_SHORT_SHA]} is on {MAIN_BRANCH} was not checked "
            "(give the repository: --repo)",
        )  # fmt: skip
    if tag_on_main is False:
        return Plan(
            ref, sha, "production", name, "production", False,
            f"tag {name!r} points at {sha[:_SHORT_SHA]}, which is not on {MAIN_BRANCH}",
        )  # fmt: skip
    return Plan(ref, sha, "production", name, "production", True)
