"""What a request to the served model is: the OpenAPI request schema of
POST /invocations and its answer, from the contract, and a request's rows read
as the cells of a table to score. Pure.

The server (workflows/serving/app.py, hosting.py) documents and reads requests
with these; workflows/domain/serving.py is the Kubernetes side of serving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from workflows.domain.contract import Contract

# Every contract kind (a date travels as its ISO text, as in the table).
_JSON_TYPES = {
    "numeric": "number",
    "categorical": "string",
    "boolean": "boolean",
    "datetime": "string",
}


def as_table_cells(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """A request's rows as the cells of a table to score (what the contract's CSV
    reader gives, data.read_table), so a JSON body and a table give a row the same
    answer and the same refusal. JSON tells apart what a CSV cell cannot:

    - a text the contract reads as missing in a column (an empty cell always, and
      the feature's own `missing_values`) is missing, whatever the kind: `""` sent
      for a number, a category, a date or true/false is no value, as in the table;
    - a whole number in a categorical or datetime column is the text a CSV holds
      for it (4 and 4.0 -> "4", 20240301 -> "20240301", ISO 8601's basic date):
      JSON has one kind of number, the table keeps these columns as text.

    Every other value is left as it is, for validation to name (4.5 in a
    categorical column, 1709251200 in a datetime one). `frame` itself is not
    changed; it is returned as it is when no cell changes (no copy)."""
    import pandas as pd

    from workflows.domain.schema import column_dtypes

    dtypes = column_dtypes(frame)
    if dtypes is None:  # a column named twice: validation says so
        return frame
    as_text = set(contract.of_kind("categorical") + contract.of_kind("datetime"))
    # Columns of numbers, true/false or timestamps only hold no text and no code;
    # an absent column is validation's to name.
    read = [
        (feature.name, feature.name in as_text)
        for feature in contract.features
        if feature.name in dtypes
        and (
            dtypes[feature.name].kind == "O"  # Python objects, or pandas' text (str) dtype
            or (feature.name in as_text and dtypes[feature.name].kind in "iuf")
        )
    ]
    if not read:
        return frame
    tokens = contract.missing_values()
    changed = {}
    for name, text in read:
        column = frame[name]
        marks = tokens[name]
        values = column.tolist()
        cells = [_cell(v, marks, text) for v in values]
        if any(c is not v for c, v in zip(cells, values, strict=True)):
            changed[name] = pd.Series(cells, index=column.index, dtype=object)
    if not changed:
        return frame
    out = frame.copy()
    for name, column in changed.items():
        out[name] = column
    return out


def _cell(value, missing_marks: list[str], text: bool):
    """One value as a table cell holds it (as_table_cells); `value` itself when unchanged."""
    import numbers

    if type(value) is str:
        return None if value in missing_marks else value
    if not text or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    if isinstance(value, numbers.Integral) or float(value).is_integer():
        return str(int(value))
    return value


def answer_description(contract: Contract) -> str:
    """What POST /invocations answers for each row, by the contract's task."""
    from workflows.domain.model import output_columns

    columns = ", ".join(output_columns(contract.task, contract.labels))
    return f"{contract.task} model of {contract.target!r}: rows in; per row out: {columns}."


def request_schema(contract: Contract) -> dict:
    """The OpenAPI requestBody of POST /invocations: MLflow's `dataframe_records`
    and `dataframe_split`, each column with its kind and whether it may be missing."""
    columns = {}
    for feature in contract.features:
        kind = {"type": _JSON_TYPES[feature.kind]}
        may = "may be missing (null)" if feature.missing else "never missing"
        columns[feature.name] = {
            **({"anyOf": [kind, {"type": "null"}]} if feature.missing else kind),
            "description": f"{feature.kind}; {may}",
        }
    names = contract.feature_names
    records = {
        "type": "array",
        "items": {"type": "object", "properties": columns, "required": names},
    }
    split = {
        "type": "object",
        "properties": {
            "columns": {"type": "array", "items": {"type": "string", "enum": names}},
            "data": {
                "type": "array",
                "items": {"type": "array", "prefixItems": list(columns.values())},
            },
        },
        "required": ["columns", "data"],
    }
    body = {
        "oneOf": [
            {
                "type": "object",
                "properties": {"dataframe_records": records},
                "required": ["dataframe_records"],
            },
            {
                "type": "object",
                "properties": {"dataframe_split": split},
                "required": ["dataframe_split"],
            },
        ]
    }
    return {"required": True, "content": {"application/json": {"schema": body}}}
