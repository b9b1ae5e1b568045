"""The data contract: what the team's training table is, read from one YAML file.

Every part of the pipeline reads the contract (validation, the model's
preprocessing, the MLflow signature, the serving example, synthetic data,
the tests' generators); no module names a column. `make contract` drafts it
(workflows/domain/draft.py); the team reviews and commits it like code. Pure: no
Flyte, no MLflow.

The file (contract.yaml at the project root unless CONTRACT= says otherwise):

    # yaml-language-server: $schema=contract.schema.json
    source: builtin:breast_cancer    # the table `make run` reads when DATA= is not given
    task: binary                     # binary (default) | multiclass | regression
    table: {delimiter: ',', decimal: '.', thousands: '', encoding: utf-8}
    target:
      column: diagnosis
      positive: malignant            # the label ROC AUC and served probabilities are about
      negative: benign
      # multiclass: `labels: [low, mid, high]` instead of positive/negative;
      # regression: the column alone (a number to predict)
    min_rows_per_class: 10
    features:                        # kind: numeric | categorical | boolean | datetime
      mean radius: {kind: numeric, missing: false}
      age: {kind: numeric, missing: true, missing_values: [NA]}   # "NA" means missing here
    ignore:                          # kept in the table, never seen by the model
      id: unique per row (an identifier)

One pydantic model (`file_model()`) is the file's schema: `load` checks a file
against it and reports every problem at once with its key path and line, and
`json_schema()` is the JSON Schema committed beside the contract
(contract.schema.json) that editors check while typing.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from workflows.domain.errors import PipelineError

KINDS = ("numeric", "categorical", "boolean", "datetime")
# What the model learns: two labels (binary), one of several labels (multiclass),
# or a number (regression). A contract without `task` is binary, as before.
TASKS = ("binary", "multiclass", "regression")
DEFAULT_TASK = "binary"
# Fewer than this in a class and a stratified split can leave a part without it,
# and ROC AUC is undefined on a test set with one class.
DEFAULT_MIN_ROWS_PER_CLASS = 10
SCHEMA_FILE = "contract.schema.json"
SCHEMA_HINT = "# yaml-language-server: $schema="
Label = str | int | float | bool
DELIMITERS = (",", ";", "\t", "|")
DECIMALS = (".", ",")
THOUSANDS = ("", ",", ".", " ", "'")
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252")


class ContractError(PipelineError, ValueError):
    """The contract file itself is unreadable or inconsistent; the message names it."""


# Cells that teams and tools write for "no value". Only an empty cell is missing
# unless the contract lists a token; these are what `make contract` looks for.
MARKERS = (
    "NA", "N/A", "n/a", "na", "N.A.", "NaN", "nan", "NAN", "null", "NULL", "Null", "None",
    "none", "NONE", "?", "-", "--", ".", "#N/A", "missing", "Missing", "MISSING",
)  # fmt: skip


@dataclass(frozen=True)
class TableFormat:
    """How the CSV file is written (Parquet carries its own types and ignores this)."""

    delimiter: str = ","
    decimal: str = "."
    thousands: str = ""  # "" = numbers have no thousands separator
    encoding: str = "utf-8"  # "utf-8-sig": UTF-8 with a byte-order mark (Excel)


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # one of KINDS
    missing: bool  # may a value be missing (empty cell, NaN, null, one of missing_values)?
    # Cells spelled like this are missing in this column; an empty cell always is.
    missing_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contract:
    target: str
    positive: Label | None  # binary only: the event (None for the other tasks)
    negative: Label | None  # binary only: the other label
    features: tuple[Feature, ...]
    ignore: dict[str, str] = field(default_factory=dict)  # column -> why it is ignored
    min_rows_per_class: int = DEFAULT_MIN_ROWS_PER_CLASS  # classification tasks only
    source: str = ""  # the default table for this contract; "" = none
    table: TableFormat = field(default_factory=TableFormat)
    task: str = DEFAULT_TASK  # one of TASKS
    classes: tuple[Label, ...] = ()  # multiclass only: its labels, in the model's order

    def __post_init__(self) -> None:
        problems = [problem for _, problem in _problems(self)]
        if problems:
            raise ContractError("the data contract is inconsistent: " + "; ".join(problems))

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def columns(self) -> list[str]:
        """Every column the table must have, in the contract's order."""
        return [*self.feature_names, self.target, *self.ignore]

    def of_kind(self, kind: str) -> list[str]:
        return [f.name for f in self.features if f.kind == kind]

    @property
    def labels(self) -> tuple[Label, ...]:
        """The target's labels: (negative, positive) for binary, the listed labels
        for multiclass, () for regression."""
        if self.task == "binary":
            return (self.negative, self.positive)
        return self.classes if self.task == "multiclass" else ()

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"

    def missing_values(self) -> dict[str, list[str]]:
        """Per column, the cells that mean missing: the empty cell, plus the
        feature's own tokens. Nothing else (not pandas' "NA", "None", "null")."""
        tokens = {f.name: f.missing_values for f in self.features}
        return {name: ["", *tokens.get(name, ())] for name in self.columns}


