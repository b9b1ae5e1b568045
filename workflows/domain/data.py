"""Load a table and split it, stratified. Pure: no Flyte, no MLflow.

Sources: the embedded demo (`builtin:breast_cancer`), `synthetic:<rows>`
(generated from the data contract), or a CSV/Parquet path or URI.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workflows.domain.errors import PipelineError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

    from workflows.domain.contract import Contract

BUILTIN = "builtin:breast_cancer"
SYNTHETIC_PREFIX = "synthetic:"
# The demo: scikit-learn's copy of the Wisconsin diagnostic breast-cancer table,
# with its labels by name, as the original table has them.
DEMO_TARGET = "diagnosis"
DEMO_POSITIVE = "malignant"
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}


class DataLoadError(PipelineError, ValueError):
    """The data source cannot be read; the message names the source."""


def load(source: str, contract: Contract | None = None, seed: int = 0) -> pd.DataFrame:
    """Read `source` as it is. Categorical columns of a CSV are read as text
    (a CSV holds text; "007" stays "007"), everything else as pandas infers it."""
    if source in ("", BUILTIN):
        return demo()
    if source.startswith(SYNTHETIC_PREFIX):
        if contract is None:
            raise DataLoadError(f"{source!r}: synthetic data needs a data contract")
        return synthetic(_rows(source), contract, seed)
    text_columns = contract.of_kind("categorical") if contract else []
    return read_table(source, text_columns)


def demo() -> pd.DataFrame:
    """569 rows: 30 numeric measurements and `diagnosis` (malignant / benign)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.drop(columns="target")
    frame[DEMO_TARGET] = bunch.target_names[bunch.target.to_numpy()]
    return frame


def _rows(source: str) -> int:
    text = source[len(SYNTHETIC_PREFIX) :]
    if not text.isdigit() or int(text) < 1:
        raise DataLoadError(f"{source!r}: synthetic data needs a positive row count")
    return int(text)


