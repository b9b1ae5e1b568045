import re
from pathlib import Path

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
    row_groups,
    split,
    synthetic,
)
from workflows.domain.schema import is_label, validate


@settings(deadline=None)
@given(contracts_and_tables(min_rows=60, max_rows=200), st.floats(0.1, 0.5), st.integers(0, 2**31))
def test_split_keeps_every_row_once_and_the_class_ratio(drawn, test_size, seed):
    contract, frame = drawn
    frame["row_id"] = range(len(frame))
    classified = contract.is_classification
    train, test = split(frame, contract.target, test_size, seed, stratify=classified)
    assert sorted([*train.row_id, *test.row_id]) == list(range(len(frame)))

    for label in contract.labels:  # regression: no labels, a random split

        def share(part, label=label):
            return part[contract.target].map(lambda v: is_label(v, label)).mean()

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
        assert all(whole[name].dtype == "float64" for name in numeric)
    pd.testing.assert_frame_equal(joined, whole)


def test_chunks_of_a_csv_check_its_header_first(tmp_path):
    contract = data_contract.load(fixtures.contract_path("biopsy"))
    (tmp_path / "dup.csv").write_text("a,a\n1,2\n")
    with pytest.raises(DataLoadError, match="twice"):
        list(chunks(str(tmp_path / "dup.csv"), contract, 10))


# --- The table as the team wrote it -------------------------------------------------

from workflows.domain.data import DataLoadError as LoadError  # noqa: E402
from workflows.domain.data import Reading, read_with, sniff_text  # noqa: E402


def _contract(features: dict, **extra) -> data_contract.Contract:
    return data_contract.from_dict(
        {"target": {"column": "y", "positive": "yes", "negative": "no"}, "features": features,
         **extra}
    )  # fmt: skip


def test_only_an_empty_cell_is_missing_unless_the_contract_lists_tokens(tmp_path):
    path = tmp_path / "t.csv"
    rows = ["region,answer,score,y"] + [
        f"{r},{a},{s},{y}"
        for r, a, s, y in zip(["NA", "EU", "null"] * 10, ["None", "Some"] * 15,
                              ["1.5", "NA", "?"] * 10, ["yes", "no"] * 15, strict=False)
    ]  # fmt: skip
    path.write_text("\n".join(rows) + "\n")
    contract = _contract(
        {
            "region": {"kind": "categorical"},  # "NA" is North America here
            "answer": {"kind": "categorical"},
            "score": {"kind": "numeric", "missing": True, "missing_values": ["NA", "?"]},
        }
    )
    frame = read_table(str(path), contract)
    assert set(frame["region"]) == {"NA", "EU", "null"}
    assert set(frame["answer"]) == {"None", "Some"}
    assert frame["score"].isna().sum() == 20 and frame["score"].dtype == float
    validate(frame, contract)  # `missing: false` holds: no region or answer is missing


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a;b;y\n1,5;x;yes\n1.234,5;z;no\n", (";", ",", ".", "utf-8")),
        ("\ufeffa,b,y\n1.5,x,yes\n".encode(), (",", ".", "", "utf-8-sig")),
        ("a;b;y\n2,5;café;yes\n".encode("latin-1"), (";", ",", "", "latin-1")),
        (b"a\tb\ty\n1.5\tx\tyes\n", ("\t", ".", "", "utf-8")),
    ],
)
def test_the_dialect_is_sniffed(raw, expected):
    table = sniff_text(raw)
    assert (table.delimiter, table.decimal, table.thousands, table.encoding) == expected