@functools.cache
def file_model():
    """The contract file's schema, `ContractFile`: one strict pydantic model (a
    quoted "false" is text, not a boolean; no unknown keys). Built on first use,
    so what imports the contract (settings; `python -m ci plan` on a bare runner)
    needs no pydantic until a file is read or the schema written."""
    from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

    def _label(value: Any) -> Label:
        if isinstance(value, str | int | float | bool):
            return value
        raise ValueError(f"expected a label (text, a number or true/false), got {_shown(value)}")

    LabelField = Annotated[
        Label,
        PlainValidator(_label),
        WithJsonSchema({"type": ["string", "number", "boolean"]}),
    ]

    class _Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    class TargetSpec(_Strict):
        """The target column; binary: its two labels; multiclass: all its labels."""

        column: str = Field(description="the target column, exactly as the table names it")
        positive: LabelField | None = Field(
            None, description="binary: the event; ROC AUC and probabilities are about it"
        )
        negative: LabelField | None = Field(None, description="binary: the other label")
        labels: list[LabelField] | None = Field(
            None, description="multiclass: every label, in the order the model answers them"
        )

    class FeatureSpec(_Strict):
        """One column the model learns from."""

        kind: Literal["numeric", "categorical", "boolean", "datetime"] = Field(
            description="numeric: quantities; categorical: text levels; boolean: true/false; "
            "datetime: ISO dates or date-times (the model derives parts from them)"
        )
        missing: bool = Field(False, description="may a value be missing?")
        missing_values: list[str] = Field(
            default_factory=list,
            description="cells that mean missing in this column (an empty cell always does)",
        )

    class TableSpec(_Strict):
        """How the CSV file is written; `make contract` sniffs it."""

        delimiter: Literal[",", ";", "\t", "|"] = ","
        decimal: Literal[".", ","] = "."
        thousands: Literal["", ",", ".", " ", "'"] = ""
        encoding: Literal["utf-8", "utf-8-sig", "latin-1", "cp1252"] = "utf-8"

    class ContractFile(_Strict):
        """The data contract file (contract.yaml)."""

        model_config = ConfigDict(
            extra="forbid",
            strict=True,
            frozen=True,
            title="Data contract",
            json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
        )
        source: str = Field("", description="the table `make run` reads when DATA= is not given")
        task: Literal["binary", "multiclass", "regression"] = Field(
            DEFAULT_TASK,
            description="binary: two labels; multiclass: one of several labels; "
            "regression: a number",
        )
        table: TableSpec = Field(default_factory=TableSpec)
        target: TargetSpec
        min_rows_per_class: int = Field(DEFAULT_MIN_ROWS_PER_CLASS, ge=2)
        features: dict[str, FeatureSpec] = Field(min_length=1)
        ignore: dict[str, str | None] = Field(
            default_factory=dict, description="columns kept in the table, never seen by the model"
        )

    return ContractFile


