"""The champion/challenger rule: the alias never moves to a model that scores
lower than the champion by more than min_delta on the same rows."""

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.domain.strategies import contracts
from workflows.domain.challenge import check_min_delta, comparable, decide, wins
from workflows.domain.contract import Feature

aucs = st.floats(0.0, 1.0, allow_nan=False)
deltas = st.floats(0.0, 1.0, allow_nan=False, exclude_max=True)


@given(aucs, aucs, deltas)
def test_the_alias_never_moves_to_a_model_worse_than_the_champion_by_more_than_min_delta(
    challenger, champion, min_delta
):
    verdict = decide(challenger, min_delta, "7", champion)
    if challenger < champion - min_delta:
        assert not verdict.promote
    else:
        assert verdict.promote
    assert f"{challenger:.4f}" in verdict.reason and f"{champion:.4f}" in verdict.reason
    assert "v7" in verdict.reason


@given(aucs, deltas)
def test_without_a_champion_or_a_comparable_one_only_the_gate_decides(challenger, min_delta):
    assert decide(challenger, min_delta).promote
    verdict = decide(challenger, min_delta, "3", None, "it was trained on a different contract")
    assert verdict.promote and math.isnan(verdict.champion_auc)
    assert "different contract" in verdict.reason and "v3" in verdict.reason


@given(aucs)
def test_a_nan_challenger_never_wins(champion):
    assert not wins(math.nan, champion, 0.0)


@pytest.mark.parametrize("min_delta", [-0.01, 1.0, 2.0, math.nan])
def test_min_delta_outside_0_1_is_refused(min_delta):
    with pytest.raises(ValueError, match="min_delta"):
        check_min_delta(min_delta)


@given(contracts())
def test_a_contract_is_comparable_with_itself_but_not_with_changed_columns(contract):
    unused = "ignored " + "".join(contract.columns)  # a name no column has
    assert comparable(contract, dataclasses.replace(contract, ignore={unused: ""}))
    extra = Feature(contract.features[0].name + "_new", "numeric", False)
    changed = dataclasses.replace(contract, features=(*contract.features, extra))
    assert not comparable(contract, changed)
    other_kind = "categorical" if contract.features[0].kind != "categorical" else "numeric"
    retyped = dataclasses.replace(
        contract,
        features=(
            dataclasses.replace(contract.features[0], kind=other_kind),
            *contract.features[1:],
        ),
    )
    assert not comparable(contract, retyped)


def test_on_an_error_metric_a_lower_challenger_wins_and_a_higher_one_loses():
    from workflows.domain.challenge import decide
    from workflows.domain.gate import Gate

    rmse = Gate("rmse", "<=", 20.0)
    better = decide(9.5, 0.0, "3", 10.0, gate=rmse)
    worse = decide(10.5, 0.0, "3", 10.0, gate=rmse)
    assert better.promote and not worse.promote
    assert worse.metric == "rmse" and "RMSE 10.5000 loses to champion v3 10.0000" in worse.reason
    assert "lower is better" in worse.reason
    assert decide(10.5, 0.6, "3", 10.0, gate=rmse).promote  # within min_delta
