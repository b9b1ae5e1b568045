"""The data contract: what the team's training table is, read from one YAML file.

Every part of the pipeline reads the contract (validation, the model's
preprocessing, the MLflow signature, the serving example, synthetic data,
the tests' generators); no module names a column. `make contract` drafts it
(workflows/draft.py); the team reviews and commits it like code. Pure: no
Flyte, no MLflow.

The file (contract.yaml at the project root unless CONTRACT= says otherwise):

    source: builtin:breast_cancer    # the table `make run` reads when DATA= is not given
    target:
      column: diagnosis
      positive: malignant            # the label ROC AUC and served probabilities are about
      negative: benign
    min_rows_per_class: 10
    features:                        # kind: numeric | categorical | boolean
      mean radius: {kind: numeric, missing: false}
    ignore:                          # kept in the table, never seen by the model
      id: unique per row (an identifier)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.domain.errors import PipelineError

KINDS = ("numeric", "categorical", "boolean")
# Fewer than this in a class and a stratified split can leave a part without it,
# and ROC AUC is undefined on a test set with one class.
DEFAULT_MIN_ROWS_PER_CLASS = 10
Label = str | int | float | bool


class ContractError(PipelineError, ValueError):
    """The contract file itself is unreadable or inconsistent; the message names it."""


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # one of KINDS
    missing: bool  # may a value be missing (empty cell, NaN, null)?


@dataclass(frozen=True)
class Contract:
    target: str
    positive: Label
    negative: Label
    features: tuple[Feature, ...]
    ignore: dict[str, str] = field(default_factory=dict)  # column -> why it is ignored
    min_rows_per_class: int = DEFAULT_MIN_ROWS_PER_CLASS
    source: str = ""  # the default table for this contract; "" = none

    def __post_init__(self) -> None:
        problems = _problems(self)
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
    def labels(self) -> tuple[Label, Label]:
        """(negative, positive): the order of a binary model's classes."""
        return (self.negative, self.positive)


def _problems(contract: Contract) -> list[str]:
    problems = []
    if not contract.features:
        problems.append("it lists no feature")
    names = contract.feature_names
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"feature {name!r} is listed twice")
    for feature in contract.features:
        if feature.kind not in KINDS:
            problems.append(
                f"feature {feature.name!r} has kind {feature.kind!r}; kinds are {', '.join(KINDS)}"
            )
    if contract.target in names or contract.target in contract.ignore:
        problems.append(f"the target {contract.target!r} is also listed as a feature or ignored")
    for name in sorted(set(names) & set(contract.ignore)):
        problems.append(f"{name!r} is both a feature and ignored")
    if _same_label(contract.positive, contract.negative):
        problems.append(f"positive and negative labels are both {contract.positive!r}")
    if contract.min_rows_per_class < 2:
        problems.append(f"min_rows_per_class must be >= 2, got {contract.min_rows_per_class}")
    return problems


def _same_label(a: Label, b: Label) -> bool:
    return type(a) is type(b) and a == b


def load(path: str | Path) -> Contract:
    """Read a contract file; ContractError names the file and what is wrong."""
    import yaml

    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(
            f"no data contract at {path}: draft one with "
            "`make contract DATA=<your table> TARGET=<target column>`"
        ) from None
    except yaml.YAMLError as err:
        raise ContractError(f"{path}: not valid YAML ({err})") from None
    try:
        return from_dict(document)
    except ContractError as err:
        raise ContractError(f"{path}: {err}") from None


def from_dict(document: Any) -> Contract:
    if not isinstance(document, dict):
        raise ContractError("expected a mapping with target, features and ignore")
    target = _mapping(document, "target")
    for key in ("column", "positive", "negative"):
        if target.get(key) is None:
            raise ContractError(f"target.{key} is missing")
    features = []
    for name, spec in _mapping(document, "features").items():
        if not isinstance(spec, dict) or "kind" not in spec:
            raise ContractError(f"feature {name!r} needs a mapping with at least `kind`")
        features.append(Feature(str(name), str(spec["kind"]), bool(spec.get("missing", False))))
    ignore = document.get("ignore") or {}
    if isinstance(ignore, list):  # a bare list of names is fine too
        ignore = {name: "" for name in ignore}
    if not isinstance(ignore, dict):
        raise ContractError("ignore must map column names to a reason")
    return Contract(
        target=str(target["column"]),
        positive=target["positive"],
        negative=target["negative"],
        features=tuple(features),
        ignore={str(k): str(v or "") for k, v in ignore.items()},
        min_rows_per_class=int(document.get("min_rows_per_class", DEFAULT_MIN_ROWS_PER_CLASS)),
        source=str(document.get("source") or ""),
    )


def _mapping(document: dict, key: str) -> dict:
    value = document.get(key)
    if not isinstance(value, dict) or not value:
        raise ContractError(f"{key} must be a non-empty mapping")
    return value


_HEADER = """\
# The data contract: what the training table is. Validation, the model's
# preprocessing, the MLflow signature, serving and the tests all read it.
# Drafted by `make contract`; review it like code (kinds, missing, ignore),
# then commit it. Column names are exactly as in the table.
"""


def dump(contract: Contract, notes: dict[str, str] | None = None) -> str:
    """The contract as YAML text: stable for the same contract, comments included.

    `notes` adds a trailing comment to a feature's line (why a kind was chosen).
    """
    import yaml

    def line(value: Any) -> str:
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6)[
            :-1
        ].removesuffix("\n...")

    notes = notes or {}
    out = [_HEADER]
    if contract.source:
        out.append(f"source: {line(contract.source)}  # the table `make run` reads by default")
    out += [
        "target:",
        f"  column: {line(contract.target)}",
        f"  positive: {line(contract.positive)}  # ROC AUC and served probabilities are for it",
        f"  negative: {line(contract.negative)}",
        f"min_rows_per_class: {contract.min_rows_per_class}",
        "features:  # kind: numeric | categorical | boolean; missing: may a value be empty?",
    ]
    for feature in contract.features:
        spec = line({"kind": feature.kind, "missing": feature.missing})
        note = f"  # {notes[feature.name]}" if notes.get(feature.name) else ""
        out.append(f"  {line(feature.name)}: {spec}{note}")
    if contract.ignore:
        out.append("ignore:  # kept in the table, never seen by the model")
        out += [f"  {line(name)}: {line(why)}" for name, why in contract.ignore.items()]
    else:
        out.append("ignore: {}")
    return "\n".join(out) + "\n"