def json_schema() -> dict:
    """The JSON Schema of the contract file, as committed in contract.schema.json."""
    return file_model().model_json_schema()


def _problems(contract: Contract) -> list[tuple[str, str]]:
    """(key path, problem) for what the schema cannot say: how keys relate."""
    problems = []
    names = contract.feature_names
    if not contract.features and isinstance(contract.features, tuple):
        problems.append(("features", "is empty; at least one is needed"))
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append((f"features.{name}", f"feature {name!r} is listed twice"))
    for feature in contract.features:
        if feature.kind not in KINDS:
            problems.append(
                (
                    f"features.{feature.name}.kind",
                    f"feature {feature.name!r} has kind {feature.kind!r}; kinds are "
                    f"{', '.join(KINDS)}",
                )
            )
        if "" in feature.missing_values:
            problems.append(
                (f"features.{feature.name}.missing_values", "an empty cell is always missing")
            )
        if feature.missing_values and feature.missing is False:
            problems.append(
                (
                    f"features.{feature.name}.missing_values",
                    "lists missing tokens while `missing: false` says no value may be "
                    "missing: set missing: true, or remove the tokens",
                )
            )
    target = contract.target if isinstance(contract.target, str) else None
    if target in names:
        problems.append(
            (
                f"features.{contract.target}",
                f"the target {contract.target!r} is also listed as a feature",
            )
        )
    if target in contract.ignore:
        problems.append(
            (
                f"ignore.{contract.target}",
                f"the target {contract.target!r} is also listed as ignored",
            )
        )
    for name in sorted(set(names) & set(contract.ignore)):
        problems.append((f"ignore.{name}", f"{name!r} is both a feature and ignored"))
    problems += _target_problems(contract)
    rows = contract.min_rows_per_class
    if isinstance(rows, int) and rows < 2:
        problems.append(
            (
                "min_rows_per_class",
                f"min_rows_per_class must be >= 2, got {contract.min_rows_per_class}",
            )
        )
    table = contract.table
    if table.decimal in (table.thousands, table.delimiter):
        problems.append(
            ("table.decimal", f"the decimal mark {table.decimal!r} is also the delimiter or "
             "thousands separator")
        )  # fmt: skip
    return problems


def _target_problems(contract: Contract) -> list[tuple[str, str]]:
    """What the task asks of `target`: binary its two labels, multiclass at least
    three distinct labels, regression none."""
    task, problems = contract.task, []
    if task not in TASKS:
        return [("task", f"task {task!r} is not one of {', '.join(TASKS)}")]
    if task == "binary":
        for key in ("positive", "negative"):
            if getattr(contract, key) is None:
                problems.append((f"target.{key}", "required key is missing"))
        if _same_label(contract.positive, contract.negative):
            problems.append(
                ("target.negative", f"positive and negative labels are both {contract.positive!r}")
            )
    elif contract.positive is not None or contract.negative is not None:
        key = "positive" if contract.positive is not None else "negative"
        problems.append(
            (f"target.{key}", f"only a binary target has a {key} label; this task is {task}")
        )
    if task != "multiclass":
        if contract.classes:
            problems.append(
                ("target.labels", f"only a multiclass target lists labels; this task is {task}")
            )
        return problems
    if contract.classes is None:
        problems.append(("target.labels", "required key is missing (task: multiclass)"))
        return problems
    classes = list(contract.classes)
    twice = [c for i, c in enumerate(classes) if any(_same_label(c, d) for d in classes[:i])]
    for label in dict.fromkeys(twice):
        problems.append(("target.labels", f"{label!r} is listed twice"))
    if len(classes) - len(twice) < 3:
        problems.append(
            ("target.labels", f"a multiclass target needs at least 3 labels, got "
             f"{len(classes) - len(twice)} (two labels: task: binary)")
        )  # fmt: skip
    return problems


