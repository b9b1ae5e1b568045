"""The training workflow's inputs as Flyte (and a launch with no inputs) sees them."""

from __future__ import annotations

import subprocess
import sys

# In a fresh process: a project whose copier answer `gate` is a regression gate.
PROBE = """
from workflows import identity
identity.DEFAULT_GATE = "rmse<=12.5"
from workflows.flyte.pipeline import training_pipeline
print(repr(training_pipeline.python_interface.inputs_with_defaults["quality_gate"][1]))
"""


def test_a_projects_gate_answer_never_becomes_the_workflows_default_input():
    """Found in a project generated with the answer gate: "rmse<=12.5", which
    baked that gate into the workflow's default input, so every run of its binary
    demo was refused (a regression metric on a binary contract). The input stays
    "" and the gate step picks identity.DEFAULT_GATE only for its own task."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "''"
