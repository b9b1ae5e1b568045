"""Validate a table against the data contract, reporting every problem at once.

Nothing is coerced: a value that is not what the contract says is reported,
never converted (a 0.5 in a 0/1 target is not truncated to 0, a text cell in a
numeric column is not turned into NaN). Column problems (missing, unexpected,
duplicated) and value problems come in one error, each with the column, the
problem and up to three example values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from workflows.domain.errors import PipelineError

if TYPE_CHECKING:
    import pandas as pd

    from workflows.domain.contract import Contract

MIN_ROWS = 20
# scikit-learn's trees work in float32: larger magnitudes become inf inside `fit`
# and fail there with a message that names no column.
FLOAT32_MAX = 3.4028234663852886e38
_FRAME = "(table)"
_EXAMPLES = 3
_NAMED = 3  # columns named on the error's first line; the lines below list all


class DataValidationError(PipelineError, ValueError):
    """The data breaks the contract. `problems` lists (column, problem) pairs."""

    def __init__(
        self, problems: list[tuple[str, str]], hint: str = "", first_row: int | None = None
    ):
        self.problems = problems
        self.first_row = first_row  # 1-based, where a caller located it (first_row_at_fault)
        lines = "\n".join(f"  - column {column!r}: {problem}" for column, problem in problems)
        message = (
            f"data validation failed {_where(problems)} ({len(problems)} problem(s)):\n{lines}"
        )
        super().__init__(message + (f"\n{hint}" if hint else ""))

    @property
    def columns(self) -> set[str]:
        return {column for column, _ in self.problems}


def _where(problems: list[tuple[str, str]]) -> str:
    """The columns at fault, for a first line that is enough on its own."""
    columns = list(dict.fromkeys(column for column, _ in problems if column != _FRAME))
    if not columns:
        return "for the table"
    named = ", ".join(repr(c) for c in columns[:_NAMED])
    more = f" and {len(columns) - _NAMED} more" if len(columns) > _NAMED else ""
    return f"in column{'s' if len(columns) > 1 else ''} {named}{more}"


def examples(values) -> str:
    """Up to three distinct values, as a person reads them: 'abc', 0.5, None."""
    seen = list(dict.fromkeys(plain(v) for v in values))[:_EXAMPLES]
    return ", ".join(repr(v) for v in seen)


def plain(value):
    """A numpy scalar as the Python value it holds; anything else as it is."""
    item = getattr(value, "item", None)  # so repr reads naturally: 1, not np.int64(1)
    return item() if callable(item) else value


def validate(
    frame: pd.DataFrame, contract: Contract, contract_path: str = "", scoring: bool = False
) -> pd.DataFrame:
    """Return `frame` unchanged (same values, same dtypes) if it meets `contract`.

    Raises DataValidationError listing every problem; when columns do not
    match, the message names the contract file and the command that redrafts it.
    scoring: rows to score, checked piece by piece: the target may be absent
    (it is carried through unchecked when present) and any row count is fine.
    """
    if scoring:
        return _validate_for_scoring(frame, contract, contract_path)
    problems = _column_problems(frame, contract)
    present = [f for f in contract.features if f.name in frame.columns]
    for feature in present:
        problems += [(feature.name, p) for p in _feature_problems(frame[feature.name], feature)]
    if contract.target in frame.columns:
        problems += [
            (contract.target, p) for p in _target_problems(frame[contract.target], contract)
        ]
    if len(frame) < MIN_ROWS:
        problems.append((_FRAME, f"{len(frame)} row(s); at least {MIN_ROWS} are needed"))
    if problems:
        raise DataValidationError(problems, _hint(problems, contract, contract_path))
    return frame


def validate_request(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Rows sent to the served model: checked as rows to score are, except that only
    the features are required (ignored columns and the target may come along and are
    left out by the model); any other column is refused by name, as in batch scoring."""
    return _validate_piece(frame, contract, contract.feature_names, "")