def _same_label(a: Label | None, b: Label | None) -> bool:
    return a is not None and type(a) is type(b) and a == b


# ---------------------------------------------------------------------------
# Reading: YAML with the line of every key, duplicate keys refused.


def load(path: str | Path) -> Contract:
    """Read a contract file; ContractError names the file, and every problem with
    its key path and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(
            f"no data contract at {path}: draft one with "
            "`make contract DATA=<your table> TARGET=<target column>`"
        ) from None
    return parse(text, str(path))


def parse(text: str, name: str = "the data contract") -> Contract:
    """The contract in `text`; ContractError lists every problem, each with its line."""
    import yaml

    try:
        document, lines, problems = _compose(text)
    except yaml.YAMLError as err:
        raise ContractError(f"{name}: not valid YAML ({err})") from None
    return _checked(document, problems, name, lines)


def from_dict(document: Any) -> Contract:
    """A contract from an already parsed mapping (no line numbers to give)."""
    return _checked(document, [], "the data contract", {})


def _checked(
    document: Any, problems: list[tuple[str, str]], name: str, lines: dict[str, int]
) -> Contract:
    try:
        contract = _from_document(document, problems)
    except ContractError:
        contract = None
    if problems or contract is None:
        raise ContractError(_report(name, problems, lines))
    return contract


def _from_document(document: Any, problems: list[tuple[str, str]]) -> Contract:
    if not isinstance(document, dict):
        problems.append(("", "expected a mapping with target, features and ignore"))
        raise ContractError("not a mapping")
    from pydantic import ValidationError

    found = _relations(document)
    try:
        spec = file_model().model_validate(document)
    except ValidationError as err:
        problems += _schema_problems(err, document) + found
        raise ContractError("schema") from None
    problems += found
    if problems:
        raise ContractError("inconsistent")
    return Contract(**_values(spec.model_dump()))


def _values(document: dict) -> dict[str, Any]:
    """The Contract's fields from a (validated or raw) document."""
    target = document.get("target") if isinstance(document.get("target"), dict) else {}
    features = document.get("features") if isinstance(document.get("features"), dict) else {}
    ignore = document.get("ignore") if isinstance(document.get("ignore"), dict) else {}
    table = document.get("table") if isinstance(document.get("table"), dict) else {}

    def feature(name: str, spec: Any) -> Feature:
        spec = spec if isinstance(spec, dict) else {}
        tokens = spec.get("missing_values")
        tokens = tuple(tokens) if isinstance(tokens, list) else ()
        return Feature(name, spec.get("kind"), spec.get("missing", False), tokens)

    labels = target.get("labels")
    task = document.get("task", DEFAULT_TASK)
    return {
        "target": target.get("column"),
        "positive": target.get("positive"),
        "negative": target.get("negative"),
        "task": task,
        # None (not ()) when a multiclass target lists none: the problem is named.
        "classes": tuple(labels)
        if isinstance(labels, list)
        else (None if task == "multiclass" else ()),
        "features": tuple(feature(name, spec) for name, spec in features.items()),
        "ignore": {name: why or "" for name, why in ignore.items()},
        "min_rows_per_class": document.get("min_rows_per_class", DEFAULT_MIN_ROWS_PER_CLASS),
        "source": document.get("source", ""),
        "table": TableFormat(
            **{k: v for k, v in table.items() if k in TableFormat.__dataclass_fields__}
        ),
    }


def _relations(document: dict) -> list[tuple[str, str]]:
    """How the keys relate (the target also a feature...), read from the raw
    document so these come with the schema's own problems, all at once."""
    unchecked = object.__new__(Contract)  # no __post_init__: the problems get paths here
    for key, value in _values(document).items():
        object.__setattr__(unchecked, key, value)
    return [
        (path, problem)
        for path, problem in _problems(unchecked)
        if not (path.endswith(".kind") or path in ("min_rows_per_class", "task"))  # the schema's
        or not isinstance(document.get("features"), dict)
    ]


