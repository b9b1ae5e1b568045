"""Three `python -m workflows run` at once on one local SQLite store, as two terminals
and a test run would start them: all succeed, on a new store and on one in use, and
`@development` ends on one of their versions with `-previous` on the version it left.

The runs use a fixture's contract and a threshold its data reaches, never the
project's contract.yaml and min_auc: after `make contract` on a team's table whose
score is below the template's min_auc, this test stays green."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.fixtures import tables as fixtures
from workflows.gateways.registry import Registry
from workflows.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow
DOMAIN = "development"
MOVE = re.compile(rf"alias:\s+@{DOMAIN} -> v(\d+) \(previous: (?:v(\d+)|none)\)")


def _env(store, **extra: str) -> dict[str, str]:
    skip = ("MIN_AUC", "DATA", "ROWS", "SERVING_URL", "MODEL_NAME", "DOMAIN", "CONTRACT")
    return {
        **{k: v for k, v in os.environ.items() if k not in skip},
        "MLFLOW_TRACKING_URI": f"sqlite:///{store}/mlflow.db",
        "GIT_REF": "refs/heads/feature/concurrent",
        "CONTRACT": str(fixtures.contract_path("wide")),  # synthetic rows in its shape
        "MIN_AUC": "0.7",
        **extra,
    }


def run_together(store, *extras: dict[str, str]) -> list[tuple[int, str, str]]:
    """Start one run per `extras` at once; wait for all; (exit code, stdout, stderr) each."""
    command = [sys.executable, "-m", "workflows", "run"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    started = [
        subprocess.Popen(command, cwd=PROJECT_ROOT, env=_env(store, **extra), **pipes)
        for extra in extras
    ]
    finished = [p.communicate(timeout=600) for p in started]
    return [(p.returncode, out, err) for p, (out, err) in zip(started, finished, strict=True)]


def state(store) -> tuple[list[int], str | None, str | None]:
    registry = Registry(Settings.from_env(_env(store)))
    versions = registry.client.search_model_versions(f"name = '{registry.name}'")
    return (
        sorted(int(v.version) for v in versions),
        registry.alias_target(DOMAIN),
        registry.alias_target(f"{DOMAIN}-previous"),
    )


@pytest.fixture(scope="module")
def new_store(tmp_path_factory):
    """Three identical runs started together on a store that does not exist yet."""
    store = tmp_path_factory.mktemp("concurrent") / ".mlflow"
    same = {"ROWS": "600"}
    return store, run_together(store, same, same, same)


def test_three_runs_at_once_on_a_new_store_all_succeed_with_one_version(new_store):
    store, outcomes = new_store

    assert [code for code, _, _ in outcomes] == [0, 0, 0], [err for _, _, err in outcomes]
    # The same data gives the same model: one version, which every run reuses or made.
    assert state(store) == ([1], "1", None)


def test_three_runs_at_once_on_a_store_in_use_chain_the_alias(new_store):
    store, _ = new_store
    assert state(store)[:2] == ([1], "1")

    # Different data, so three different models and three alias moves that interleave
    # (small synthetic sets: the gate is not what is tested here).
    small = {"MIN_AUC": "0.5"}
    outcomes = run_together(
        store, {"ROWS": "300", **small}, {"ROWS": "400", **small}, {"ROWS": "500", **small}
    )

    assert [code for code, _, _ in outcomes] == [0, 0, 0], [err for _, _, err in outcomes]
    moves = {}
    for _, out, _ in outcomes:
        version, previous = MOVE.search(out).groups()
        moves[previous] = version
    # Taken in turns, each move left the version the one before it set: one chain from v1.
    current, chain = "1", []
    while current in moves:
        current = moves.pop(current)
        chain.append(current)
    assert moves == {} and len(chain) == 3, f"moves do not chain from v1: {chain} + {moves}"
    assert state(store) == ([1, 2, 3, 4], chain[-1], chain[-2])
