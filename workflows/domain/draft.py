"""Draft a data contract from a sample of the team's table. Pure: no Flyte, no MLflow.

The rules below turn each column of the table (as read, see data.read_table)
into a contract and say, for every column, what was decided, whether it may be
missing and why. The team reviews the result.

`markers` and `propose_missing` work on the raw text of a CSV: cells spelled
like a missing-value marker ("NA", "?", "-"...) are counted per column, and
proposed as missing only where the evidence is clear (a marker among numbers);
in a text column they stay categories and the reviewer is told.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflows.domain.contract import (
    DEFAULT_MIN_ROWS_PER_CLASS,
    MARKERS,
    TASKS,
    Contract,
    Feature,
    TableFormat,
)
from workflows.domain.errors import PipelineError
from workflows.domain.schema import examples, plain

if TYPE_CHECKING:
    import pandas as pd

# Words that name the event of interest when a target holds text.
_POSITIVE_WORDS = ("yes", "y", "true", "t", "positive", "pos", "1")
_ID_NAMES = ("id", "key", "index", "uuid", "row", "rownames", "unnamed: 0")
# A text column with more distinct values than this share of its rows is free
# text (comments, names), not categories the model can learn from.
FREE_TEXT_SHARE = 0.5
# Integer codes are told apart from counts and scores by their name or their gaps.
_CODE_NAMES = re.compile(
    r"(code|type|class|categor|group|kind|status|zip|postal|region|zone|sector)", re.I
)
_ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_DIGITS = re.compile(r"^[+-]?\d+$")
# Integers beyond this lose digits as float64 (JSON numbers, pandas with NaN).
EXACT_INTEGER = 2**53
# The task from the target: integers with at most this many distinct values are
# grades or codes (multiclass); more, or any fraction, are a quantity (regression).
MAX_INTEGER_CLASSES = 20
# More labels than this and each class has too few rows to learn, and one
# probability per class is no answer a person reads: refused at drafting.
MAX_CLASSES = 100
_TASK_HINT = "change it with TASK= or by setting task: in the contract (binary when absent)"


class DraftError(PipelineError, ValueError):
    """The sample cannot give a contract (no such target, not two labels...)."""


@dataclass(frozen=True)
class Decision:
    column: str
    decision: str  # "target", "numeric", "categorical", "boolean", "datetime", "ignored"
    why: str
    missing: str = ""  # what counts as missing here, and how often it occurs
    review: str = ""  # what the reviewer should check first, if anything


@dataclass(frozen=True)
class Evidence:
    """What the raw text of a CSV says beyond the types pandas infers."""

    table: TableFormat = field(default_factory=TableFormat)
    markers: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> token -> n
    proposed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> tokens


def markers(raw: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per column, how often each marker-like cell occurs (`raw`: every cell as
    text, an empty cell as missing)."""
    found = {}
    for name in raw.columns:
        counts = Counter(v for v in raw[name].dropna() if v.strip() in MARKERS)
        if counts:
            found[str(name)] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return found


def propose_missing(
    raw: pd.DataFrame, found: dict[str, dict[str, int]], table: TableFormat
) -> dict[str, tuple[str, ...]]:
    """The markers to list as missing: those of a column whose every other cell
    is a number (a "?" among numbers means "no value"; among words it may be one)."""
    proposed = {}
    for name, counts in found.items():
        rest = raw[name].dropna()
        rest = rest[~rest.isin(list(counts))]
        if len(rest) and _all_numbers(rest, table):
            proposed[name] = tuple(counts)
    return proposed


def _all_numbers(text: pd.Series, table: TableFormat) -> bool:
    import pandas as pd

    cleaned = text.str.strip()
    if table.thousands:
        cleaned = cleaned.str.replace(table.thousands, "", regex=False)
    if table.decimal != ".":
        cleaned = cleaned.str.replace(table.decimal, ".", regex=False)
    return bool(pd.to_numeric(cleaned, errors="coerce").notna().all())


