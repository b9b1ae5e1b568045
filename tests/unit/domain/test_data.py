import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.domain.strategies import valid_frames
from workflows.domain.data import BUILTIN, DataLoadError, load, split, synthetic
from workflows.domain.schema import COLUMNS, TARGET, validate


@settings(deadline=None)
@given(valid_frames(min_rows=60, max_rows=400), st.floats(0.1, 0.5), st.integers(0, 2**31 - 1))
def test_split_keeps_every_row_once_and_the_class_ratio(frame, test_size, seed):
    frame = frame.reset_index(drop=True)
    frame["row_id"] = range(len(frame))
    train, test = split(frame, test_size, seed)
    assert sorted([*train.row_id, *test.row_id]) == list(range(len(frame)))
    ratio = frame[TARGET].mean()
    # Stratification can be off by at most one row of each class per part.
    assert abs(test[TARGET].mean() - ratio) <= 1 / len(test) + 1e-9
    assert abs(train[TARGET].mean() - ratio) <= 1 / len(train) + 1e-9


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1, 1.5])
def test_split_rejects_a_test_size_outside_0_1(test_size):
    with pytest.raises(ValueError, match="test_size"):
        split(synthetic(100), test_size, 0)


def test_builtin_set_meets_the_contract():
    frame = validate(load(BUILTIN))
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 569


@pytest.mark.parametrize("rows", [60, 1000])
def test_synthetic_data_meets_the_contract_and_is_reproducible(rows):
    frame = validate(load(f"synthetic:{rows}", seed=3))
    assert len(frame) == rows
    pd.testing.assert_frame_equal(frame, validate(synthetic(rows, seed=3)))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_files_round_trip(tmp_path, suffix):
    frame = synthetic(80, seed=2)
    path = tmp_path / f"data{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    pd.testing.assert_frame_equal(load(str(path)), frame, check_exact=False)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/nowhere/data.csv", "no such file"),
        ("/tmp/data.xlsx", "expected a .csv or .parquet"),
        ("synthetic:zero", "positive row count"),
        ("synthetic:0", "positive row count"),
    ],
)
def test_unreadable_sources_are_named(source, message):
    with pytest.raises(DataLoadError, match=message) as caught:
        load(source)
    assert source in str(caught.value)
