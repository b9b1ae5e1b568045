"""The request side of serving: the OpenAPI request schema and answer of
POST /invocations, and a request's rows read as the cells of a table to score."""

from __future__ import annotations

import pytest


def test_the_request_schema_documents_each_column_its_kind_and_missing():
    from workflows.domain.contract import Contract, Feature
    from workflows.domain.request import request_schema

    contract = Contract(
        "y", 1, 0, (Feature("age", "numeric", False), Feature("plan", "categorical", True))
    )
    schema = request_schema(contract)["content"]["application/json"]["schema"]
    records = schema["oneOf"][0]["properties"]["dataframe_records"]["items"]
    assert records["required"] == ["age", "plan"]
    assert records["properties"]["age"] == {
        "type": "number",
        "description": "numeric; never missing",
    }
    assert records["properties"]["plan"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert records["properties"]["plan"]["description"] == "categorical; may be missing (null)"


@pytest.mark.parametrize(
    ("task", "classes", "columns"),
    [
        ("binary", (), "label, probability"),
        ("multiclass", ("low", "mid grade", "high"),
         "label, probability_low, probability_mid_grade, probability_high"),
        ("regression", (), "prediction"),
    ],
)  # fmt: skip
def test_the_openapi_page_says_what_each_task_answers(task, classes, columns):
    from workflows.domain.contract import Contract, Feature
    from workflows.domain.request import answer_description

    binary = task == "binary"
    contract = Contract(
        "grade", "yes" if binary else None, "no" if binary else None,
        (Feature("age", "numeric", False),), task=task, classes=classes,
    )  # fmt: skip
    assert answer_description(contract) == (
        f"{task} model of 'grade': rows in; per row out: {columns}."
    )


def test_whole_numbers_sent_for_a_categorical_column_are_its_codes_as_written():
    """Found by a new user: `"Cylinders": 4` was refused by make serve while make
    score, reading "4" from the CSV, scored the same row."""
    import numpy as np
    import pandas as pd

    from workflows.domain.contract import Contract, Feature
    from workflows.domain.request import as_table_cells

    contract = Contract(
        "y", 1, 0,
        (Feature("cylinders", "categorical", True), Feature("size", "numeric", False)),
    )  # fmt: skip
    sent = pd.DataFrame(
        {"cylinders": [4, 6.0, np.nan, "rotary", 4.5, True], "size": [1, 2, 3, 4, 5, 6]}
    )
    rows = as_table_cells(sent, contract)
    codes = rows["cylinders"].tolist()
    assert codes[:2] == ["4", "6"] and pd.isna(codes[2]) and codes[3:] == ["rotary", 4.5, True]
    assert rows["size"].tolist() == [1, 2, 3, 4, 5, 6]  # numeric columns untouched
    assert sent["cylinders"].tolist()[:2] == [4, 6.0]  # the request itself unchanged
    floats = as_table_cells(pd.DataFrame({"cylinders": [4.0, None], "size": [1, 2]}), contract)
    assert floats["cylinders"].iloc[0] == "4" and pd.isna(floats["cylinders"].iloc[1])


def test_a_date_sent_as_a_number_is_the_text_a_table_holds_for_it():
    """`"signup": 20240301` was refused by make serve while make score read the CSV
    cell as the text "20240301", an ISO 8601 basic date."""
    import pandas as pd

    from workflows.domain.contract import Contract, Feature
    from workflows.domain.request import as_table_cells

    contract = Contract("y", 1, 0, (Feature("signup", "datetime", True),))
    sent = pd.DataFrame({"signup": [20240301, 20240301.0, "2024-03-01", 2024.5, None]})
    cells = as_table_cells(sent, contract)["signup"].tolist()
    assert cells[:4] == ["20240301", "20240301", "2024-03-01", 2024.5] and cells[4] is None


def test_a_text_the_contract_reads_as_missing_is_missing_in_a_request_too():
    """Found by the parity property: `""` was refused by make serve (not a number,
    not a date, not true/false) or taken as a category, while the CSV make score
    reads cannot tell "" from no value. A column's own missing_values count too."""
    import pandas as pd

    from workflows.domain.contract import Contract, Feature
    from workflows.domain.request import as_table_cells

    features = (
        Feature("n", "numeric", True, ("?",)), Feature("c", "categorical", True, ("NA",)),
        Feature("b", "boolean", True), Feature("d", "datetime", False),
    )  # fmt: skip
    contract = Contract("y", 1, 0, features, ignore={"id": ""})
    sent = pd.DataFrame(
        {"n": ["", "?", 1.5, "NA"], "c": ["", "NA", "?", " "], "b": ["", True, False, None],
         "d": ["", "2024-03-01", "?", "2024-03-01"], "id": ["", "a", "b", "c"]}
    )  # fmt: skip
    cells = as_table_cells(sent, contract)
    assert cells["n"].tolist() == [None, None, 1.5, "NA"]  # "NA": not this column's token
    assert cells["c"].tolist() == [None, None, "?", " "]  # only the exact cell
    assert cells["b"].tolist() == [None, True, False, None]
    assert cells["d"].tolist() == [None, "2024-03-01", "?", "2024-03-01"]
    assert cells["id"].tolist() == ["", "a", "b", "c"]  # not a feature: left as sent
    assert sent["n"].tolist()[0] == ""  # the request itself unchanged
    plain = pd.DataFrame({"n": [1.0], "c": ["x"], "b": [True], "d": ["2024-03-01"]})
    assert as_table_cells(plain, contract) is plain  # nothing to change: no copy


def test_the_request_schema_covers_every_kind_of_feature():
    """A contract with a date column made the app's OpenAPI schema raise KeyError."""
    from workflows.domain.contract import KINDS, Contract, Feature
    from workflows.domain.request import request_schema

    features = tuple(Feature(f"c_{kind}", kind, False) for kind in KINDS)
    schema = request_schema(Contract("y", 1, 0, features))["content"]["application/json"]
    records = schema["schema"]["oneOf"][0]["properties"]["dataframe_records"]["items"]
    assert records["properties"]["c_datetime"]["type"] == "string"
    assert set(records["required"]) == {f.name for f in features}
