"""A code-only change rebuilds the pipeline image without re-installing its dependencies."""

from __future__ import annotations

import subprocess

from tests.containers.conftest import TIMINGS, build_image, context_copy


def layers(image: str) -> list[tuple[str, str]]:
    """(instruction, layer id) from the base up."""
    done = subprocess.run(
        ["docker", "history", "--no-trunc", "--format", "{{.ID}}\t{{.CreatedBy}}", image],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = [line.split("\t", 1) for line in done.stdout.splitlines()]
    return [(created_by, layer_id) for layer_id, created_by in reversed(rows)]


def test_a_code_only_change_reuses_the_dependency_layer(pipeline_image, tmp_path):
    changed = context_copy(tmp_path, "workflows/flyte/tasks.py", lambda code: code + "# changed\n")
    tag = f"{pipeline_image.rsplit(':', 1)[0]}:code-only-change"
    seconds = build_image(changed, tag)
    TIMINGS["rebuild pipeline image after a code-only change"] = seconds
    try:
        before, after = layers(pipeline_image), layers(tag)
    finally:
        subprocess.run(["docker", "image", "rm", tag], capture_output=True)

    (sync,) = [i for i, (step, _) in enumerate(before) if "uv sync" in step]
    assert after[: sync + 1] == before[: sync + 1]  # the same dependency layer, reused
    assert after != before  # and the code layer is new
