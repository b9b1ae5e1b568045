"""Hypothesis strategies built from data contracts, never from the demo's columns.

`contracts()` draws contracts of every shape the product accepts (the task:
binary, multiclass or regression; feature kinds, missing allowed or not, labels
as text, integers or booleans, column names with spaces, dots, capitals and
non-ASCII); `tables(contract)` draws tables that meet a given contract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from workflows.domain.contract import KINDS, TASKS, Contract, Feature
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
label_sets = st.one_of(
    st.just(("low", "mid", "high")),
    st.just(("billing", "technical support", "sales", "légal")),
    st.just((1, 2, 3, 4, 5)),
)
CATEGORIES = ("red", "green", "blue", "Ünïcode", "a b")


@st.composite
def contracts(draw, min_features: int = 1, max_features: int = 6, tasks=TASKS) -> Contract:
    columns = draw(
        st.lists(names, min_size=min_features + 2, max_size=max_features + 2, unique=True)
    )
    target, ignored, *feature_names = columns
    features = tuple(
        Feature(name, draw(st.sampled_from(KINDS)), draw(st.booleans())) for name in feature_names
    )
    task = draw(st.sampled_from(tasks))
    positive, negative = draw(label_pairs) if task == "binary" else (None, None)
    classes = draw(label_sets) if task == "multiclass" else ()
    ignore = {ignored: "an identifier"} if draw(st.booleans()) else {}
    return Contract(
        target, positive, negative, features, ignore, min_rows_per_class=5, task=task,
        classes=classes,
    )  # fmt: skip


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
    classes = max(len(contract.labels), 1)
    rows = draw(st.integers(max(min_rows, classes * contract.min_rows_per_class), max_rows))
    frame = pd.DataFrame({f.name: _column(draw, f, rows) for f in contract.features})
    frame[contract.target] = _target(draw, contract, rows)
    for name in contract.ignore:
        frame[name] = [f"id-{i}" for i in range(rows)]
    return frame


def _target(draw, contract: Contract, rows: int) -> pd.Series:
    """Every label with at least min_rows_per_class rows; a regression target:
    finite, varying numbers."""
    if not contract.is_classification:
        values = draw(
            st.lists(finite, min_size=rows, max_size=rows).filter(lambda v: len(set(v)) > 1)
        )
        return pd.Series(values, dtype=float)
    least = contract.min_rows_per_class
    counts = [least] * len(contract.labels)
    for _ in range(rows - least * len(counts)):  # the rest to drawn labels: imbalance varies
        counts[draw(st.integers(0, len(counts) - 1))] += 1
    labels = [label for label, n in zip(contract.labels, counts, strict=True) for _ in range(n)]
    return pd.Series(draw(st.permutations(labels)), dtype=object).infer_objects()


@st.composite
def contracts_and_tables(draw, tasks=TASKS, **table_args) -> tuple[Contract, pd.DataFrame]:
    contract = draw(contracts(tasks=tasks))
    return contract, draw(tables(contract, **table_args))
