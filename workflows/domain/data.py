"""Load a training frame and split it, stratified. Pure: no Flyte, no MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workflows.domain.errors import PipelineError
from workflows.domain.schema import FEATURES, TARGET

if TYPE_CHECKING:
    import pandas as pd

BUILTIN = "builtin:breast_cancer"
SYNTHETIC_PREFIX = "synthetic:"


class DataLoadError(PipelineError, ValueError):
    """The data source cannot be read; the message names the source."""


def load(source: str, seed: int = 0) -> pd.DataFrame:
    """Read `source`: the embedded breast-cancer set, `synthetic:<rows>`, or a
    CSV/Parquet path or URI (anything pandas and fsspec can open)."""
    if source in ("", BUILTIN):
        return _breast_cancer()
    if source.startswith(SYNTHETIC_PREFIX):
        return synthetic(_rows(source), seed)
    return _read_file(source)


def _breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    return bunch.frame


def _rows(source: str) -> int:
    text = source[len(SYNTHETIC_PREFIX) :]
    if not text.isdigit() or int(text) < 1:
        raise DataLoadError(f"{source!r}: synthetic data needs a positive row count")
    return int(text)


def synthetic(rows: int, seed: int = 0) -> pd.DataFrame:
    """A learnable binary classification set with the contract's columns, for
    measuring how cost grows with data."""
    import pandas as pd
    from sklearn.datasets import make_classification

    features, target = make_classification(
        n_samples=rows,
        n_features=len(FEATURES),
        n_informative=8,
        n_redundant=4,
        class_sep=0.8,
        flip_y=0.02,
        random_state=seed,
    )
    frame = pd.DataFrame(features, columns=list(FEATURES))
    frame[TARGET] = target
    return frame


def _read_file(source: str) -> pd.DataFrame:
    import pandas as pd

    suffix = Path(source.split("?", 1)[0]).suffix.lower()
    readers = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".pq": pd.read_parquet}
    if suffix not in readers:
        raise DataLoadError(f"{source!r}: expected a .csv or .parquet file")
    try:
        return readers[suffix](source)
    except FileNotFoundError:
        raise DataLoadError(f"{source!r}: no such file") from None
    except Exception as err:
        raise DataLoadError(f"{source!r}: cannot be read ({type(err).__name__}: {err})") from None


def split(frame: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified train/test split: both parts keep the class ratio, no row lost."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame[TARGET]
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)
