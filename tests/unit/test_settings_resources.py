"""TASK_RESOURCES: each Flyte task's pod requests and limits, over the defaults."""

from __future__ import annotations

import ast
import json

import pytest

from workflows.domain.resources import memory_bytes
from workflows.settings import (
    DEFAULT_TASK_RESOURCES,
    PROJECT_ROOT,
    TASK_NAMES,
    SettingsError,
    task_resources,
)


def test_every_task_gets_the_defaults_and_training_more_memory():
    sized = task_resources({})
    assert set(sized) == set(TASK_NAMES)
    assert sized["prepare"] == DEFAULT_TASK_RESOURCES
    assert memory_bytes(sized["train"].memory) > memory_bytes(sized["prepare"].memory)


def test_an_override_changes_only_what_it_names():
    sized = task_resources(
        {"TASK_RESOURCES": json.dumps({"train": {"memory": "3Gi", "memory_limit": "4Gi"}})}
    )
    assert (sized["train"].memory, sized["train"].memory_limit) == ("3Gi", "4Gi")
    assert sized["train"].cpu == task_resources({})["train"].cpu
    assert sized["gate"] == task_resources({})["gate"]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("{", "not JSON"),
        ("[]", "JSON object of task names"),
        ('{"trian": {}}', "unknown task 'trian'"),
        ('{"train": {"gpu": "1"}}', "TASK_RESOURCES['train']: a JSON object with keys"),
        ('{"train": "2"}', "TASK_RESOURCES['train']"),
        ('{"train": {"cpu": "lots"}}', "TASK_RESOURCES['train']: CPU 'lots'"),
        ('{"gate": {"memory": "4Gi"}}', "TASK_RESOURCES['gate']: memory request 4Gi is above"),
    ],
)
def test_a_bad_value_names_the_task_and_the_problem(value, named):
    with pytest.raises(SettingsError, match=named.replace("[", r"\[").replace("(", r"\(")):
        task_resources({"TASK_RESOURCES": value})


def test_the_names_are_the_tasks_of_the_flyte_module():
    # Read, not imported: the list must name every @task function, no more.
    tree = ast.parse((PROJECT_ROOT / "workflows" / "flyte" / "tasks.py").read_text())
    decorated = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("task" in ast.unparse(d).split("(")[0] for d in node.decorator_list)
    }
    assert decorated == set(TASK_NAMES)
