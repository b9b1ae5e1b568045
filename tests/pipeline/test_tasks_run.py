"""`make run` on a multiclass and a regression table (tests/fixtures tickets and
prices): the run gates on the task's metric, and bad input of each task is one
`error:` line, exit non-zero, nothing registered."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.fixtures import tables as fixtures
from tests.pipeline.test_local_run import cli

pytestmark = pytest.mark.slow


def written(tmp_path, shape: str, edit=None) -> tuple[str, str]:
    contract, data = fixtures.case(shape, tmp_path)
    if edit is not None:
        frame = pd.read_csv(data)
        edit(frame)
        frame.to_csv(data, index=False)
    return contract, data


@pytest.mark.parametrize(
    ("shape", "gate", "passed"),
    [("tickets", "macro_roc_auc>=0.7", "quality gate passed (macro_roc_auc>=0.7)"),
     ("prices", "rmse<=1e9", "quality gate passed (rmse<=1e+09)")],
)  # fmt: skip
def test_each_task_runs_gated_on_its_metric(tmp_path, shape, gate, passed):
    contract, data = written(tmp_path, shape)
    done = cli(tmp_path, {"CONTRACT": contract, "DATA": data, "GATE": gate}, "run")
    assert done.returncode == 0, done.stderr
    assert passed in done.stdout and "@development -> v1" in done.stdout


def _constant(frame):
    frame["price"] = 250000.0


def _text(frame):
    frame["price"] = frame["price"].astype(object)
    frame.loc[3, "price"] = "on request"


def _rare(frame):
    rare = frame.index[frame["team"] == "security"][4:]
    frame.drop(index=rare, inplace=True)


@pytest.mark.parametrize(
    ("shape", "env", "edit", "code", "message"),
    [
        ("prices", {"GATE": "roc_auc>=0.8"}, None, 2,
         "roc_auc is a binary metric; the contract's task is regression: use rmse or mae or r2"),
        ("tickets", {"GATE": "r2>=0.5"}, None, 2, "r2 is a regression metric"),
        ("prices", {"GATE": "rmse<=1"}, None, 1, "RMSE"),
        ("prices", {}, _constant, 1, "constant: every value is 250000.0"),
        ("prices", {}, _text, 1, "'on request'"),
        ("tickets", {}, _rare, 1, "'security': 4"),
    ],
)  # fmt: skip
def test_bad_input_of_each_task_is_one_error_line_and_registers_nothing(
    tmp_path, shape, env, edit, code, message
):
    contract, data = written(tmp_path, shape, edit)
    done = cli(tmp_path, {"CONTRACT": contract, "DATA": data, **env}, "run")
    assert done.returncode == code, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert "registered" not in done.stdout
