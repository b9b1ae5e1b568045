import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.domain.strategies import valid_frames
from workflows.domain.data import synthetic
from workflows.domain.schema import (
    FEATURES,
    MIN_CLASS_ROWS,
    MIN_ROWS,
    TARGET,
    DataValidationError,
    validate,
)

examples = settings(deadline=None)


@examples
@given(valid_frames())
def test_any_valid_frame_passes_unchanged(frame):
    validated = validate(frame)
    assert validated.shape == frame.shape
    assert np.allclose(validated[list(FEATURES)].to_numpy(), frame[list(FEATURES)].to_numpy())


@examples
@given(
    valid_frames(), st.sampled_from(FEATURES), st.data(), st.sampled_from([np.nan, np.inf, -np.inf])
)
def test_a_nan_or_inf_is_named_with_its_column(frame, column, data, bad):
    row = data.draw(st.integers(0, len(frame) - 1))
    frame.loc[row, column] = bad
    with pytest.raises(DataValidationError) as caught:
        validate(frame)
    assert caught.value.columns == {column}
    assert ("NaN" if np.isnan(bad) else "inf") in str(caught.value)


@examples
@given(valid_frames(), st.sampled_from(FEATURES))
def test_a_missing_column_is_named(frame, column):
    with pytest.raises(DataValidationError) as caught:
        validate(frame.drop(columns=column))
    assert caught.value.problems == [(column, "missing")]


@examples
@given(valid_frames(), st.text(min_size=1, max_size=12).filter(lambda c: c not in FEATURES))
def test_an_extra_column_is_named(frame, column):
    frame[column] = 1.0
    with pytest.raises(DataValidationError) as caught:
        validate(frame)
    assert caught.value.problems == [(column, "unexpected column")]


@examples
@given(valid_frames(), st.sampled_from(FEATURES), st.data())
def test_a_non_numeric_column_is_named(frame, column, data):
    row = data.draw(st.integers(0, len(frame) - 1))
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = data.draw(st.sampled_from(["abc", "1,5", "n/a", "--"]))
    with pytest.raises(DataValidationError) as caught:
        validate(frame)
    assert caught.value.columns == {column}
    assert "non-numeric" in str(caught.value)


@examples
@given(valid_frames(), st.sampled_from([0, 1]))
def test_a_single_class_fails_on_target(frame, label):
    frame[TARGET] = label
    with pytest.raises(DataValidationError) as caught:
        validate(frame)
    assert caught.value.columns == {TARGET}
    assert "each class" in str(caught.value)


@examples
@given(valid_frames(), st.integers(1, MIN_CLASS_ROWS - 1))
def test_a_class_with_too_few_rows_fails_on_target(frame, kept):
    positives = frame.index[frame[TARGET] == 1]
    frame = frame.drop(index=positives[kept:])
    with pytest.raises(DataValidationError) as caught:
        validate(frame)
    assert TARGET in caught.value.columns


@examples
@given(valid_frames(min_rows=2 * MIN_CLASS_ROWS, max_rows=MIN_ROWS - 1))
def test_too_few_rows_fail(frame):
    with pytest.raises(DataValidationError, match=f"fewer than {MIN_ROWS} rows"):
        validate(frame)


def test_every_problem_is_reported_at_once():
    frame = synthetic(200, seed=1)
    frame.loc[0, FEATURES[0]] = np.nan
    frame.loc[1, FEATURES[5]] = np.inf
    frame.loc[2, TARGET] = 7
    with pytest.raises(DataValidationError) as caught:
        validate(frame)
    assert caught.value.columns == {FEATURES[0], FEATURES[5], TARGET}