def first_row_at_fault(
    frame: pd.DataFrame,
    contract: Contract,
    request: bool = False,
    refused: DataValidationError | None = None,
) -> int | None:
    """The 1-based position in `frame` (rows to score; request: rows sent to the
    served model) of the first row with one of the problems `validate(...,
    scoring=True)` (`validate_request`) finds in the whole of it: the end of the
    shortest leading slice that shows one. None when `frame` passes, or when its
    columns themselves are at fault (no row is). Found by bisection, about
    log2(rows) checks of slices, on the path of a refusal only.

    A problem counts by its column and its words, not its counts and examples;
    a slice's problems that the whole does not have are not faults: a number
    column read as text because one cell is "abc" holds "numbers stored as
    text" in every slice without that cell.

    refused: the check's own refusal of the whole `frame`, where the caller has it
    (it is not made again)."""
    check = validate_request if request else _validate_for_scoring
    found = _kinds(refused.problems) if refused else _problem_kinds(check, frame, contract)
    if not found or _problem_kinds(check, frame.iloc[:0], contract):
        return None

    def shows_one(rows: int) -> bool:
        return bool(_problem_kinds(check, frame.iloc[:rows], contract) & found)

    passes, fails = 0, len(frame)  # a slice that shows a problem is a prefix of the next
    while fails - passes > 1:
        middle = (passes + fails) // 2
        passes, fails = (passes, middle) if shows_one(middle) else (middle, fails)
    return fails


def _problem_kinds(check, frame: pd.DataFrame, contract: Contract) -> set[tuple[str, str]]:
    """(column, problem without its count and examples) of each problem `check` finds."""
    try:
        check(frame, contract)
    except DataValidationError as err:
        return _kinds(err.problems)
    return set()