def exact_text_columns(raw: pd.DataFrame) -> list[str]:
    """Columns of digits that only text keeps exactly: a leading zero ("000123")
    or an integer beyond 2^53 (pandas would read 000123 as 123)."""
    found = []
    for name in raw.columns:
        present = raw[name].dropna()
        if not len(present) or not present.str.match(_DIGITS).all():
            continue
        digits = present.str.lstrip("+-")
        leading_zero = (digits.str.len() > 1) & digits.str.startswith("0")
        if leading_zero.any() or (
            (digits.str.len() >= 16).any() and any(int(v) > EXACT_INTEGER for v in digits)
        ):
            found.append(str(name))
    return found


def draft(
    frame: pd.DataFrame,
    target: str,
    positive: str | None = None,
    source: str = "",
    evidence: Evidence | None = None,
    task: str | None = None,
) -> tuple[Contract, list[Decision]]:
    """A contract for `frame` with `target` as the label column.

    `positive` is the positive label as text (as typed on a command line); None
    picks one and says which. `task` is one of TASKS; None drafts it from the
    target (task_of). `evidence`: what the CSV's raw text showed (its dialect,
    marker-like cells, the markers proposed as missing). Raises DraftError
    naming the problem.
    """
    evidence = evidence or Evidence()
    names = [str(c) for c in frame.columns]
    if target not in names:
        raise DraftError(f"TARGET={target!r} is not a column of the table; its columns: {names}")
    task, why_task = task_of(frame[target], task)
    if positive is not None and task != "binary":
        raise DraftError(f"POSITIVE= is for a binary target; {target!r} is {task} ({why_task})")
    labels = [plain(v) for v in frame[target].dropna().unique().tolist()]
    chosen = negative = None
    classes: tuple = ()
    if task == "binary":
        chosen, why_positive = _positive(frame[target], labels, positive)
        negative = next(label for label in labels if label != chosen)
        why = f"positive label {chosen!r} ({why_positive}); {why_task}"
    elif task == "multiclass":
        classes = tuple(sorted(labels, key=lambda v: (type(v).__name__, v)))
        why = f"{len(classes)} labels: {examples(classes)}{' ...' * (len(classes) > 3)}; {why_task}"
    else:
        why = why_task
    missing_rows = int(frame[target].isna().sum())
    unlabelled = (
        f"{missing_rows} row(s) have no label, which make run refuses: remove them "
        "or give them their label"
        if missing_rows
        else ""
    )
    review = "; ".join(note for note in (unlabelled, _rare_labels(frame[target], task)) if note)
    decisions = [Decision(target, "target", why, review=review)]
    features, ignore = [], {}
    for name in names:
        if name == target:
            continue
        column = frame[name]
        why_ignored = _ignored(column, name)
        if why_ignored:
            ignore[name] = why_ignored
            decisions.append(Decision(name, "ignored", why_ignored))
            continue
        kind, why = _kind(column, name)
        tokens = evidence.proposed.get(name, ())
        features.append(Feature(name, kind, bool(column.isna().any()), tokens))
        seen, review = evidence.markers.get(name, {}), ""
        if seen and not tokens:
            listed = ", ".join(f"{token!r} x{n}" for token, n in seen.items())
            review = (
                f"{listed} kept as categories: if they mean 'no value', list them in missing_values"
            )
        elif tokens:
            review = f"{', '.join(map(repr, tokens))} among numbers read as missing"
        elif "categorical if codes" in why:
            review = "integer codes? make it categorical if the numbers name things"
        decisions.append(
            Decision(name, kind, why, _missing_said(column, tokens, evidence.markers), review)
        )
    if not features:
        raise DraftError(f"no column is left to learn from: {ignore}")
    contract = Contract(
        target=target,
        positive=chosen,
        negative=negative,
        features=tuple(features),
        ignore=ignore,
        min_rows_per_class=DEFAULT_MIN_ROWS_PER_CLASS,
        source=source,
        table=evidence.table,
        task=task,
        classes=classes,
    )
    return contract, decisions


def _rare_labels(target: pd.Series, task: str) -> str:
    """The review note for labels with fewer rows than min_rows_per_class (which
    `make run` refuses), rarest first; "" when there are none or no labels."""
    if task == "regression":
        return ""
    counts = target.dropna().map(plain).value_counts()
    rare = counts[counts < DEFAULT_MIN_ROWS_PER_CLASS].sort_values(kind="stable")
    if rare.empty:
        return ""
    listed = ", ".join(f"{label!r}: {n}" for label, n in rare.items())
    return (
        f"label(s) with fewer than min_rows_per_class ({DEFAULT_MIN_ROWS_PER_CLASS}) rows, "
        f"which make run refuses: {listed}; group them with another label, or lower "
        "min_rows_per_class"
    )