_TYPE_WORDS = {
    "bool_type": "expected true or false",
    "int_type": "expected a whole number",
    "string_type": "expected text",
    "dict_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list",
    "model_type": "expected a mapping (key: value lines)",
}


def _schema_problems(err, document: dict) -> list[tuple[str, str]]:
    out = []
    for error in err.errors():
        loc = [str(part) for part in error["loc"]]
        # A union's member names ("dict[str,...]") are not keys of the file.
        while loc and not _is_key(document, loc):
            loc.pop()
        path = ".".join(loc)
        kind, value = error["type"], error.get("input")
        if kind == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}" + _did_you_mean(loc[-1], _allowed(loc[:-1]))
        elif kind == "missing":
            message = "required key is missing"
        elif kind == "literal_error":
            allowed = re.findall(r"'((?:[^'\\]|\\.)*)'", error["ctx"]["expected"])
            message = f"{_shown(value)} is not one of {error['ctx']['expected']}" + _did_you_mean(
                str(value), allowed, listed=True
            )
        elif kind == "too_short":
            message = "is empty; at least one is needed"
        elif kind in _TYPE_WORDS:
            message = f"{_TYPE_WORDS[kind]}, got {_shown(value)}"
        elif kind == "value_error":
            message = str(error["ctx"]["error"])
        else:
            message = error["msg"]
        if (path, message) not in out:
            out.append((path, message))
    return out


def _is_key(document: Any, loc: list[str]) -> bool:
    node = document
    for part in loc[:-1]:
        node = _child(node, part)
        if node is None:
            return False
    if isinstance(node, dict):
        return loc[-1] in node or loc[-1] in _allowed(loc[:-1])
    return isinstance(node, list) and loc[-1].isdigit()


def _child(node: Any, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return None


def _allowed(loc: list[str]) -> list[str]:
    """The keys the schema allows at `loc` (features.<name> allows a feature's keys)."""
    model: Any = file_model()
    parts = list(loc)
    while parts:
        fields = getattr(model, "model_fields", None)
        if fields is None or parts[0] not in fields:
            return []
        model = fields[parts.pop(0)].annotation
        if getattr(model, "__origin__", None) is dict:  # features: name -> FeatureSpec
            if not parts:
                return []
            model = model.__args__[1]
            parts.pop(0)
    return list(getattr(model, "model_fields", {}))


def _did_you_mean(word: str, allowed: list[str], listed: bool = False) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; allowed: {', '.join(allowed)}" if allowed and not listed else ""


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}" + (
            " (remove the quotes)" if value.lower() in ("true", "false") or _numeric(value) else ""
        )
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _report(name: str, problems: list[tuple[str, str]], lines: dict[str, int]) -> str:
    def where(path: str) -> str:
        line = _line(path, lines)
        return (f"line {line}, " if line else "") + (path or "(the file)")

    problems = sorted(dict.fromkeys(problems), key=lambda p: _line(p[0], lines))
    first_path, first = problems[0]
    count = f"{len(problems)} problem(s) in the data contract"
    head = f"{name}: {count}, first {where(first_path)}: {first}"
    if len(problems) == 1:
        return head
    return head + "".join(f"\n  - {where(path)}: {problem}" for path, problem in problems)


def _line(path: str, lines: dict[str, int]) -> int:
    parts = path.split(".") if path else []
    while parts:  # the closest key the file has: a missing key is reported at its parent
        found = lines.get(".".join(parts))
        if found:
            return found
        parts.pop()
    return 0