def _kinds(problems: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return {
        (column, re.sub(r"^\d+ ", "", problem).split("e.g.")[0]) for column, problem in problems
    }


def _validate_for_scoring(frame: pd.DataFrame, contract: Contract, path: str = "") -> pd.DataFrame:
    required = [c for c in contract.columns if c != contract.target]
    return _validate_piece(frame, contract, required, path or "the data contract")


def _validate_piece(frame, contract: Contract, required: list[str], path: str) -> pd.DataFrame:
    """path: the contract file a column mismatch hints at redrafting; "" for no hint."""
    problems = _column_problems(frame, contract, required)
    clean = _clean_numbers(frame, contract.features)
    for feature in contract.features:
        if feature.name in frame.columns and feature.name not in clean:
            column = frame[feature.name]
            if _surely_clean(column, feature):
                continue
            problems += [(feature.name, p) for p in _feature_problems(column, feature, True)]
    if problems:
        raise DataValidationError(problems, _hint(problems, contract, path) if path else "")
    return frame


def _column_problems(
    frame: pd.DataFrame, contract: Contract, required: list[str] | None = None
) -> list[tuple[str, str]]:
    names = [str(c) for c in frame.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    expected = set(contract.columns)
    required = contract.columns if required is None else required
    return (
        [(n, "the column name appears more than once") for n in duplicated]
        + [(c, "missing from the table") for c in required if c not in names]
        + [(n, "unexpected column (not in the contract)") for n in names if n not in expected]
    )


def _hint(problems: list[tuple[str, str]], contract: Contract, path: str) -> str:
    if not any("missing from" in p or "unexpected column" in p for _, p in problems):
        return ""
    where = path or "the data contract"
    return (
        f"The table's columns differ from {where}. If the table is right, redraft the "
        f"contract: make contract DATA=<table> TARGET={contract.target}"
    )


def column_dtypes(frame: pd.DataFrame) -> dict | None:
    """Each column's dtype by name, read at once (no pandas Series per column: a
    request's 30 columns cost microseconds); None when a name repeats (the column
    check names that)."""
    if not frame.columns.is_unique:
        return None
    return dict(zip(frame.columns.tolist(), frame.dtypes.tolist(), strict=True))


def plain_numbers(frame: pd.DataFrame, features) -> list[str]:
    """The numeric features among `features` that `frame` holds as plain numpy ints
    or floats (what JSON numbers and a typed table give), in `features`' order; none
    when a column name repeats (the column check names that)."""
    import numpy as np

    dtypes = column_dtypes(frame)
    if dtypes is None:
        return []
    return [
        f.name
        for f in features
        if f.kind == "numeric"
        and isinstance(dtype := dtypes.get(f.name), np.dtype)
        and dtype.kind in "iuf"
    ]


def _clean_numbers(frame: pd.DataFrame, features) -> set[str]:
    """The plain numeric features (`plain_numbers`) where `_feature_problems` finds
    nothing, decided for all of them at once on one 2-D float array: a request's 30
    number columns cost one check, not 30 pandas Series. Same rules as
    `_surely_clean`: a missing value only where allowed, every value finite and
    within float32's range."""
    import numpy as np

    names = plain_numbers(frame, features)
    if not names:
        return set()
    block = frame[names].to_numpy(dtype="float64")
    absent = np.isnan(block)
    may_miss = {f.name: f.missing for f in features}
    allowed = np.array([may_miss[name] for name in names], dtype=bool)
    present = np.where(absent, 0.0, block)
    ok = (
        (allowed | ~absent.any(axis=0))
        & np.isfinite(present).all(axis=0)
        & (np.abs(present) <= FLOAT32_MAX).all(axis=0)
    )
    return {name for name, fine in zip(names, ok, strict=True) if fine}


def _surely_clean(column: pd.Series, feature) -> bool:
    """True only where `_feature_problems(column, feature, piece=True)` finds nothing,
    decided in a few plain checks: a request of one row costs microseconds here, not
    the milliseconds of pandas' masks. False means "look closer", never "bad": the
    full check then decides and words the problems, so both paths refuse alike.

    A value counts as missing here only as None or a float NaN (what JSON and a CSV
    give); any other kind of missing (NA, NaT) takes the full check."""
    import numpy as np

    if column.ndim != 1 or feature.kind == "datetime":
        return False
    dtype = column.dtype
    if not isinstance(dtype, np.dtype):  # pandas' extension types: the full check
        return False
    if feature.kind == "numeric":
        if dtype.kind not in "iuf":
            return False
        values = column.to_numpy(dtype="float64")
        absent = np.isnan(values)
        if absent.any() and not feature.missing:
            return False
        present = values[~absent]
        return bool(np.isfinite(present).all() and (np.abs(present) <= FLOAT32_MAX).all())
    if feature.kind == "boolean" and dtype.kind == "b":
        return True
    if dtype.kind != "O":
        return False
    kinds = (str,) if feature.kind == "categorical" else (bool, np.bool_)
    for value in column.to_numpy():
        if type(value) in kinds:
            continue
        if not feature.missing or not (value is None or (type(value) is float and value != value)):
            return False
    return feature.kind in ("categorical", "boolean")


def _feature_problems(column: pd.Series, feature, piece: bool = False) -> list[str]:
    """piece: a chunk of rows to score, where a column that may be missing can
    happen to be empty in every row; a training table with it empty is refused."""

    if column.ndim != 1:  # duplicated names select a frame: already reported
        return []
    missing = column.isna()
    problems = []
    # A piece of rows (a request of one row, say) may be all empty: it is then
    # refused for `missing: false` by the count below, not as an empty column.
    if len(column) and missing.all() and not piece:
        tokens = getattr(feature, "missing_values", ())
        if tokens:
            return [
                f"every value is missing: its missing_values {list(tokens)} and empty cells "
                "cover the whole column; remove the tokens that are real values"
            ]
        return ["entirely empty: every value is missing"]
    if missing.any() and not feature.missing:
        problems.append(
            f"{int(missing.sum())} missing value(s); the contract says `missing: false` "
            "(set it to true if values may be missing)"
        )
    present = column[~missing]
    if feature.kind == "numeric":
        problems += _numeric_problems(present)
    elif feature.kind == "categorical":
        bad = present[~present.map(lambda v: isinstance(v, str))]
        if len(bad):
            problems.append(
                f"{len(bad)} value(s) that are not text, e.g. {examples(bad)}; a categorical "
                "column holds text (mark it numeric if the numbers are quantities)"
            )
    elif feature.kind == "boolean":
        problems += _boolean_problems(present)
    elif feature.kind == "datetime":
        problems += datetime_problems(present)
    return problems


_ZONED = r"(?:Z|[+-]\d{2}:?\d{2})$"


def datetime_problems(present: pd.Series) -> list[str]:
    """ISO dates or date-times, all with a time zone or all without; a Parquet
    timestamp column is one or the other by its type."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(present):
        return []
    is_text = present.map(lambda v: isinstance(v, str))
    if not is_text.all():
        odd = present[~is_text & ~present.map(lambda v: isinstance(v, pd.Timestamp))]
        if len(odd):
            return [f"{len(odd)} value(s) that are not dates, e.g. {examples(odd)}"]
        present = present.map(lambda v: v.isoformat() if isinstance(v, pd.Timestamp) else v)
    text = present.astype(str)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = text[parsed.isna()]
    if len(bad):
        return [
            f"{len(bad)} value(s) that are not ISO dates (YYYY-MM-DD, optionally a time and "
            f"a zone), e.g. {examples(bad)}{_marker_hint(bad)}"
        ]
    zoned = text.str.contains(_ZONED)
    if zoned.any() and not zoned.all():
        return [
            f"mixes date-times with a time zone (e.g. {examples(text[zoned])}) and without "
            f"(e.g. {examples(text[~zoned])}): write every value with its zone, or none"
        ]
    return []


def _marker_hint(values: pd.Series) -> str:
    """A hint when every odd value is a spelling of "no value" (`NA`, `?`, ...):
    only an empty cell is missing unless the contract lists the token."""
    from workflows.domain.contract import MARKERS

    tokens = sorted({str(v).strip() for v in values})
    if not tokens or not set(tokens) <= set(MARKERS):
        return ""
    return (
        f"; if {', '.join(map(repr, tokens))} stand for no value, set `missing: true` and "
        f"`missing_values: {tokens}` for this column in the data contract"
    )


def _boolean_problems(present: pd.Series) -> list[str]:
    """A CSV column with one odd cell is read as text: name the odd cells, not
    every "True" and "False" around them."""
    import numpy as np

    as_text = present[~present.map(lambda v: isinstance(v, bool | np.bool_))]
    if not len(as_text):
        return []
    spelled = as_text.map(lambda v: str(v).strip().lower() in ("true", "false"))
    odd = as_text[~spelled]
    if len(odd):
        return [
            f"{len(odd)} value(s) that are not true/false, e.g. {examples(odd)}{_marker_hint(odd)}"
        ]
    return [f"{len(as_text)} true/false value(s) stored as text, e.g. {examples(as_text)}"]


def _numeric_problems(present: pd.Series) -> list[str]:
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(present):
        return [f"true/false values, e.g. {examples(present)}; mark the feature boolean"]
    if not pd.api.types.is_numeric_dtype(present):
        number = int | float | np.integer | np.floating
        is_number = present.map(lambda v: isinstance(v, number) and not isinstance(v, bool))
        as_text = present[~is_number]
        parsed = pd.to_numeric(as_text.map(str), errors="coerce")
        not_numbers = as_text[parsed.isna()]
        if len(not_numbers):
            commas = not_numbers.map(str).str.match(r"^-?[\d.]*\d,\d+$")
            if commas.all():
                return [
                    f"{len(not_numbers)} value(s) that are not numbers, e.g. "
                    f"{examples(not_numbers)}; they look like decimal commas: set table: "
                    "{decimal: ','} in the data contract (make contract sniffs it)"
                ]
            # One word in a decimal-comma column leaves the whole column as text:
            # name the word, not every number beside it.
            others = not_numbers[~commas]
            rest = (
                f"; its other {int(commas.sum())} text value(s) are numbers with a decimal "
                f"comma (e.g. {examples(not_numbers[commas])}), read as numbers under table: "
                "{decimal: ','} once these are fixed"
                if commas.any()
                else ""
            )
            return [
                f"{len(others)} value(s) that are not numbers, e.g. "
                f"{examples(others)}{_marker_hint(others)}{rest}"
            ]
        if len(as_text):
            return [
                f"{len(as_text)} number(s) stored as text, e.g. {examples(as_text)}; "
                "store them as numbers"
            ]
        present = present.astype(float)
    values = present.to_numpy(dtype=float)
    problems = []
    infinite = present[np.isinf(values)]
    if len(infinite):
        problems.append(f"{len(infinite)} infinite value(s), e.g. {examples(infinite)}")
    huge = present[np.isfinite(values) & (np.abs(values) > FLOAT32_MAX)]
    if len(huge):
        problems.append(
            f"{len(huge)} value(s) beyond ±3.4e38, which the model's float32 trees cannot "
            f"hold, e.g. {examples(huge)}"
        )
    return problems


def _target_problems(column: pd.Series, contract: Contract) -> list[str]:
    if column.ndim != 1:
        return []
    missing = column.isna()
    problems = []
    if missing.any():
        problems.append(f"{int(missing.sum())} missing value(s); every row needs a label")
    present = column[~missing]
    if not contract.is_classification:
        return problems + _regression_problems(present)
    labels = contract.labels
    known = present.map(lambda v: any(is_label(v, label) for label in labels))
    if (~known).any():
        named = (
            f"{labels[1]!r} (positive) and {labels[0]!r}"
            if contract.task == "binary"
            else ", ".join(map(repr, labels))
        )
        problems.append(
            f"values other than the contract's labels {named}, e.g. {examples(present[~known])}"
        )
    counts = {label: int(present.map(lambda v, x=label: is_label(v, x)).sum()) for label in labels}
    short = {label: n for label, n in counts.items() if n < contract.min_rows_per_class}
    if short:
        found = ", ".join(f"{label!r}: {n}" for label, n in short.items())
        problems.append(
            f"each label needs at least {contract.min_rows_per_class} rows (min_rows_per_class); "
            f"found {found}"
        )
    return problems


def _regression_problems(present: pd.Series) -> list[str]:
    """A number to predict: numeric, finite, and not the same in every row (a
    constant has nothing to learn and makes R² undefined)."""
    problems = _numeric_problems(present)
    if problems or not len(present):
        return problems
    if present.nunique() == 1:
        return [f"constant: every value is {examples(present[:1])}; there is nothing to predict"]
    return []


def check_split(train: pd.DataFrame, test: pd.DataFrame, contract: Contract) -> None:
    """Every label of a classification target on both sides of the split: a label
    the held-out rows lack cannot be scored (its ROC AUC and recall are undefined).
    DataValidationError names the labels and their row counts."""
    if not contract.is_classification:
        return
    column = contract.target

    def count(frame, label) -> int:
        return int(frame[column].map(lambda v: is_label(v, label)).sum())

    problems = []
    for side, other, frame, rest in (("held-out", "training", test, train),
                                     ("training", "held-out", train, test)):  # fmt: skip
        absent = [(x, count(rest, x)) for x in contract.labels if count(frame, x) == 0]
        if absent:
            found = ", ".join(f"{label!r} ({n} {other} rows)" for label, n in absent)
            problems.append(
                (column, f"label(s) with no row in the {side} split: {found}; add distinct "
                 "rows of them (copies of one row stay on one side of the split)")
            )  # fmt: skip
    if problems:
        raise DataValidationError(problems)


def is_label(value, label) -> bool:
    """Equal as values, and text only matches text: 1 == 1.0 is the same label,
    "1" and 1 are not, and True is not 1."""
    value = plain(value)
    if isinstance(label, str) or isinstance(value, str):
        return isinstance(label, str) and isinstance(value, str) and value == label
    if isinstance(label, bool) or isinstance(value, bool):
        return isinstance(label, bool) and isinstance(value, bool) and value == label
    return value == label
