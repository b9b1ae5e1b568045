"""The data contract: which columns a training frame has and what they hold.

The feature names are those of scikit-learn's breast-cancer set, the embedded
default; a CSV or Parquet file given with DATA= must have exactly these
columns plus `target` (0 or 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.domain.errors import PipelineError

if TYPE_CHECKING:
    import pandas as pd

TARGET = "target"
MIN_ROWS = 50
# Fewer than this in a class and a stratified split can leave a part without it,
# and ROC AUC is undefined on a test set with one class.
MIN_CLASS_ROWS = 10
_STATS = ("mean", "error", "worst")
_MEASURES = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
)
FEATURES: tuple[str, ...] = tuple(
    f"{stat} {measure}" if stat == "mean" or stat == "worst" else f"{measure} {stat}"
    for stat in _STATS
    for measure in _MEASURES
)
COLUMNS: tuple[str, ...] = (*FEATURES, TARGET)
_TOO_FEW_ROWS = f"fewer than {MIN_ROWS} rows"
_ONE_CLASS = f"each class, 0 and 1, needs at least {MIN_CLASS_ROWS} rows"
# Frame-wide checks have no column in pandera's report: name the one they are about.
_FRAME_CHECK_COLUMN = {_TOO_FEW_ROWS: "(all columns)", _ONE_CLASS: TARGET}


class DataValidationError(PipelineError, ValueError):
    """The data breaks the contract. `problems` lists (column, problem) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        lines = "\n".join(f"  - column {column!r}: {problem}" for column, problem in problems)
        super().__init__(f"data validation failed ({len(problems)} problem(s)):\n{lines}")

    @property
    def columns(self) -> set[str]:
        return {column for column, _ in self.problems}


def _schema():
    # pandera costs ~1 s to import: build the schema only when data is validated.
    import numpy as np
    import pandera.pandas as pa

    finite = pa.Check(lambda s: np.isfinite(s), element_wise=False, error="contains inf")
    features = {
        name: pa.Column(float, checks=finite, nullable=False, coerce=True) for name in FEATURES
    }
    target = pa.Column(int, checks=pa.Check.isin([0, 1]), nullable=False, coerce=True)
    return pa.DataFrameSchema(
        {**features, TARGET: target},
        strict=True,
        ordered=False,
        checks=[
            pa.Check(lambda df: len(df) >= MIN_ROWS, error=_TOO_FEW_ROWS),
            pa.Check(
                lambda df: all((df[TARGET] == c).sum() >= MIN_CLASS_ROWS for c in (0, 1)),
                error=_ONE_CLASS,
            ),
        ],
    )


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame coerced to the contract's dtypes, or raise DataValidationError
    naming every broken column at once."""
    import pandera.errors

    missing = [c for c in COLUMNS if c not in frame.columns]
    extra = [c for c in frame.columns if c not in COLUMNS]
    problems = [(c, "missing") for c in missing] + [(str(c), "unexpected column") for c in extra]
    if problems:
        # Column problems make every other check noise: report them alone.
        raise DataValidationError(problems)
    try:
        return _schema().validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        raise DataValidationError(_problems(err.failure_cases)) from None


def _problems(failure_cases: pd.DataFrame) -> list[tuple[str, str]]:
    problems: dict[str, list[str]] = {}
    for (column, check), cases in failure_cases.groupby(
        ["column", "check"], sort=False, dropna=False
    ):
        check = str(check)
        name = str(column) if isinstance(column, str) else _FRAME_CHECK_COLUMN.get(check, "?")
        found = problems.setdefault(name, [])
        problem = _describe(check, cases["failure_case"])
        if problem.startswith("non-numeric"):
            # Values that are not numbers make the other checks of that column noise.
            found[:] = [problem]
        elif problem not in found and not (found and found[0].startswith("non-numeric")):
            found.append(problem)
    return [(column, problem) for column, found in problems.items() for problem in found]


def _describe(check: str, cases: pd.Series) -> str:
    count = len(cases)
    examples = ", ".join(repr(v) for v in cases.head(3).tolist())
    if check == "not_nullable":
        return f"contains NaN/empty values ({count} row(s))"
    if check.startswith("coerce_dtype") or check.startswith("dtype"):
        return f"non-numeric values, e.g. {examples} ({count} row(s))"
    if check.startswith("isin"):
        return f"target values must be 0 or 1, found {examples}"
    if check == "contains inf":
        return f"contains inf ({count} row(s))"
    return f"{check}"
