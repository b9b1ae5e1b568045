import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures import tables as fixtures
from tests.unit.domain.strategies import contracts, contracts_and_tables
from workflows.domain import contract as data_contract
from workflows.domain.data import (
    BUILTIN,
    DataLoadError,
    chunks,
    demo,
    load,
    read_table,
    split,
    synthetic,
    typed_by_contract,
)
from workflows.domain.schema import is_label, validate


@settings(deadline=None)
@given(contracts_and_tables(min_rows=60, max_rows=200), st.floats(0.1, 0.5), st.integers(0, 2**31))
def test_split_keeps_every_row_once_and_the_class_ratio(drawn, test_size, seed):
    contract, frame = drawn
    frame["row_id"] = range(len(frame))
    train, test = split(frame, contract.target, test_size, seed)
    assert sorted([*train.row_id, *test.row_id]) == list(range(len(frame)))

    def share(part):
        return part[contract.target].map(lambda v: is_label(v, contract.positive)).mean()

    # Stratification can be off by at most one row of each class per part.
    assert abs(share(test) - share(frame)) <= 1 / len(test) + 1e-9
    assert abs(share(train) - share(frame)) <= 1 / len(train) + 1e-9


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1, 1.5])
def test_split_rejects_a_test_size_outside_0_1(test_size):
    contract = data_contract.load(fixtures.contract_path("wide"))
    with pytest.raises(ValueError, match="test_size"):
        split(synthetic(100, contract), contract.target, test_size, 0)


def test_the_demo_has_its_labels_by_name():
    frame = load(BUILTIN)
    assert frame.shape == (569, 31)
    assert frame["diagnosis"].value_counts().to_dict() == {"benign": 357, "malignant": 212}
    pd.testing.assert_frame_equal(frame, demo())


@settings(deadline=None)
@given(contracts(max_features=8), st.integers(60, 400), st.integers(0, 1000))
def test_synthetic_tables_meet_their_contract_and_are_reproducible(contract, rows, seed):
    frame = validate(load(f"synthetic:{rows}", contract, seed), contract)
    assert len(frame) == rows
    pd.testing.assert_frame_equal(frame, synthetic(rows, contract, seed))


@pytest.mark.parametrize("shape", fixtures.SHAPES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_fixture_tables_round_trip_through_files_and_meet_their_contract(tmp_path, shape, suffix):
    contract, path, _ = fixture_file(tmp_path, shape, suffix)
    validate(load(path, contract), contract)


def fixture_file(folder, shape: str, suffix: str):
    """(contract, path, frame): a fixture shape written as CSV or Parquet."""
    contract = data_contract.load(fixtures.contract_path(shape))
    frame = fixtures.table(shape)
    path = folder / f"data{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    return contract, str(path), frame


def test_categorical_columns_of_a_csv_are_read_as_text(tmp_path):
    """A code such as 007 or 408 is a category: read as text, never as a number."""
    path = tmp_path / "codes.csv"
    path.write_text("area code,x\n007,1.5\n408,2.5\n")
    contract = data_contract.from_dict(
        {
            "target": {"column": "y", "positive": 1, "negative": 0},
            "features": {"area code": {"kind": "categorical"}, "x": {"kind": "numeric"}},
        }
    )
    frame = load(str(path), contract)
    assert frame["area code"].tolist() == ["007", "408"]
    assert frame["x"].tolist() == [1.5, 2.5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("a;b;c\n1;2;3\n", "separated by ';'"),
        ("a\tb\tc\n1\t2\t3\n", "separated by '\\t'"),
        ("a,b,a\n1,2,3\n", "names these columns twice: ['a']"),
    ],
)
def test_malformed_csv_files_are_named(tmp_path, text, message):
    path = tmp_path / "table.csv"
    path.write_text(text)
    with pytest.raises(DataLoadError, match=re.escape(message)) as caught:
        read_table(str(path))
    assert str(path) in str(caught.value)


def test_a_header_only_file_is_a_table_with_no_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("x,colour,y\n")
    assert read_table(str(path)).empty


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
    contract = data_contract.load(fixtures.contract_path("wide"))
    with pytest.raises(DataLoadError, match=message) as caught:
        load(source, contract)
    assert source in str(caught.value)


@pytest.mark.parametrize("shape", fixtures.SHAPES)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunks_are_the_table_load_reads_cut_in_pieces(tmp_path, shape, suffix):
    contract, path, frame = fixture_file(tmp_path, shape, suffix)
    pieces = list(chunks(path, contract, 128))
    assert max(len(p) for p in pieces) == 128 and len(pieces) == -(-len(frame) // 128)
    whole = load(path, contract)
    joined = pd.concat(pieces, ignore_index=True)
    if suffix == ".csv":  # typed from the contract, the same in every piece
        assert len({tuple(p.dtypes) for p in pieces}) == 1
        numeric = contract.of_kind("numeric")
        pd.testing.assert_frame_equal(joined[numeric], whole[numeric].astype("float64"))
        whole = typed_by_contract(pd.read_csv(path, dtype=str), contract)
    pd.testing.assert_frame_equal(joined, whole)


def test_chunks_of_a_csv_check_its_header_first(tmp_path):
    contract = data_contract.load(fixtures.contract_path("biopsy"))
    (tmp_path / "dup.csv").write_text("a,a\n1,2\n")
    with pytest.raises(DataLoadError, match="twice"):
        list(chunks(str(tmp_path / "dup.csv"), contract, 10))