def task_of(column: pd.Series, asked: str | None = None) -> tuple[str, str]:
    """(task, the rule that chose it): two distinct values are binary; numbers
    with a fraction or more than MAX_INTEGER_CLASSES distinct values are
    regression; other labels (text, true/false, a few integers) are multiclass,
    up to MAX_CLASSES. `asked` (TASK=) wins when the target can be that task.
    Raises DraftError naming the target, its count of values and what to do."""
    import pandas as pd

    present = column.dropna()
    labels = present.unique().tolist()
    distinct, name = len(labels), column.name
    numbers = pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present)
    shown = f"{examples(labels[:10]) or 'none'}" + (" ..." if distinct > 10 else "")
    if asked is not None and asked not in TASKS:
        raise DraftError(f"TASK={asked!r} is not one of {', '.join(TASKS)}")
    if distinct < 2 or (asked == "binary" and distinct != 2):
        need = "exactly two distinct values" if asked == "binary" else "two distinct values or more"
        raise DraftError(f"the target {name!r} must hold {need}; it holds {distinct}: {shown}")
    if asked == "regression":
        if not numbers:
            raise DraftError(
                f"TASK=regression: the target {name!r} holds text, e.g. {examples(labels)}; "
                "regression needs numbers"
            )
        return "regression", f"regression as asked with TASK= ({distinct} distinct numbers)"
    if asked == "multiclass" and distinct < 3:
        raise DraftError(
            f"TASK=multiclass: the target {name!r} holds {distinct} labels; multiclass needs "
            "at least 3 (two labels: TASK=binary)"
        )
    if asked is not None and distinct <= MAX_CLASSES:
        return asked, f"{asked} as asked with TASK="
    if distinct == 2:
        return "binary", f"task binary: two distinct values; {_TASK_HINT}"
    if numbers:
        fractions = bool((present != present.round()).any())
        if fractions or distinct > MAX_INTEGER_CLASSES:
            why = "fractions" if fractions else f"more than {MAX_INTEGER_CLASSES} distinct integers"
            return "regression", (
                f"task regression: {distinct} distinct numbers ({why}); {_TASK_HINT}"
            )
    if distinct > MAX_CLASSES:
        raise DraftError(
            f"the target {name!r} holds {distinct} distinct labels, more than a multiclass "
            f"target takes ({MAX_CLASSES}): if they are quantities, store them as numbers "
            f"(regression); else group them into fewer classes, e.g. {shown}"
        )
    what = "a few integers" if numbers else "labels"
    return "multiclass", f"task multiclass: {distinct} {what}; {_TASK_HINT}"


def _missing_said(column: pd.Series, tokens: tuple[str, ...], seen: dict) -> str:
    """The missing decision as the draft prints it: 'no', or 'yes: 12 empty, 'NA' x3'."""
    missing = int(column.isna().sum())
    if not missing:
        return "no"
    counts = seen.get(str(column.name), {})
    by_token = sum(counts.get(t, 0) for t in tokens)
    parts = [f"{missing - by_token} empty"] if missing > by_token else []
    parts += [f"{t!r} x{counts[t]}" for t in tokens if counts.get(t)]
    return "yes: " + ", ".join(parts)


def _positive(column: pd.Series, labels: list, asked: str | None) -> tuple[object, str]:
    if asked is not None:
        matches = [label for label in labels if str(label) == asked or _same_bool(label, asked)]
        if not matches:
            raise DraftError(
                f"POSITIVE={asked!r} is not one of the target's values: {examples(labels)}"
            )
        return matches[0], "as asked with POSITIVE="
    hint = "change it with POSITIVE= or by editing target.positive"
    if all(isinstance(label, bool) for label in labels):
        return True, f"true is the event; {hint}"
    if all(isinstance(label, int | float) for label in labels):
        return max(labels), f"the larger number; {hint}"
    for label in sorted(labels, key=str):
        if str(label).strip().lower() in _POSITIVE_WORDS:
            return label, f"reads as yes/true; {hint}"
    counts = column.value_counts()
    rarer = sorted(labels, key=lambda label: (counts[label], str(label)))[0]
    return rarer, f"the rarer label, usually the event of interest; {hint}"


