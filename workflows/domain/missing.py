"""What a missing value is, for each kind of feature, and the rows the model takes. Pure.

`make serve` and `make score` both call `model_rows` on rows that passed the
contract's validation, right before the model: a row then gets the same answer
whichever way it came (a JSON body or a table read in chunks).

A value is missing when it is None, NaN, pandas' NA or NaT, whatever the kind;
nothing else is (not an empty text, not False, not 0). Each kind then has one
marker for it, the one the model's Pipeline treats as missing:

    numeric      float64, missing = NaN          (ints become floats: 3 -> 3.0)
    categorical  text or NaN                     (an unseen category is the model's business)
    boolean      True / False or NaN             (never False: that is a value)

A request's `""` (or a column's own `missing_values` token) is missing too, as
the CSV make score reads holds it: workflows/domain/request.py `as_table_cells`
turns it into None before validation, so it is a cell, not a value, that is
read that way.

Before this, a served boolean left empty was cast to False by MLflow's schema
enforcement while batch scoring kept it missing: two answers for one row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from workflows.domain.contract import Contract

KINDS_OF_MISSING = "None, NaN, NA or NaT"


def is_missing(value: object) -> bool:
    """True for None, NaN, pandas' NA and NaT; False for every other value."""
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: a value, not a missing one
        return False


def model_rows(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """The contract's feature columns of `frame`, in the contract's order, each
    with its kind's marker for a missing value (table above).

    `frame` has passed schema.validate: every feature is present and its present
    values are of its kind. Extra columns (ignored ones, the target) are left out.
    """
    import numpy as np
    import pandas as pd

    from workflows.domain.schema import plain_numbers

    numbers = plain_numbers(frame, contract.features)
    if len(numbers) == len(contract.features):  # numbers only: one float block, one copy
        block = frame[numbers].to_numpy(dtype="float64")
        return pd.DataFrame(block, columns=numbers, index=frame.index)
    columns = {}
    for feature in contract.features:
        column = frame[feature.name]
        kind = getattr(column.dtype, "kind", "")  # numpy's own dtypes only, not pandas' Int64
        if feature.kind == "numeric" and kind == "f" and isinstance(column.dtype, np.dtype):
            columns[feature.name] = column.to_numpy(dtype="float64")  # already one marker: NaN
            continue
        if (
            feature.kind == "numeric"
            and kind in "iu"
            and kind
            and isinstance(column.dtype, np.dtype)
        ):
            columns[feature.name] = column.to_numpy(dtype="float64")  # never missing
            continue
        absent = column.isna().to_numpy()
        if feature.kind == "numeric":
            # NaT as a number would be -9.2e18: every missing value becomes NaN first.
            present = column.astype(object).where(~absent, np.nan)
            columns[feature.name] = pd.to_numeric(present, errors="raise").astype("float64")
        else:
            values = column.astype(object).to_numpy(copy=True)
            if feature.kind == "boolean":  # numpy's bool_ as Python's: one kind of True
                values = np.array(
                    [v if a else bool(v) for v, a in zip(values, absent, strict=True)], object
                )
            values[absent] = np.nan
            columns[feature.name] = values
    return pd.DataFrame(columns, index=frame.index)
