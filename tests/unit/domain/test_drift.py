"""The drift report: a bounded uniform sample of a table read in chunks, and
Evidently's per-column verdicts read back (shifted columns flagged, the share
against DRIFT_LIMIT)."""

import importlib.util
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tools import drift_tables, missing
from workflows.domain.contract import Contract, Feature
from workflows.domain.drift import DriftResult, Sample, check_drift_limit, report


@given(st.lists(st.integers(0, 300), min_size=1, max_size=12), st.integers(1, 200))
def test_the_sample_is_bounded_and_holds_only_rows_of_the_table(sizes, size):
    sample = Sample(size, seed=1)
    start = 0
    for rows in sizes:
        sample.add(pd.DataFrame({"row": range(start, start + rows)}))
        start += rows
    if start == 0:
        return
    kept = sample.rows["row"]
    assert len(kept) == min(size, start) and kept.is_unique and kept.between(0, start - 1).all()


def test_the_sample_is_uniform_over_the_chunks():
    sample = Sample(2_000, seed=3)
    for start in range(0, 100_000, 10_000):
        sample.add(pd.DataFrame({"row": np.arange(start, start + 10_000)}))
    per_chunk = np.bincount(sample.rows["row"] // 10_000, minlength=10)
    assert per_chunk.min() > 150 and per_chunk.max() < 250  # 200 each, by chance alone


@pytest.mark.parametrize("limit", [-0.1, 1.1, math.nan])
def test_a_drift_limit_outside_0_1_is_refused(limit):
    with pytest.raises(ValueError, match="drift_limit"):
        check_drift_limit(limit)


def test_drift_is_detected_when_the_share_exceeds_the_limit():
    assert DriftResult(0.6, 0.5).detected and not DriftResult(0.5, 0.5).detected


def test_drift_is_never_detected_on_fewer_rows_than_can_show_it():
    """Found by a new user: 5 scored rows gave drift_detected=true (86%), which a
    scheduled scoring run with RETRAIN_ON_DRIFT would act on."""
    from workflows.domain.drift import FEW_ROWS, few_rows_caveat

    assert not DriftResult(0.9, 0.5, rows=FEW_ROWS - 1).detected
    assert DriftResult(0.9, 0.5, rows=FEW_ROWS).detected
    assert "drift_detected stays false" in few_rows_caveat(FEW_ROWS - 1)
    assert few_rows_caveat(FEW_ROWS) == ""


@settings(deadline=None, max_examples=1)
@given(st.just(None))
def test_evidently_flags_exactly_the_shifted_columns(_):
    if importlib.util.find_spec("evidently") is None:
        missing("evidently is not installed: uv sync --group drift")
    names = [f"x{i}" for i in range(6)]
    contract = Contract("y", 1, 0, tuple(Feature(n, "numeric", False) for n in names))
    rng = np.random.default_rng(0)
    reference = pd.DataFrame(rng.normal(size=(2_000, 6)), columns=names)
    current = pd.DataFrame(rng.normal(size=(2_000, 6)), columns=names)
    current[["x1", "x4"]] += 2.0  # two standard deviations

    result = report(reference, current, contract, limit=0.5)

    assert set(result.drifted) == {"x1", "x4"}
    assert result.share == pytest.approx(2 / 6) and not result.detected
    assert report(reference, current, contract, limit=0.2).detected
    assert "<html" in result.html.lower()


def test_a_column_empty_on_one_side_is_skipped_and_named_not_a_crash():
    """Found by a new user: Evidently raised on an empty column after the scores
    were written."""
    if importlib.util.find_spec("evidently") is None:
        missing("evidently is not installed: uv sync --group drift")
    names = ["a", "b", "c"]
    contract = Contract("y", 1, 0, tuple(Feature(n, "numeric", True) for n in names))
    rng = np.random.default_rng(1)
    reference = pd.DataFrame(rng.normal(size=(500, 3)), columns=names)
    current = pd.DataFrame(rng.normal(size=(500, 3)), columns=names)
    current["b"] = np.nan

    result = report(reference, current, contract, limit=0.5)

    assert result.skipped == ["b"]
    assert {c.column for c in result.columns} == {"a", "c"}
    everything_empty = report(reference, current.assign(a=np.nan, c=np.nan), contract, 0.5)
    assert everything_empty.skipped == names and everything_empty.share == 0.0


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_the_answers_are_compared_apart_from_the_features(task):
    import numpy as np

    from workflows.domain.contract import Contract, Feature
    from workflows.domain.model import LABEL, output_columns

    labels = {"binary": ("no", "yes"), "multiclass": ("a", "b", "c"), "regression": ()}[task]
    contract = Contract(
        "y", "yes" if task == "binary" else None, "no" if task == "binary" else None,
        (Feature("x", "numeric", False),), task=task,
        classes=labels if task == "multiclass" else (),
    )  # fmt: skip
    rng = np.random.default_rng(0)
    answers = output_columns(task, contract.labels)

    def sample(shift: float) -> pd.DataFrame:
        frame = pd.DataFrame({"x": rng.normal(0, 1, 600)})
        for name in answers:
            if name == LABEL:
                frame[name] = rng.choice(
                    labels,
                    600,
                    p=None if not shift else [0.8] + [0.2 / (len(labels) - 1)] * (len(labels) - 1),
                )
            else:
                frame[name] = rng.beta(2, 5, 600) + shift
        return frame

    reference, moved = sample(0), sample(0.5)
    same = reference.sample(frac=1, random_state=1)  # the same rows, shuffled
    assert report(reference, same, contract, 0.5).predictions_drifted == []
    result = report(reference, moved, contract, 0.5)
    assert set(result.predictions_drifted) == set(answers)
    assert result.share == 0 and result.drifted == []  # the features did not move
    # A reference logged before answers were kept: the features alone.
    assert report(reference[["x"]], moved, contract, 0.5).predictions == []


@settings(deadline=None, max_examples=2)
@given(st.integers(0, 2**16), st.sampled_from([300, 1_500]))
def test_the_report_gives_what_evidently_s_data_drift_preset_gives(seed, rows):
    """`report` runs the metrics DataDriftPreset itself generates, not the preset:
    the share and every column's method, score and verdict must be the preset's,
    for numbers and codes, small and large samples (Evidently picks its test by size)."""
    if importlib.util.find_spec("evidently") is None:
        missing("evidently is not installed: uv sync --group drift")
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    from workflows.domain.drift import _read

    rng = np.random.default_rng(seed)
    numbers, codes = ["n0", "n1", "n2"], ["c0", "c1"]
    features = [Feature(n, "numeric", False) for n in numbers]
    dates = (Feature("d", "datetime", False),)  # a kind Evidently does not test: left out
    coded = tuple(Feature(c, "categorical", False) for c in codes)
    contract = Contract("y", 1, 0, (*features, *coded, *dates))

    def table(shift: float) -> pd.DataFrame:
        frame = pd.DataFrame(rng.normal(size=(rows, 3)), columns=numbers)
        frame["n1"] += shift
        for name in codes:
            frame[name] = rng.choice(
                ["a", "b", "c"], size=rows, p=[0.5 - shift / 4, 0.3, 0.2 + shift / 4]
            )
        frame["d"] = [f"2024-03-{day:02d}" for day in rng.integers(1, 29, size=rows)]
        return frame

    reference, current = table(0.0), table(float(rng.uniform(0, 1)))
    ours = report(reference, current, contract, limit=0.5)
    definition = DataDefinition(numerical_columns=numbers, categorical_columns=codes)
    preset = Report([DataDriftPreset(drift_share=0.5)]).run(
        current_data=Dataset.from_pandas(current.drop(columns="d"), data_definition=definition),
        reference_data=Dataset.from_pandas(reference.drop(columns="d"), data_definition=definition),
    )
    share, columns = _read(preset.dict()["metrics"])
    assert ours.share == share
    assert sorted(ours.columns, key=lambda c: c.column) == sorted(columns, key=lambda c: c.column)


def test_a_sample_of_one_repeated_row_raises_no_numpy_warnings():
    """Found by a new user: scoring 5 rows printed numpy's "invalid value
    encountered in divide" between the progress lines (a column with one value)."""
    import warnings

    reference, contract = drift_tables((0.0,))
    repeated = pd.concat([reference.iloc[:1]] * 5, ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = report(reference, repeated, contract, 0.5)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert result.rows == 5 and not result.detected
