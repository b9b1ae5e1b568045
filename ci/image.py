"""Which image a commit runs in.

Policy: the image is tagged by the full commit sha, `<IMAGE_REPOSITORY>:<sha>`.

Why by commit and not by a hash of uv.lock + Dockerfile:
- The image holds the code (Dockerfile copies workflows/ and ci/ last), so a
  commit-tagged image is one immutable artifact: what runs in production is
  byte for byte what ran in staging for the same commit (a release tag points
  at a commit already on main, so promotion reuses the staging image).
- A lock-hash tag would need fast registration (`pyflyte package --copy all`)
  to get the code into the tasks: a second code channel through blob storage
  that every task pod must download from and that flytectl must upload to via
  signed URLs reachable from CI. Commit tags keep registration a pure API call.
- The speed the hash tag would buy comes from layer order instead: the
  dependency layer depends only on uv.lock and pyproject.toml, so a code-only
  change rebuilds one small COPY layer (registry/kaniko layer cache) and pushes
  only that layer.

So `pyflyte package` runs without --fast/--copy: task specs point at this image.
"""

from __future__ import annotations

import os

from workflows import identity

from .refs import validate_sha

# GitHub's CD pushes to ghcr.io/<owner>/<repo>: the whole repository is replaced.
REPOSITORY_ENV = "CI_IMAGE_REPOSITORY"
# The sandbox's Argo pushes to its own registry: only the registry is replaced.
REGISTRY_ENV = "CI_IMAGE_REGISTRY"


def image_repository() -> str:
    repository = os.environ.get(REPOSITORY_ENV)
    if not repository and os.environ.get(REGISTRY_ENV):
        repository = f"{os.environ[REGISTRY_ENV]}/{identity.PROJECT_SLUG}"
    # Registries refuse upper case, and GitHub owner names may carry it.
    return (repository or identity.IMAGE_REPOSITORY).lower()


def image_for(sha: str, repository: str | None = None) -> str:
    return f"{repository or image_repository()}:{validate_sha(sha)}"
