"""The model built from the contract: raw rows in, label + P(positive) out, and
the skops allow-list is exactly what real fitted models hold."""

import dataclasses
import itertools

import pandas as pd
import pytest
import skops.io
from hypothesis import given, settings

from tests.fixtures import tables as fixtures
from tests.unit.domain.strategies import contracts_and_tables
from workflows.domain import contract as data_contract
from workflows.domain.data import synthetic
from workflows.domain.model import LABEL, PROBABILITY, output_columns
from workflows.domain.training import (
    ESTIMATORS,
    TRUSTED_TYPES,
    TrainingError,
    TrainParams,
    features_and_target,
    train,
)

# One contract with every kind of feature, missing values allowed everywhere.
EVERY_KIND = data_contract.from_dict(
    {
        "target": {"column": "outcome", "positive": "yes", "negative": "no"},
        "features": {
            "amount": {"kind": "numeric", "missing": True},
            "colour": {"kind": "categorical", "missing": True},
            "flag": {"kind": "boolean", "missing": True},
            "opened": {"kind": "datetime", "missing": True},
        },
        "ignore": {"id": "identifier"},
    }
)
FAST = {"hist_gradient_boosting": {"max_iter": 20}, "random_forest": {"n_estimators": 10}}
# The same features with a multiclass and a regression target.
MULTICLASS = dataclasses.replace(
    EVERY_KIND, positive=None, negative=None, task="multiclass", classes=("low", "mid", "high")
)
REGRESSION = dataclasses.replace(EVERY_KIND, positive=None, negative=None, task="regression")
TASK_CONTRACTS = {"binary": EVERY_KIND, "multiclass": MULTICLASS, "regression": REGRESSION}


@pytest.fixture(scope="module", params=ESTIMATORS)
def fitted(request):
    frame = synthetic(300, EVERY_KIND, seed=1)
    params = TrainParams(request.param, FAST[request.param], seed=1)
    return request.param, train(frame, EVERY_KIND, params)


def test_raw_rows_with_unseen_categories_and_missing_values_get_label_and_probability(fitted):
    _, model = fitted
    rows = pd.DataFrame(
        {
            "amount": [1.5, None, 3],
            "colour": ["never seen in training", None, "level 2"],
            "flag": [True, None, False],
            "opened": ["2023-05-01", None, "2022-13-45"],  # raw text; a bad date is missing
        }
    )
    answer = model.predict(rows)
    assert list(answer.columns) == [LABEL, PROBABILITY]
    assert set(answer[LABEL]) <= {"yes", "no"}
    assert answer[PROBABILITY].between(0, 1).all()
    # The label is the more probable one, and the probability is P("yes").
    assert ((answer[PROBABILITY] >= 0.5) == (answer[LABEL] == "yes")).all()


def test_the_allow_list_is_exactly_what_the_fitted_models_hold():
    needed = set()
    for (task, contract), estimator in itertools.product(TASK_CONTRACTS.items(), ESTIMATORS):
        model = train(
            synthetic(300, contract, 2), contract, TrainParams(estimator, FAST[estimator])
        )
        saved = skops.io.dumps(model)
        holds = set(skops.io.get_untrusted_types(data=saved))
        assert holds <= set(TRUSTED_TYPES), (task, estimator, holds - set(TRUSTED_TYPES))
        loaded = skops.io.loads(saved, trusted=list(TRUSTED_TYPES))
        rows, _ = features_and_target(synthetic(20, contract, 3), contract)
        pd.testing.assert_frame_equal(loaded.predict(rows), model.predict(rows))
        assert list(model.predict(rows).columns) == output_columns(task, contract.labels)
        needed |= holds
    assert needed == set(TRUSTED_TYPES)  # nothing trusted that no model needs


@settings(max_examples=10, deadline=None)
@given(contracts_and_tables(min_rows=40, max_rows=80))
def test_any_valid_table_trains_and_answers_in_its_own_labels(drawn):
    contract, frame = drawn
    model = train(frame, contract, TrainParams(params={"max_iter": 5}))
    rows, _ = features_and_target(frame.head(5), contract)
    answer = model.predict(rows)
    assert len(answer) == 5
    assert list(answer.columns) == output_columns(contract.task, contract.labels)
    if contract.is_classification:
        assert set(answer[LABEL].tolist()) <= set(contract.labels)