def _compose(text: str) -> tuple[Any, dict[str, int], list[tuple[str, str]]]:
    """The YAML document as Python values, the line of every key path, and the
    keys repeated in one mapping (a YAML parser would keep the last silently)."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    constructor = yaml.SafeLoader("")
    lines: dict[str, int] = {}
    problems: list[tuple[str, str]] = []

    def build(node: Any, path: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                key = key if isinstance(key, str) else str(key)
                child = f"{path}.{key}" if path else key
                if key in out:
                    problems.append(
                        (child, f"{key!r} appears twice in one mapping (first at line "
                         f"{lines[child]}); a YAML reader would keep only the last")
                    )  # fmt: skip
                    lines[child] = key_node.start_mark.line + 1
                    continue
                lines[child] = key_node.start_mark.line + 1
                out[key] = build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, f"{path}.{i}") for i, item in enumerate(node.value)]
        return constructor.construct_object(node, deep=True)

    return (build(root, "") if root is not None else None), lines, problems


# ---------------------------------------------------------------------------
# Writing.

_HEADER = """\
# The data contract: what the training table is. Validation, the model's
# preprocessing, the MLflow signature, serving and the tests all read it.
# Drafted by `make contract`; review it like code (kinds, missing, ignore),
# then commit it. Column names are exactly as in the table.
"""


def dump(contract: Contract, notes: dict[str, str] | None = None, schema: str = SCHEMA_FILE) -> str:
    """The contract as YAML text: stable for the same contract, comments included.

    `notes` adds a trailing comment to a feature's line (why a kind was chosen);
    `schema` is the JSON Schema's path relative to the file, named on the first
    line for editors ("" = no such line).
    """
    import yaml

    def line(value: Any) -> str:
        return yaml.safe_dump(
            value, default_flow_style=True, allow_unicode=True, width=10**6, sort_keys=False
        )[:-1].removesuffix("\n...")

    notes = notes or {}
    out = [f"{SCHEMA_HINT}{schema}"] if schema else []
    out.append(_HEADER)
    if contract.source:
        out.append(f"source: {line(contract.source)}  # the table `make run` reads by default")
    if contract.task != DEFAULT_TASK:  # a binary contract reads as it always has
        out.append(f"task: {contract.task}  # binary | multiclass | regression")
    table = contract.table
    fmt = {
        "delimiter": table.delimiter,
        "decimal": table.decimal,
        "thousands": table.thousands,
        "encoding": table.encoding,
    }
    # A Parquet file carries its own types: a CSV dialect line would only mislead.
    parquet = Path(contract.source).suffix.lower() in (".parquet", ".pq")
    if not (parquet and table == TableFormat()):
        out.append(f"table: {line(fmt)}  # how the CSV is written")
    out += [
        "target:",
        f"  column: {line(contract.target)}",
        *_target_lines(contract, line),
        *(  # a number to predict has no classes to count
            []
            if contract.task == "regression"
            and contract.min_rows_per_class == DEFAULT_MIN_ROWS_PER_CLASS
            else [f"min_rows_per_class: {contract.min_rows_per_class}"]
        ),
        "features:  # kind: numeric | categorical | boolean | datetime; missing: may a value "
        "be empty?",
    ]
    for feature in contract.features:
        spec: dict[str, Any] = {"kind": feature.kind, "missing": feature.missing}
        if feature.missing_values:
            spec["missing_values"] = list(feature.missing_values)
        note = f"  # {notes[feature.name]}" if notes.get(feature.name) else ""
        out.append(f"  {line(feature.name)}: {line(spec)}{note}")
    if contract.ignore:
        out.append("ignore:  # kept in the table, never seen by the model")
        out += [f"  {line(name)}: {line(why)}" for name, why in contract.ignore.items()]
    else:
        out.append("ignore: {}")
    return "\n".join(out) + "\n"


def _target_lines(contract: Contract, line) -> list[str]:
    if contract.task == "binary":
        return [
            f"  positive: {line(contract.positive)}  # ROC AUC and served probabilities are for it",
            f"  negative: {line(contract.negative)}",
        ]
    if contract.task == "multiclass":
        return [f"  labels: {line(list(contract.classes))}  # one probability_<label> each"]
    return []
