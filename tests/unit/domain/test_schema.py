"""Validation against a data contract: any table meeting it passes unchanged,
every problem is named with its column, and nothing is coerced."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.unit.domain.strategies import contracts_and_tables
from workflows.domain.contract import Contract, Feature
from workflows.domain.schema import DataValidationError, validate

examples = settings(deadline=None)


def problems_of(frame, contract) -> dict[str, str]:
    """Column -> its problems, joined by " | "."""
    with pytest.raises(DataValidationError) as caught:
        validate(frame, contract, "contract.yaml")
    found: dict[str, list[str]] = {}
    for column, problem in caught.value.problems:
        found.setdefault(column, []).append(problem)
    return {column: " | ".join(problems) for column, problems in found.items()}


@examples
@given(contracts_and_tables())
def test_any_table_meeting_the_contract_passes_unchanged(drawn):
    contract, frame = drawn
    expected = frame.copy()
    validated = validate(frame, contract)
    pd.testing.assert_frame_equal(validated, expected)  # same values, same dtypes


@examples
@given(contracts_and_tables(), st.data())
def test_a_missing_column_is_named_with_the_contract_file(drawn, data):
    contract, frame = drawn
    column = data.draw(st.sampled_from(contract.columns))
    with pytest.raises(DataValidationError) as caught:
        validate(frame.drop(columns=column), contract, "path/to/contract.yaml")
    assert caught.value.problems[0] == (column, "missing from the table")
    assert "path/to/contract.yaml" in str(caught.value) and "make contract" in str(caught.value)


@examples
@given(contracts_and_tables(), st.text(min_size=1, max_size=12))
def test_an_extra_column_is_named(drawn, column):
    contract, frame = drawn
    if column in frame.columns:
        return
    frame[column] = 1.0
    assert problems_of(frame, contract) == {column: "unexpected column (not in the contract)"}


@examples
@given(contracts_and_tables(), st.data())
def test_a_missing_value_where_the_contract_forbids_it_is_named(drawn, data):
    contract, frame = drawn
    strict = [f.name for f in contract.features if not f.missing] + [contract.target]
    column = data.draw(st.sampled_from(strict))
    frame[column] = frame[column].astype(object)
    frame.loc[data.draw(st.integers(0, len(frame) - 1)), column] = None
    found = problems_of(frame, contract)
    assert list(found) == [column]
    assert "missing value" in found[column]


@examples
@given(contracts_and_tables(), st.data())
def test_text_in_a_numeric_column_is_named_not_coerced(drawn, data):
    contract, frame = drawn
    numeric = contract.of_kind("numeric")
    if not numeric:
        return
    column = data.draw(st.sampled_from(numeric))
    text = data.draw(st.sampled_from(["abc", "1,5", "n/a", "--"]))
    frame[column] = frame[column].astype(object)
    frame.loc[data.draw(st.integers(0, len(frame) - 1)), column] = text
    found = problems_of(frame, contract)
    assert list(found) == [column]
    assert "not numbers" in found[column] and repr(text) in found[column]


@examples
@given(contracts_and_tables(tasks=("binary", "multiclass")), st.data())
def test_a_third_target_value_is_refused(drawn, data):
    contract, frame = drawn
    bad = data.draw(st.sampled_from(["maybe", 0.5, 7, -1.0]))
    frame[contract.target] = frame[contract.target].astype(object)
    frame.loc[data.draw(st.integers(0, len(frame) - 1)), contract.target] = bad
    found = problems_of(frame, contract)
    assert list(found) == [contract.target]
    assert "other than the contract's labels" in found[contract.target]
    assert repr(bad) in found[contract.target]


def numeric_contract(**target) -> Contract:
    return Contract(
        target=target.get("column", "y"),
        positive=target.get("positive", 1),
        negative=target.get("negative", 0),
        features=(Feature("x", "numeric", False), Feature("colour", "categorical", False)),
        min_rows_per_class=10,
    )


def numeric_table(rows: int = 60) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": np.linspace(-1, 1, rows),
            "colour": ["red", "blue"] * (rows // 2),
            "y": [0, 1] * (rows // 2),
        }
    )


def test_a_fractional_target_is_refused_not_truncated():
    """0.0/0.5/1.0 once trained a model: int coercion truncated 0.5 to 0."""
    frame = numeric_table()
    frame["y"] = frame["y"].astype(float)
    frame.loc[3, "y"] = 0.5
    found = problems_of(frame, numeric_contract())
    assert "0.5" in found["y"]


def test_lossless_number_types_are_accepted_as_they_are():
    frame = numeric_table()
    frame["y"] = frame["y"].astype(float)  # 1.0 is the label 1
    frame["x"] = range(len(frame))  # integers are numbers
    assert validate(frame, numeric_contract()) is frame


def test_text_labels_do_not_match_numbers():
    frame = numeric_table()
    frame["y"] = frame["y"].astype(str)  # "1" is not the label 1
    assert "'1'" in problems_of(frame, numeric_contract())["y"]


def test_values_beyond_float32_are_named_before_training():
    """A value above 3.4e38 once failed inside `train` with a bare ValueError."""
    frame = numeric_table()
    frame.loc[5, "x"] = 1e39
    assert "beyond" in problems_of(frame, numeric_contract())["x"]


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_values_are_named(bad):
    frame = numeric_table()
    frame.loc[0, "x"] = bad
    assert "infinite" in problems_of(frame, numeric_contract())["x"]


def test_non_text_in_a_categorical_column_is_named():
    frame = numeric_table()
    frame["colour"] = frame["colour"].astype(object)
    frame.loc[[1, 2], "colour"] = [3, 4.5]
    found = problems_of(frame, numeric_contract())
    assert "not text" in found["colour"] and "3" in found["colour"]


def test_an_entirely_empty_feature_is_named():
    frame = numeric_table()
    frame["x"] = np.nan
    assert problems_of(frame, numeric_contract())["x"] == "entirely empty: every value is missing"


def test_missing_labels_are_reported_as_missing():
    """Blank target cells were once reported as "non-numeric values, e.g. nan"."""
    frame = numeric_table()
    frame.loc[[0, 1], "y"] = np.nan
    found = problems_of(frame, numeric_contract())["y"]
    assert found.startswith("2 missing value(s)") and "nan" not in found


def test_too_few_rows_of_a_label_are_named():
    frame = numeric_table()
    frame["y"] = [0] * (len(frame) - 4) + [1] * 4
    assert "1: 4" in problems_of(frame, numeric_contract())["y"]


def test_one_label_only_is_refused():
    frame = numeric_table()
    frame["y"] = 0
    assert "1: 0" in problems_of(frame, numeric_contract())["y"]


def test_duplicated_columns_are_named():
    frame = numeric_table()
    frame.columns = ["x", "x", "y"]
    found = problems_of(frame, numeric_contract())
    assert found["x"] == "the column name appears more than once"


def test_column_and_value_problems_come_together():
    frame = numeric_table().drop(columns="colour")
    frame["extra"] = 1
    frame.loc[0, "x"] = np.nan
    frame.loc[1, "y"] = 3
    found = problems_of(frame, numeric_contract())
    assert set(found) == {"colour", "extra", "x", "y"}


# Column names as tables have them: one line each, and not the table-level marker.
_NAMES = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=8
).filter(lambda name: name != "(table)")


@examples
@given(st.lists(_NAMES, min_size=1, max_size=6, unique=True))
def test_the_first_line_names_the_columns_at_fault(columns):
    """What a command prints as its one `error:` line is enough on its own."""
    first = str(DataValidationError([(c, "a problem") for c in columns])).splitlines()[0]
    assert all(repr(c) in first for c in columns[:3])
    more = f"and {len(columns) - 3} more (" if len(columns) > 3 else None
    assert (more in first) if more else first.endswith(f"({len(columns)} problem(s)):")


def test_a_table_level_problem_names_the_table():
    first = str(DataValidationError([("(table)", "10 row(s)")])).splitlines()[0]
    assert first.startswith("data validation failed for the table")


def test_too_few_rows_are_named():
    assert "(table)" in problems_of(numeric_table(10), numeric_contract())


def test_numbers_stored_as_text_are_named_not_parsed():
    frame = numeric_table()
    frame["x"] = frame["x"].map(str)
    assert "stored as text" in problems_of(frame, numeric_contract())["x"]


@examples
@given(contracts_and_tables(), st.data())
def test_rows_to_score_may_lack_the_target_but_not_a_feature(drawn, data):
    contract, frame = drawn
    unlabelled = frame.drop(columns=contract.target).head(3)  # any row count is fine
    assert validate(unlabelled, contract, scoring=True) is unlabelled
    feature = data.draw(st.sampled_from(contract.feature_names))
    with pytest.raises(DataValidationError) as caught:
        validate(unlabelled.drop(columns=feature), contract, scoring=True)
    assert caught.value.problems == [(feature, "missing from the table")]


def test_one_odd_cell_in_a_boolean_column_is_named_alone():
    """Found by a new user: one "perhaps" made all 1500 rows "not true/false"."""
    contract = Contract("y", 1, 0, (Feature("flag", "boolean", False),), min_rows_per_class=10)
    frame = pd.DataFrame({"flag": ["True", "False"] * 30, "y": [0, 1] * 30})  # as a CSV reads it
    frame.loc[7, "flag"] = "perhaps"
    assert (
        problems_of(frame, contract)["flag"] == "1 value(s) that are not true/false, e.g. 'perhaps'"
    )


def _one_feature(feature: Feature, values: list) -> tuple[pd.DataFrame, Contract]:
    rows = len(values)
    frame = pd.DataFrame({feature.name: values, "y": ["a", "b"] * (rows // 2)})
    return frame, Contract("y", "a", "b", (feature,), min_rows_per_class=2)


@pytest.mark.parametrize(
    ("feature", "values", "message"),
    [
        (Feature("when", "datetime", False), ["2024-01-31", "31/01/2024"] * 12,
         "12 value(s) that are not ISO dates (YYYY-MM-DD, optionally a time and a zone), "
         "e.g. '31/01/2024'"),
        (Feature("when", "datetime", False), ["2024-01-31T10:00:00+01:00", "2024-02-01T10:00"] * 12,
         "mixes date-times with a time zone (e.g. '2024-01-31T10:00:00+01:00') and without "
         "(e.g. '2024-02-01T10:00')"),
        (Feature("size", "numeric", True, ("?",)), [None] * 24,
         "every value is missing: its missing_values ['?'] and empty cells cover the whole "
         "column"),
        (Feature("size", "numeric", False), ["1,5", "2,25"] * 12,
         "they look like decimal commas: set table: {decimal: ','}"),
        # A marker the contract does not list is named with the edit that lists it.
        (Feature("size", "numeric", False), ["1.5", "NA", "2", " ? "] * 6,
         "if '?', 'NA' stand for no value, set `missing: true` and `missing_values: "
         "['?', 'NA']` for this column"),
        # Found by a new user: one word among decimal commas was counted as 506.
        (Feature("size", "numeric", False), ["6,575"] * 22 + ["six", "7,185"],
         "1 value(s) that are not numbers, e.g. 'six'; its other 23 text value(s) are "
         "numbers with a decimal comma"),
        (Feature("when", "datetime", False), ["2024-01-31", "n/a"] * 12,
         "if 'n/a' stand for no value"),
        (Feature("member", "boolean", False), [True, "null", False] * 8,
         "if 'null' stand for no value"),
    ],
)  # fmt: skip
def test_bad_dates_tokens_and_decimals_are_named_with_the_column(feature, values, message):
    frame, contract = _one_feature(feature, values)
    with pytest.raises(DataValidationError) as caught:
        validate(frame, contract)
    assert f"column {feature.name!r}" in str(caught.value).splitlines()[0]
    assert message in str(caught.value)


def test_a_real_word_among_the_markers_gets_no_missing_value_hint():
    frame, contract = _one_feature(Feature("size", "numeric", False), ["1.5", "NA", "ten"] * 8)
    with pytest.raises(DataValidationError) as caught:
        validate(frame, contract)
    assert "e.g. 'NA', 'ten'" in str(caught.value)
    assert "stand for no value" not in str(caught.value)


def test_dates_in_one_zone_or_none_pass_as_text():
    for values in (["2024-01-31", None], ["2024-01-31T10:00:00Z", "2024-06-01T10:00:00+02:00"]):
        frame, contract = _one_feature(Feature("when", "datetime", True), values * 12)
        validate(frame, contract)


# A request's values as JSON and tables give them, good and bad, for every kind.
_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e39, -1e39, "1.5", "true", "False", "yes", "", "2024-03-01", np.nan]),
    st.text(max_size=5),
)


@settings(deadline=None, max_examples=400)
@given(
    st.sampled_from(["numeric", "categorical", "boolean", "datetime"]),
    st.booleans(),
    st.one_of(  # mixed, and of one kind (with missing ones), as most columns are
        *(
            st.lists(values, min_size=1, max_size=6)
            for values in (
                _ANY_VALUE,
                st.floats() | st.none(),
                st.integers(-(2**40), 2**40),
                st.booleans() | st.none(),
                st.text(max_size=3) | st.none(),
            )
        )
    ),
    st.sampled_from([None, "float64", "int64", "bool", "string"]),
)
def test_the_quick_check_of_a_request_never_passes_what_the_full_check_refuses(
    kind, may_be_missing, values, dtype
):
    """The served path skips pandas' masks where `_surely_clean` says a column has
    no problem: that must never let through a value the full check names."""
    from workflows.domain.schema import _feature_problems, _surely_clean

    try:
        column = pd.Series(values, dtype=dtype) if dtype else pd.Series(values)
    except (TypeError, ValueError, OverflowError):
        column = pd.Series(values, dtype=object)
    feature = Feature(name="x", kind=kind, missing=may_be_missing)
    if _surely_clean(column, feature):
        assert _feature_problems(column, feature, True) == []


_NUMBER = st.one_of(
    st.floats(), st.integers(-(2**40), 2**40), st.sampled_from([1e39, -1e39, np.nan])
)


@settings(deadline=None, max_examples=200)
@given(
    st.lists(st.tuples(st.booleans(), st.sampled_from([None, "float64", "int64"])), min_size=1,
             max_size=4),
    st.data(),
)  # fmt: skip
def test_the_block_check_of_numbers_never_passes_what_the_full_check_refuses(specs, data):
    """Requests' number columns are checked together on one float array
    (`_clean_numbers`): a column it passes must have no problem in the full check."""
    from workflows.domain.schema import _clean_numbers, _feature_problems

    rows = data.draw(st.integers(1, 5))
    features, columns = [], {}
    for index, (may_be_missing, dtype) in enumerate(specs):
        values = data.draw(st.lists(_NUMBER, min_size=rows, max_size=rows))
        try:
            column = pd.Series(values, dtype=dtype) if dtype else pd.Series(values)
        except (TypeError, ValueError, OverflowError):
            column = pd.Series(values, dtype=object)
        name = f"x{index}"
        features.append(Feature(name=name, kind="numeric", missing=may_be_missing))
        columns[name] = column
    frame = pd.DataFrame(columns)
    for name in _clean_numbers(frame, features):
        feature = next(f for f in features if f.name == name)
        assert _feature_problems(frame[name], feature, True) == []


@examples
@given(contracts_and_tables(), st.data())
def test_the_first_row_at_fault_is_the_first_bad_cell_wherever_it_is(drawn, data):
    """Rows to score are checked in pieces of 100,000: a refusal said only "in
    rows 1-100000", where a team needs the row to fix."""
    from workflows.domain.schema import first_row_at_fault

    contract, frame = drawn
    frame = frame.drop(columns=contract.target)
    assert first_row_at_fault(frame, contract) is None  # nothing at fault
    strict = [f.name for f in contract.features if not f.missing]
    numeric = contract.of_kind("numeric")
    assume(strict + numeric)
    rows = data.draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=3))
    for row in rows:  # a cell missing where it may not be, or text in a number column
        column = data.draw(st.sampled_from(strict + numeric))
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = None if column in strict else "n/a"
    assert first_row_at_fault(frame, contract) == min(rows) + 1
    with pytest.raises(DataValidationError) as refused:  # the caller's own refusal, reused
        validate(frame, contract, scoring=True)
    assert first_row_at_fault(frame, contract, refused=refused.value) == min(rows) + 1


def test_a_number_column_read_as_text_names_the_row_of_its_word():
    """A CSV's number column with one word in it is read as text: every other
    cell is then a "number stored as text", which is no fault of its own row."""
    from workflows.domain.schema import first_row_at_fault

    contract = Contract("y", 1, 0, (Feature("a", "numeric", False), Feature("b", "numeric", True)))
    frame = pd.DataFrame({"a": ["1.5", "2", "abc", "4"], "b": [1.0, None, 2.0, 3.0]})
    assert first_row_at_fault(frame, contract) == 3


def test_no_row_is_named_when_the_columns_themselves_are_at_fault():
    from workflows.domain.schema import first_row_at_fault

    contract = Contract("y", 1, 0, (Feature("a", "numeric", False),))
    assert first_row_at_fault(pd.DataFrame({"b": [1.0, 2.0]}), contract) is None