def test_a_european_export_is_read_as_its_numbers(tmp_path):
    path = tmp_path / "eu.csv"
    lines = ["Betrag;Stadt;y"] + [
        f"{i}.234,{i % 10};{'Köln' if i % 2 else 'Zürich'};{'yes' if i % 2 else 'no'}"
        for i in range(1, 31)
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    table = data_contract.TableFormat(";", ",", ".", "cp1252")
    contract = _contract({"Betrag": {"kind": "numeric"}, "Stadt": {"kind": "categorical"}},
                         table={"delimiter": ";", "decimal": ",", "thousands": ".",
                                "encoding": "cp1252"})  # fmt: skip
    assert contract.table == table
    frame = read_table(str(path), contract)
    assert frame["Betrag"].tolist()[:2] == [1234.1, 2234.2]
    assert set(frame["Stadt"]) == {"Köln", "Zürich"}


@pytest.mark.parametrize(
    ("dialect", "written"),
    [
        # a ';' file with decimal points read against a European contract
        ({"delimiter": ";", "decimal": ",", "thousands": "."}, "0.221"),
        ({"delimiter": ";", "decimal": ",", "thousands": "."}, "55.25"),
        # a European decimal comma read against a US contract with thousands ','
        ({"delimiter": ";", "decimal": ".", "thousands": ","}, "1,5"),
    ],
)
def test_a_number_not_written_in_the_contracts_dialect_is_named_never_misread(
    tmp_path, dialect, written
):
    """pandas drops a thousands separator wherever it stands: '0.221' would be 221.
    Found by a new user: a whole table trained on such numbers, reported valid."""
    path = tmp_path / "t.csv"
    rows = ["amount;y"] + [f"{written if i == 3 else '12'};{'yes' if i % 2 else 'no'}"
                           for i in range(30)]  # fmt: skip
    path.write_text("\n".join(rows) + "\n")
    contract = _contract({"amount": {"kind": "numeric"}}, table=dialect)
    with pytest.raises(LoadError, match=f"column 'amount': 1 number.*{re.escape(repr(written))}"):
        read_table(str(path), contract)


def test_numbers_grouped_in_thousands_are_read_as_written(tmp_path):
    path = tmp_path / "t.csv"
    cells = ["1.234.567,5", "-12.345", "999", "0,25", "1234", ""]
    rows = ["amount;y"] + [f"{cells[i % 6]};{'yes' if i % 2 else 'no'}" for i in range(30)]
    path.write_text("\n".join(rows) + "\n")
    dialect = {"delimiter": ";", "decimal": ",", "thousands": "."}
    contract = _contract({"amount": {"kind": "numeric", "missing": True}}, table=dialect)
    amounts = read_table(str(path), contract)["amount"].tolist()[:6]
    assert amounts[:5] == [1234567.5, -12345.0, 999.0, 0.25, 1234.0] and pd.isna(amounts[5])


def test_leading_zeros_under_a_thousands_separator_stay_text(tmp_path):
    path = tmp_path / "t.csv"
    rows = ["account;amount;y"] + [f"{i:06d};1.000,5;{'yes' if i % 2 else 'no'}" for i in range(30)]
    path.write_text("\n".join(rows) + "\n")
    frame = read_with(str(path), Reading(data_contract.TableFormat(";", ",", ".")))
    assert frame["account"].tolist()[:2] == ["000000", "000001"]
    assert frame["amount"].tolist()[:2] == [1000.5, 1000.5]


def test_a_dialect_that_does_not_match_the_file_is_named(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_bytes("a;b;y\n1,5;café;yes\n".encode("latin-1"))
    with pytest.raises(
        LoadError, match=re.escape("separated by ';', not ','; set table.delimiter")
    ):
        read_table(str(path), _contract({"a": {"kind": "numeric"}}))
    semicolons = {"delimiter": ";", "decimal": ","}
    with pytest.raises(LoadError, match=r"not utf-8 text .*set table.encoding"):
        read_table(str(path), _contract({"a": {"kind": "numeric"}}, table=semicolons))


def test_identifiers_keep_their_exact_text(tmp_path):
    ids = ["000123", "9007199254740993", "0042", *[str(10**17 + i) for i in range(27)]]
    path = tmp_path / "t.csv"
    path.write_text("id,zip,x,y\n" + "".join(
        f"{i},{'01234' if n % 2 else '98765'},{n},{'yes' if n % 2 else 'no'}\n"
        for n, i in enumerate(ids)))  # fmt: skip
    contract = _contract({"zip": {"kind": "categorical"}, "x": {"kind": "numeric"}},
                         ignore={"id": "identifier"})  # fmt: skip
    frame = read_table(str(path), contract)
    assert frame["id"].tolist() == ids
    assert set(frame["zip"]) == {"01234", "98765"}


def _typed_parquet() -> pd.DataFrame:
    rows = 40
    return pd.DataFrame(
        {
            "y": pd.Categorical(["yes", "no"] * (rows // 2)),  # dictionary-encoded target
            "colour": pd.Categorical(["red", "blue", None, "red"] * (rows // 4)),
            "count": pd.array([1, None, 3, 4] * (rows // 4), dtype="Int64"),
            "flag": pd.array([True, False, None, True] * (rows // 4), dtype="boolean"),
            "name": pd.array(["a", "b", None, "c"] * (rows // 4), dtype="string"),
            "part": [2023, 2024] * (rows // 2),
        }
    )


TYPED = {
    "colour": {"kind": "categorical", "missing": True},
    "count": {"kind": "numeric", "missing": True},
    "flag": {"kind": "boolean", "missing": True},
    "name": {"kind": "categorical", "missing": True},
}


def test_typed_parquet_is_read_as_its_values_and_trains(tmp_path):
    from workflows.domain.training import TrainParams, train

    path = tmp_path / "t.parquet"
    _typed_parquet().drop(columns="part").to_parquet(path)
    contract = _contract(TYPED)
    frame = validate(read_table(str(path), contract), contract)
    assert frame["y"].tolist()[:2] == ["yes", "no"]
    assert frame["count"].dtype == float and frame["flag"].tolist()[:3] == [True, False, None]
    train_part, _ = split(frame, "y", 0.25, 0)
    train(train_part, contract, TrainParams(params={"max_iter": 5}))


def test_a_hive_partitioned_folder_is_one_table(tmp_path):
    folder = tmp_path / "table"
    _typed_parquet().to_parquet(folder, partition_cols=["part"])
    contract = _contract({**TYPED, "part": {"kind": "numeric"}})
    frame = validate(read_table(str(folder), contract), contract)
    assert len(frame) == 40 and sorted(set(frame["part"])) == [2023, 2024]
    assert sum(len(piece) for piece in chunks(str(folder), contract, 7)) == 40


def test_partitions_whose_columns_differ_are_refused(tmp_path):
    folder = tmp_path / "table"
    for part, column in ((1, "count"), (2, "name")):
        (folder / f"part={part}").mkdir(parents=True)
        _typed_parquet()[["y", column]].to_parquet(folder / f"part={part}" / "p.parquet")
    with pytest.raises(LoadError, match="its files have different columns"):
        read_table(str(folder), _contract({"count": {"kind": "numeric"}}))


def test_copies_of_a_row_never_straddle_the_split():
    distinct = pd.DataFrame({"x": range(60), "y": ["yes", "no", "no"] * 20})
    frame = distinct.loc[distinct.index.repeat(1 + distinct.index % 5)].reset_index(drop=True)
    groups = row_groups(frame, ["x"])
    assert groups.max() + 1 == 60
    train, test = split(frame, "y", 0.25, 0, groups)
    assert not set(train["x"]) & set(test["x"])
    assert len(train) + len(test) == len(frame)
    assert set(test["y"]) == {"yes", "no"}


@settings(deadline=None, max_examples=40)
@given(
    st.sampled_from([(",", "."), (";", ","), (";", "."), ("\t", "."), ("|", ",")]),
    st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 3)), min_size=5,
             max_size=30),
    st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]),
)  # fmt: skip
def test_a_table_written_in_any_dialect_is_sniffed_and_read_back(dialect, numbers, encoding):
    import io
    import tempfile

    delimiter, decimal = dialect
    frame = pd.DataFrame(
        {"amount": [n + 0.5 for n in numbers], "town": ["Zürich", "Köln"] * (len(numbers) // 2)
         + ["Genève"] * (len(numbers) % 2), "y": ["yes", "no"] * (len(numbers) // 2)
         + ["yes"] * (len(numbers) % 2)}
    )  # fmt: skip
    buffer = io.StringIO()
    frame.to_csv(buffer, sep=delimiter, decimal=decimal, index=False)
    table = sniff_text(buffer.getvalue().encode(encoding))
    assert (table.delimiter, table.decimal) == dialect
    assert table.encoding == encoding
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))
        read = read_with(str(path), Reading(table, text=("town", "y")))
    pd.testing.assert_frame_equal(read, frame, check_dtype=False)


def test_csv_text_in_memory_is_read_as_the_same_bytes_in_a_file(tmp_path):
    """A text/csv request body (make serve) and a .csv file (make score) holding the
    same bytes are read alike: dialect, missing cells, text kept as written, types;
    a problem names the text as it would name the file."""
    from workflows.domain.contract import Contract, Feature, TableFormat
    from workflows.domain.data import CsvText, DataLoadError, read_table

    features = (
        Feature("n", "numeric", True, ("?",)), Feature("c", "categorical", True),
        Feature("b", "boolean", True), Feature("d", "datetime", True),
    )  # fmt: skip
    table = TableFormat(delimiter=";", decimal=",", thousands=".")
    contract = Contract("y", "p", "n", features, table=table)
    body = b"n;c;b;d;y\n1.234,5;007;true;2024-03-01;p\n?;NA;;;n\n"
    path = tmp_path / "rows.csv"
    path.write_bytes(body)
    from_text = read_table(CsvText(body), contract)
    pd.testing.assert_frame_equal(from_text, read_table(str(path), contract))
    assert from_text["n"].tolist()[0] == 1234.5 and from_text["c"].tolist() == ["007", "NA"]
    with pytest.raises(DataLoadError, match=r"^'the request body': the header"):
        read_table(CsvText(b"n,c,b,d,y\n1,x,true,2024-03-01,p\n"), contract)
