"""Draft a data contract from a sample of the team's table. Pure: no Flyte, no MLflow.

pandera's schema inference gives each column's dtype and whether it has
missing values; the rules below turn that into a contract and say, for every
column, what was decided and why. The team reviews the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.domain.contract import DEFAULT_MIN_ROWS_PER_CLASS, Contract, Feature
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


class DraftError(PipelineError, ValueError):
    """The sample cannot give a contract (no such target, not two labels...)."""


@dataclass(frozen=True)
class Decision:
    column: str
    decision: str  # "target", "numeric", "categorical", "boolean", "ignored"
    why: str


def draft(
    frame: pd.DataFrame, target: str, positive: str | None = None, source: str = ""
) -> tuple[Contract, list[Decision]]:
    """A contract for `frame` with `target` as the label column.

    `positive` is the positive label as text (as typed on a command line); None
    picks one and says which. Raises DraftError naming the problem.
    """
    import pandera.pandas as pa

    names = [str(c) for c in frame.columns]
    if target not in names:
        raise DraftError(f"TARGET={target!r} is not a column of the table; its columns: {names}")
    labels = frame[target].dropna().unique().tolist()
    if len(labels) != 2:
        raise DraftError(
            f"the target {target!r} must hold exactly two distinct values; it holds "
            f"{len(labels)}: {examples(labels[:10]) or 'none'}"
            + (" ..." if len(labels) > 10 else "")
        )
    chosen, why_positive = _positive(frame[target], [plain(v) for v in labels], positive)
    negative = next(label for label in map(plain, labels) if label != chosen)
    decisions = [Decision(target, "target", f"positive label {chosen!r} ({why_positive})")]
    missing_rows = int(frame[target].isna().sum())
    if missing_rows:
        decisions[0] = Decision(
            target,
            "target",
            decisions[0].why + f"; {missing_rows} row(s) have no label: remove them",
        )
    inferred = pa.infer_schema(frame).columns
    features, ignore = [], {}
    for name in names:
        if name == target:
            continue
        why_ignored = _ignored(frame[name], name)
        if why_ignored:
            ignore[name] = why_ignored
            decisions.append(Decision(name, "ignored", why_ignored))
            continue
        kind, why = _kind(frame[name])
        features.append(Feature(name, kind, bool(inferred[name].nullable)))
        decisions.append(Decision(name, kind, why))
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
    )
    return contract, decisions


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
    distinct = present.nunique()
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
        if name.strip().lower() in _ID_NAMES or name.strip().lower().endswith(("_id", " id")):
            return "unique integer per row, named like an identifier"
    if is_text and len(present) >= 20 and distinct > FREE_TEXT_SHARE * len(present):
        return f"free text ({distinct} distinct values in {len(present)} rows)"
    return ""


def _kind(column: pd.Series) -> tuple[str, str]:
    import pandas as pd

    present = column.dropna()
    distinct = present.nunique()
    if pd.api.types.is_bool_dtype(present) or present.map(lambda v: isinstance(v, bool)).all():
        return "boolean", "true/false values"
    if pd.api.types.is_numeric_dtype(present):
        if pd.api.types.is_integer_dtype(present) and distinct <= 20:
            return "numeric", f"{distinct} distinct integers: numeric (categorical if codes)"
        return "numeric", "numbers"
    if not present.map(lambda v: isinstance(v, str)).all():
        odd = present[~present.map(lambda v: isinstance(v, str))]
        return "categorical", f"text mixed with other values (e.g. {examples(odd)}): review"
    return "categorical", f"text with {distinct} distinct values"