@pytest.mark.parametrize("shape", fixtures.SHAPES)
def test_each_fixture_shape_is_learnable(shape):
    from workflows.domain.data import split
    from workflows.domain.evaluation import evaluate

    contract = data_contract.load(fixtures.contract_path(shape))
    train_part, test_part = split(fixtures.table(shape), contract.target, 0.25, 0)
    scored = evaluate(train(train_part, contract, TrainParams()), test_part, contract)
    assert scored.roc_auc > 0.8


@pytest.mark.parametrize(
    ("estimator", "params", "message"),
    [
        ("xgboost", "{}", "estimator 'xgboost' is not known"),
        ("random_forest", '{"max_iter": 3}', "has no parameter(s) ['max_iter']"),
        ("hist_gradient_boosting", "[1]", "must be a JSON object"),
        ("hist_gradient_boosting", "{max_depth: 1}", "is not JSON"),
    ],
)
def test_bad_estimators_and_parameters_are_refused_by_name(estimator, params, message):
    with pytest.raises(TrainingError) as caught:
        TrainParams.from_json(estimator, params, 0)
    assert message in str(caught.value)


def test_a_parameter_value_the_estimator_refuses_is_named():
    frame = synthetic(100, EVERY_KIND, 0)
    with pytest.raises(TrainingError, match="max_depth"):
        train(frame, EVERY_KIND, TrainParams("random_forest", {"max_depth": -3}))


def test_dates_become_their_parts_inside_the_model_and_carry_signal():
    rows = 400
    opened = pd.Timestamp("2021-01-01") + pd.to_timedelta(range(rows), unit="D")
    frame = pd.DataFrame(
        {
            "opened": [f"{d:%Y-%m-%d}T12:00:00+01:00" for d in opened],
            "noise": [float(i % 7) for i in range(rows)],
            "outcome": ["yes" if d.month in (6, 7, 8) else "no" for d in opened],
        }
    )
    contract = data_contract.from_dict(
        {
            "target": {"column": "outcome", "positive": "yes", "negative": "no"},
            "features": {"opened": {"kind": "datetime"}, "noise": {"kind": "numeric"}},
        }
    )
    model = train(frame, contract, TrainParams(params={"max_iter": 30}, seed=0))
    summer = pd.DataFrame({"opened": ["2030-07-15T09:00:00Z", "2030-01-15"], "noise": [1.0, 1.0]})
    assert list(model.predict(summer)[LABEL]) == ["yes", "no"]


def test_more_levels_than_max_bins_are_pooled_and_named_not_a_failure_inside_fit():
    from workflows.domain.training import category_limit, pooled

    rows = 400
    frame = pd.DataFrame(
        {
            "shop": [f"shop {i % 60}" for i in range(rows)],
            "amount": [float(i % 13) for i in range(rows)],
            "outcome": ["yes" if i % 60 < 20 else "no" for i in range(rows)],
        }
    )
    contract = data_contract.from_dict(
        {
            "target": {"column": "outcome", "positive": "yes", "negative": "no"},
            "features": {"shop": {"kind": "categorical"}, "amount": {"kind": "numeric"}},
        }
    )
    params = TrainParams(params={"max_bins": 32, "max_iter": 10})
    assert category_limit(params) == 31
    assert pooled(frame, contract, params) == {"shop": 60}
    model = train(frame, contract, params)
    assert model.predict(frame.head(3))[LABEL].isin(["yes", "no"]).all()


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_multiclass_model_answers_a_label_and_one_probability_per_label(estimator):
    frame = synthetic(400, MULTICLASS, seed=4)
    model = train(frame, MULTICLASS, TrainParams(estimator, FAST[estimator], seed=4))
    rows, _ = features_and_target(frame.head(30), MULTICLASS)
    answer = model.predict(rows)
    columns = ["probability_low", "probability_mid", "probability_high"]
    assert list(answer.columns) == [LABEL, *columns]  # the contract's order
    assert answer[columns].sum(axis=1).round(6).eq(1).all()
    best = answer[columns].to_numpy().argmax(axis=1)
    assert answer[LABEL].tolist() == [MULTICLASS.classes[i] for i in best]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_regression_model_answers_a_number_that_follows_the_target(estimator):
    import numpy as np

    frame = synthetic(600, REGRESSION, seed=5)
    train_rows, test_rows = frame.head(450), frame.tail(150)
    model = train(train_rows, REGRESSION, TrainParams(estimator, FAST[estimator], seed=5))
    rows, actual = features_and_target(test_rows, REGRESSION)
    answer = model.predict(rows)
    assert list(answer.columns) == ["prediction"]
    assert np.corrcoef(answer["prediction"], actual)[0, 1] > 0.5
