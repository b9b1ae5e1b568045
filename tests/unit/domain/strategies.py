"""Hypothesis strategies built from data contracts, never from the demo's columns.

`contracts()` draws contracts of every shape the product accepts (feature
kinds, missing allowed or not, labels as text, integers or booleans, column
names with spaces, dots, capitals and non-ASCII); `tables(contract)` draws
tables that meet a given contract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from workflows.domain.contract import KINDS, Contract, Feature
from workflows.domain.schema import MIN_ROWS

finite = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False, width=64)
names = st.text(
    st.characters(categories=("L", "N"), include_characters=" ._-()é"), min_size=1, max_size=12
).filter(lambda n: n.strip() == n)
label_pairs = st.one_of(
    st.tuples(st.just("Yes"), st.just("No")),
    st.tuples(st.just("malignant"), st.just("benign")),
    st.tuples(st.just(1), st.just(0)),
    st.tuples(st.just(True), st.just(False)),
)
CATEGORIES = ("red", "green", "blue", "Ünïcode", "a b")


@st.composite
def contracts(draw, min_features: int = 1, max_features: int = 6) -> Contract:
    columns = draw(
        st.lists(names, min_size=min_features + 2, max_size=max_features + 2, unique=True)
    )
    target, ignored, *feature_names = columns
    features = tuple(
        Feature(name, draw(st.sampled_from(KINDS)), draw(st.booleans())) for name in feature_names
    )
    positive, negative = draw(label_pairs)
    ignore = {ignored: "an identifier"} if draw(st.booleans()) else {}
    return Contract(target, positive, negative, features, ignore, min_rows_per_class=5)


def _column(draw, feature: Feature, rows: int) -> pd.Series:
    if feature.kind == "numeric":
        values = draw(st.lists(finite, min_size=rows, max_size=rows))
        series = pd.Series(values, dtype=float)
    elif feature.kind == "categorical":
        series = pd.Series(
            draw(st.lists(st.sampled_from(CATEGORIES), min_size=rows, max_size=rows)), dtype=object
        )
    elif feature.kind == "datetime":
        days = draw(st.lists(st.integers(0, 3000), min_size=rows, max_size=rows))
        zone = draw(st.sampled_from(["", "T08:30:00Z", "T23:59:59+02:00"]))
        dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D")
        series = pd.Series([f"{d:%Y-%m-%d}{zone}" for d in dates], dtype=object)
    else:
        series = pd.Series(
            draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype=object
        )
    if feature.missing:
        # At most all rows but one: an entirely empty feature is refused by design.
        holes = draw(st.lists(st.integers(0, rows - 1), max_size=rows // 3, unique=True))
        series = series.astype(object) if feature.kind != "numeric" else series
        series.iloc[holes] = np.nan if feature.kind == "numeric" else None
    return series


@st.composite
def tables(draw, contract: Contract, min_rows: int = MIN_ROWS, max_rows: int = 80) -> pd.DataFrame:
    rows = draw(st.integers(max(min_rows, 2 * contract.min_rows_per_class), max_rows))
    frame = pd.DataFrame({f.name: _column(draw, f, rows) for f in contract.features})
    positives = draw(st.integers(contract.min_rows_per_class, rows - contract.min_rows_per_class))
    labels = [contract.positive] * positives + [contract.negative] * (rows - positives)
    frame[contract.target] = pd.Series(draw(st.permutations(labels)), dtype=object).infer_objects()
    for name in contract.ignore:
        frame[name] = [f"id-{i}" for i in range(rows)]
    return frame


@st.composite
def contracts_and_tables(draw, **table_args) -> tuple[Contract, pd.DataFrame]:
    contract = draw(contracts())
    return contract, draw(tables(contract, **table_args))
