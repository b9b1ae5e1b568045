"""What `python -m workflows run` prints around a run: each fact once, no placeholders."""

from __future__ import annotations

import pytest

from workflows.cli.run import check_target, gate_hint, header, summary
from workflows.domain.gate import Gate, QualityGateError
from workflows.settings import Settings
from workflows.steps.training import Deployment


def _deployment(previous: str, moved: bool = True) -> Deployment:
    return Deployment(
        "m", "2", "development", "models:/m@development", previous, "in-process", moved=moved
    )


@pytest.mark.parametrize(("previous", "shown"), [("", "(previous: none)"), ("1", "(previous: v1)")])
def test_the_summary_names_the_previous_version_or_none(previous, shown):
    settings = Settings.from_env({"MLFLOW_TRACKING_URI": "sqlite:///tmp/x.db"})
    printed = summary(settings, _deployment(previous))
    assert shown in printed
    assert "v-" not in printed and "vnone" not in printed


def test_a_rerun_that_left_the_alias_where_it_was_does_not_say_it_moved():
    """Found by a new user: a rerun reusing v2 printed "@development -> v2" as if
    the alias had just moved there."""
    settings = Settings.from_env({"MLFLOW_TRACKING_URI": "sqlite:///tmp/x.db"})
    assert "alias:    @development -> v2 (previous: v1)" in summary(settings, _deployment("1"))
    kept = summary(settings, _deployment("1", moved=False))
    assert "alias:    @development stays on v2, already there (@development-previous: v1)" in kept


def test_the_tracking_store_is_printed_once_per_run():
    settings = Settings.from_env({"MLFLOW_TRACKING_URI": "sqlite:///tmp/x.db"})
    printed = header(settings) + "\n" + summary(settings, _deployment(""))
    assert printed.count("tracking:") == 1
    assert printed.count("sqlite:///tmp/x.db") == 1


@pytest.mark.parametrize(
    ("min_auc", "gate_text", "task", "said"),
    [
        ("0.8", "", "regression", "the contract's task is regression, so the gate is r2>=0.5"),
        ("0.8", "accuracy>=0.9", "binary", "GATE is set, so the gate is accuracy>=0.9"),
        ("0.8", "", "binary", ""),  # MIN_AUC is the gate
        ("", "", "regression", ""),  # nothing set: nothing to say
    ],
)
def test_a_min_auc_that_does_not_gate_the_run_is_named_not_ignored(min_auc, gate_text, task, said):
    from workflows.cli.run import unused_min_auc
    from workflows.domain.gate import gate_for

    gate = gate_for(gate_text, 0.8, task, "r2>=0.5")
    note = unused_min_auc(min_auc, gate, task)
    assert note.endswith(said) if said else note == ""
    if said:
        assert note.startswith("note: MIN_AUC=0.8 is not used")


@pytest.mark.parametrize(
    ("gate", "said"),
    [
        (Gate("roc_auc", ">=", 0.95, "min_auc"), "make run MIN_AUC=<number>"),
        (Gate("rmse", "<=", 12.5, "GATE"), "make run GATE='rmse<=<number>'"),
        (Gate("r2", ">=", 0.5, "default"), "make run GATE='r2>=<number>'"),
    ],
)
def test_a_gate_refusal_says_which_setting_moves_the_bar(gate, said):
    """Found by a new user: the refusal named the bar but not how to change it."""
    refused = RuntimeError("task failed")
    refused.__cause__ = QualityGateError(0.8, gate)
    assert gate_hint(refused, gate).strip() == f"to move the bar: {said}"
    assert gate_hint(RuntimeError("another refusal"), gate) == ""


def test_a_target_other_than_the_contracts_is_refused_not_ignored():
    """Found by a new user: `make run TARGET=turnout` exited 0 having trained on the
    contract's target `vote`, saying nothing."""
    from workflows.domain.contract import ContractError

    check_target("", "vote", "contract.yaml")  # not set: the contract's target
    check_target("vote", "vote", "contract.yaml")  # the same column: nothing to say
    with pytest.raises(ContractError) as refused:
        check_target("turnout", "vote", "contract.yaml")
    said = str(refused.value)
    assert "TARGET='turnout'" in said and "'vote'" in said
    assert "make contract DATA=<table> TARGET=turnout" in said