def _same_bool(label, asked: str) -> bool:
    return isinstance(label, bool) and str(label).lower() == asked.strip().lower()


def _ignored(column: pd.Series, name: str) -> str:
    import pandas as pd

    present = column.dropna()
    if present.empty:
        return "entirely empty"
    unusable = _unusable(present)
    if unusable:
        return unusable
    distinct = present.nunique()
    if distinct > 1 and _is_datetime(present):  # one date per row is still a date
        return ""
    if distinct == 1:
        return f"constant: always {examples(present[:1])}"
    is_text = (
        not pd.api.types.is_numeric_dtype(present)
        and present.map(lambda v: isinstance(v, str)).all()
    )
    is_integer = pd.api.types.is_integer_dtype(present)
    unique = distinct == len(column)
    if unique and is_text:
        return "unique text per row (an identifier or row name)"
    if unique and is_integer:
        values = present.sort_values().to_numpy()
        consecutive = bool((values[1:] - values[:-1] == 1).all())
        if consecutive and values[0] in (0, 1):
            return "row numbers (consecutive integers)"
        if _named_like_id(name):
            return "unique integer per row, named like an identifier"
    if is_integer and _named_like_id(name) and distinct > FREE_TEXT_SHARE * len(present):
        return f"integers named like an identifier ({distinct} distinct in {len(present)} rows)"
    if is_text and len(present) >= 20 and distinct > FREE_TEXT_SHARE * len(present):
        return f"free text ({distinct} distinct values in {len(present)} rows)"
    return ""


_NESTED = {list: "lists", tuple: "lists", dict: "mappings or structs", bytes: "binary values"}


def _unusable(present: pd.Series) -> str:
    """Why the model cannot use these values (nested, binary), or ""."""
    import numpy as np

    for value in present.head(1000):
        if isinstance(value, np.ndarray):
            return "holds lists (nested values the model cannot use)"
        for kind, what in _NESTED.items():
            if isinstance(value, kind):
                return f"holds {what} (values the model cannot use)"
    return ""


def _is_datetime(present: pd.Series) -> bool:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(present):
        return True
    if not present.map(lambda v: isinstance(v, str)).all():
        return False
    return bool(present.str.match(_ISO_DATE).all())


def _named_like_id(name: str) -> bool:
    lowered = name.strip().lower()
    return lowered in _ID_NAMES or lowered.endswith(("_id", " id"))


def _kind(column: pd.Series, name: str = "") -> tuple[str, str]:
    import pandas as pd

    present = column.dropna()
    distinct = present.nunique()
    if _is_datetime(present):
        zoned = (
            pd.api.types.is_datetime64_any_dtype(present)
            and getattr(present.dt, "tz", None) is not None
        ) or present.astype(str).str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$").any()
        return "datetime", "ISO dates" + (" with a time zone" if zoned else "") + (
            ": the model uses their year, month, weekday, hour..."
        )
    if pd.api.types.is_bool_dtype(present) or present.map(lambda v: isinstance(v, bool)).all():
        return "boolean", "true/false values"
    if pd.api.types.is_numeric_dtype(present):
        if pd.api.types.is_integer_dtype(present) and distinct <= 20:
            values = sorted(present.unique())
            sparse = values[-1] - values[0] + 1 > 2 * distinct
            if _CODE_NAMES.search(name) or sparse:
                return "numeric", f"{distinct} distinct integers: numeric (categorical if codes)"
            return "numeric", f"{distinct} distinct integers (a count or a score)"
        return "numeric", "numbers"
    if not present.map(lambda v: isinstance(v, str)).all():
        odd = present[~present.map(lambda v: isinstance(v, str))]
        return "categorical", f"text mixed with other values (e.g. {examples(odd)}): review"
    if present.str.match(_DIGITS).all():
        return "categorical", f"{distinct} codes of digits, kept as text (leading zeros)"
    return "categorical", f"text with {distinct} distinct values"