def synthetic(rows: int, contract: Contract, seed: int = 0) -> pd.DataFrame:
    """A learnable table in the contract's shape, for scale benchmarks and tests.

    Numeric features come from scikit-learn's make_classification; categorical
    and boolean ones are cut from informative columns, so they carry signal too.
    Features that may be missing lose ~3 % of their values; ignored columns hold
    row identifiers. Labels are the contract's own.
    """
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    names = contract.feature_names
    values, target = make_classification(
        n_samples=rows,
        n_features=max(len(names), 2),
        n_informative=min(8, max(len(names), 2)),
        n_redundant=0,
        class_sep=1.0,
        flip_y=0.02,
        shuffle=False,  # informative columns first: categorical ones get some of them
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for index, feature in enumerate(contract.features):
        column = values[:, index]
        if feature.kind == "categorical":
            cuts = np.quantile(column, [0.2, 0.4, 0.6, 0.8])
            column = np.array([f"level {i}" for i in range(5)], dtype=object)[
                np.searchsorted(cuts, column)
            ]
        elif feature.kind == "boolean":
            column = (column > 0).astype(object)
        else:
            column = column.astype(float)
        if feature.missing:
            column = column.astype(object) if feature.kind != "numeric" else column.copy()
            column[rng.random(rows) < 0.03] = None if feature.kind != "numeric" else np.nan
        columns[feature.name] = column
    frame = pd.DataFrame(columns)
    labels = np.array([contract.negative, contract.positive], dtype=object)
    frame[contract.target] = labels[target]
    if isinstance(contract.positive, int | float) and isinstance(contract.negative, int | float):
        frame[contract.target] = frame[contract.target].astype(type(contract.positive))
    for index, name in enumerate(contract.ignore):
        frame[name] = [f"row-{index}-{i}" for i in range(rows)]
    return frame


def read_table(source: str, text_columns: list[str] = ()) -> pd.DataFrame:
    """Read a CSV or Parquet file; DataLoadError says what is wrong with it."""
    suffix = Path(source.split("?", 1)[0]).suffix.lower()
    if suffix == ".csv":
        return _read_csv(source, list(text_columns))
    if suffix in (".parquet", ".pq"):
        import pandas as pd

        return _reading(source, pd.read_parquet, source)
    raise DataLoadError(f"{source!r}: expected a .csv or .parquet file")


def _read_csv(source: str, text_columns: list[str], nrows: int | None = None) -> pd.DataFrame:
    import pandas as pd

    # The header as written: pandas renames a duplicated "a" to "a.1" silently.
    header = _reading(source, pd.read_csv, source, header=None, nrows=1, dtype=str)
    names = [str(n) for n in header.iloc[0].tolist()] if len(header) else []
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataLoadError(f"{source!r}: the header names these columns twice: {duplicated}")
    if len(names) == 1:
        for delimiter, what in _OTHER_DELIMITERS.items():
            if delimiter in names[0]:
                raise DataLoadError(
                    f"{source!r}: the header {names[0][:60]!r} is one column with {what} in "
                    "it; the file seems to be separated by "
                    f"{delimiter!r}, not commas: save it as comma-separated"
                )
    dtype = {name: str for name in text_columns if name in names}
    return _reading(source, pd.read_csv, source, dtype=dtype, nrows=nrows)


def _reading(source: str, reader, *args, **kwargs) -> pd.DataFrame:
    import pandas as pd

    try:
        return reader(*args, **kwargs)
    except FileNotFoundError:
        raise DataLoadError(f"{source!r}: no such file") from None
    except pd.errors.EmptyDataError:
        raise DataLoadError(f"{source!r}: the file is empty (no header, no rows)") from None
    except Exception as err:
        raise DataLoadError(f"{source!r}: cannot be read ({type(err).__name__}: {err})") from None


def chunks(source: str, contract: Contract, rows: int) -> Iterator[pd.DataFrame]:
    """The table `source` in pieces of at most `rows` rows: a CSV or Parquet file
    is never held whole in memory. A CSV's columns are typed from the contract
    (`typed_by_contract`), never guessed piece by piece: a later piece that looks
    different (an id numeric in the first, text in the second) reads the same way."""
    suffix = Path(source.split("?", 1)[0]).suffix.lower()
    if suffix == ".parquet" or suffix == ".pq":
        yield from _parquet_chunks(source, rows)
    elif suffix == ".csv":
        import pandas as pd

        _read_csv(source, [], nrows=1)  # the header checks, on one row
        with _reading(source, pd.read_csv, source, dtype=str, chunksize=rows) as reader:
            for piece in reader:
                yield typed_by_contract(piece, contract)
    else:
        table = load(source, contract)
        for start in range(0, len(table), rows):
            yield table.iloc[start : start + rows].reset_index(drop=True)


_SPELLED = {"true": True, "false": False}


def typed_by_contract(text: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """A CSV piece read as text, each feature typed by its kind in the contract:
    numeric as float64, boolean as True/False (spelled true/false in any case),
    categorical and every other column kept as the text written. A column with a
    value of another kind is left as text, so validation names it; never coerced."""
    import numpy as np
    import pandas as pd

    typed = text.copy()
    for feature in contract.features:
        if feature.name not in text.columns or feature.kind == "categorical":
            continue
        column = text[feature.name]
        present = column.notna()
        if feature.kind == "numeric":
            parsed = pd.to_numeric(column, errors="coerce").astype("float64")
        else:
            spelled = column.astype(object).map(lambda v: _SPELLED.get(str(v).strip().lower()))
            parsed = spelled.where(present, np.nan).astype(object)
        if not (parsed.isna() & present).any():
            typed[feature.name] = parsed
    return typed


def _parquet_chunks(source: str, rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    # Read-ahead off: memory stays near one row group, not the whole file.
    parquet = _reading(source, pq.ParquetFile, source, pre_buffer=False, buffer_size=1 << 20)
    for batch in parquet.iter_batches(batch_size=rows):
        yield batch.to_pandas()


def split(
    frame: pd.DataFrame, target: str, test_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified train/test split on `target`: both parts keep the class ratio,
    no row lost."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame[target]
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def resolve_source(source: str, contract: Contract, contract_path: str) -> str:
    """DATA as given, else the contract's `source`; a relative path in the
    contract is relative to the contract file."""
    if source:
        return source
    if not contract.source:
        raise DataLoadError(
            f"no table to read: set DATA=<csv or parquet>, or `source:` in {contract_path}"
        )
    if ":" in contract.source or Path(contract.source).is_absolute():
        return contract.source  # builtin:, synthetic:, s3://, an absolute path
    return str(Path(contract_path).parent / contract.source)
