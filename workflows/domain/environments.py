"""The deployment environments (Flyte domains) and the rule for reaching production.

One definition for both sides: the pipeline (settings, its own production
guard) and the CI planner (ci/refs.py) read it from here, so the pure pipeline
never imports the delivery code. Standard library only: `python -m ci plan`
runs on a bare CI runner's python3.
"""

from __future__ import annotations

import re

DOMAINS = ("development", "staging", "production")
PRODUCTION = "production"
# Flyte versions end up in Kubernetes labels: keep them label-sized and label-safe.
MAX_VERSION_LENGTH = 63
_TAG_PREFIX = "refs/tags/"
# fullmatch + ASCII classes: `$` would accept a trailing newline and `\d` any
# Unicode digit (e.g. Arabic-Indic "v1.0.0"), which would let such a tag reach production.
RELEASE_TAG_RE = re.compile(r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


def is_release_tag(ref: str) -> bool:
    """`refs/tags/vX.Y.Z`, and short enough to be a Flyte version."""
    name = ref[len(_TAG_PREFIX) :]
    return (
        ref.startswith(_TAG_PREFIX)
        and bool(RELEASE_TAG_RE.fullmatch(name))
        and len(name) <= MAX_VERSION_LENGTH
    )
