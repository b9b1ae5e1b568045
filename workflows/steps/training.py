"""The pipeline's steps as plain functions: domain + gateways, no Flyte.

tasks.py wraps each in a Flyte task; tests call them directly.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.domain import contract as data_contract
from workflows.domain import data, schema
from workflows.domain.challenge import Verdict, comparable, decide
from workflows.domain.drift import SAMPLE_ROWS
from workflows.domain.gate import (
    METRICS,
    QualityGateError,
    check_gate_value,
    gate_for,
    parse_gate,
)
from workflows.domain.leakage import possible_leaks
from workflows.domain.promotion import alias_move, check_promotion
from workflows.domain.training import TrainParams
from workflows.identity import DEFAULT_GATE
from workflows.progress import note

if TYPE_CHECKING:
    import pandas as pd

    from workflows.domain.evaluation import Evaluation
    from workflows.settings import Settings

SMOKE_ROWS = 20
EXAMPLE_ROWS = 2  # real rows logged with the model: `make serve` shows them as a request
FINGERPRINT_TAG = "model_fingerprint"
LEAK_TAG = "possible_leak"  # features that alone separate the target (domain/leakage.py)
DIGEST_TAG = "training_dataset_digest"  # on the model version: which data made it


@dataclass
class TrainResult:
    run_id: str
    model_uri: str
    roc_auc: float  # binary: ROC AUC; multiclass: macro ROC AUC; regression: NaN
    fingerprint: str
    # What the model gave the first SMOKE_ROWS test rows (model.check_scores): the
    # deploy step checks the served model answers the same.
    expected: list[float]
    data_digest: str = ""  # the training rows' MLflow dataset digest
    task: str = "binary"  # the contract's task
    metrics: dict[str, float] = field(default_factory=dict)  # the held-out evaluation
    gate: str = ""  # the gate it passed, e.g. "rmse<=12.5" (set by `gate`)


@dataclass
class ModelVersion:
    name: str
    version: str
    run_id: str
    reused: bool


@dataclass
class Deployment:
    name: str
    version: str
    alias: str
    uri: str
    previous: str  # "" when the alias pointed nowhere before
    checked_by: str
    promoted: bool = True  # False: the champion kept the alias (see `outcome`)
    candidate: str = ""  # the version this run registered
    outcome: str = ""  # the champion/challenger verdict, both ROC AUCs in it
    moved: bool = True  # False: the alias was already on `version` (a rerun)


def prepare(
    contract_path: str, source: str, test_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load `source` ("" = the contract's own), validate it, split it stratified."""
    contract = data_contract.load(contract_path)
    source = data.resolve_source(source, contract, contract_path)
    table = data.with_rows(data.load(source, contract, seed), source)
    frame = schema.validate(table, contract, contract_path)
    # Rows the model cannot tell apart (same features) are one group: were copies on
    # both sides, the test would score rows the model has seen, with their labels.
    groups = data.row_groups(frame, contract.feature_names)
    train, test = data.split(
        frame, contract.target, test_size, seed, groups, stratify=contract.is_classification
    )
    schema.check_split(train, test, contract)
    distinct = int(groups.max()) + 1 if len(groups) else 0
    note(
        f"{source}: {len(frame)} rows valid against {Path(contract_path).name} "
        f"({_balance(frame, contract)}) -> {len(train)} train / {len(test)} test"
    )
    if distinct < len(frame):
        note(
            f"{len(frame) - distinct} duplicate row(s): {distinct} distinct feature rows in "
            f"{len(frame)}; copies of a row stay on one side of the split"
        )
    return train, test


def _balance(frame: pd.DataFrame, contract) -> str:
    """The target at a glance: the positive share, the label count or the range."""
    target = frame[contract.target]
    if contract.task == "binary":
        positives = sum(schema.is_label(v, contract.positive) for v in target)
        return f"{positives / len(frame):.1%} {contract.positive!r}"
    if contract.task == "multiclass":
        return f"{len(contract.classes)} labels"
    return f"{contract.target!r} from {target.min():g} to {target.max():g}, mean {target.mean():g}"


def _scored_note(estimator: str, scored, contract) -> str:
    if contract.task == "binary":
        return (
            f"{estimator}: ROC AUC {scored.roc_auc:.4f} for {contract.positive!r} on "
            f"{scored.rows} held-out rows ({scored.positive_share:.1%} {contract.positive!r})"
        )
    if contract.task == "multiclass":
        return (
            f"{estimator}: macro ROC AUC {scored.macro_roc_auc:.4f}, log loss "
            f"{scored.log_loss:.4f}, accuracy {scored.accuracy:.4f} on {scored.rows} held-out "
            f"rows ({len(scored.labels)} labels)"
        )
    return (
        f"{estimator}: RMSE {scored.rmse:.4g} (predicting the mean: {scored.baseline_rmse:.4g}), "
        f"MAE {scored.mae:.4g}, R² {scored.r2:.4f} on {scored.rows} held-out rows"
    )


def train(
    settings: Settings, train: pd.DataFrame, test: pd.DataFrame, params: TrainParams
) -> tuple[TrainResult, Evaluation, dict[str, str]]:
    """Fit, evaluate and log one MLflow run. Registers nothing."""
    import joblib

    from workflows.domain import evaluation, plots, training
    from workflows.gateways.registry import Datasets, Registry

    contract = data_contract.load(settings.contract_path)
    limit = training.category_limit(params)
    for name, levels in training.pooled(train, contract, params).items():
        note(
            f"{name!r} has {levels} levels, more than {params.estimator} takes ({limit}, "
            f"max_bins - 1): its {levels - limit + 1} rarest are pooled into one level"
        )
    model = training.train(train, contract, params)
    scored = evaluation.evaluate(model, test, contract)
    note(_scored_note(params.estimator, scored, contract))
    leaks = possible_leaks(train, test, contract)
    for leak in leaks:
        note(
            f"possible leak: {leak.feature!r} alone reaches ROC AUC {leak.roc_auc:.4f} on the "
            "held-out rows; check it is known before the outcome"
        )
    images = plots.plots(scored)
    fingerprint = joblib.hash(model)
    features, _ = training.features_and_target(test.head(SMOKE_ROWS), contract)
    expected = model.check_scores(features)
    train_features, _ = training.features_and_target(train, contract)
    reference = train_features.sample(min(len(train), SAMPLE_ROWS), random_state=params.seed)
    # The model's own answers on them: scoring compares its answers with these (drift).
    reference = _with_answers(reference, model)
    logged = Registry(settings).log_training_run(
        model,
        contract=contract,
        example=features.head(EXAMPLE_ROWS),
        params={
            "estimator": params.estimator,
            **{f"estimator.{k}": v for k, v in params.params.items()},
            "seed": params.seed,
            "data": settings.data or contract.source,
            "train_rows": len(train),
        },
        evaluation=scored,
        images=images,
        tags={
            "domain": settings.domain,
            "git_sha": settings.git_sha,
            FINGERPRINT_TAG: fingerprint,
            **({LEAK_TAG: ", ".join(leak.feature for leak in leaks)} if leaks else {}),
        },
        reference=reference,
        datasets=Datasets(train, test, settings.data or contract.source, contract.target),
    )
    result = TrainResult(
        logged.run_id, logged.model_uri, scored.roc_auc, fingerprint, expected, logged.digest,
        contract.task, {k: float(v) for k, v in scored.metrics().items()},
    )  # fmt: skip
    return result, scored, images


def _with_answers(rows: pd.DataFrame, model) -> pd.DataFrame:
    """`rows` with the model's answer columns beside them."""
    import pandas as pd

    answers = model.predict(rows).set_axis(rows.index)
    return pd.concat([rows, answers], axis=1)


GATE_TAG = "quality_gate"  # the training run's tag: "passed: ..." or "refused: ..."


def gate(
    result: TrainResult, min_auc: float, gate: str = "", settings: Settings | None = None
) -> TrainResult:
    """Pass the result on when it meets the gate: GATE (`gate`) when set, else
    MIN_AUC for classification or the project's default gate; QualityGateError
    (nothing registered) when it misses, GateError when GATE is not the task's.
    settings: where the training run is, to tag it with the verdict (GATE_TAG)."""
    chosen = gate_for(gate, min_auc, result.task, DEFAULT_GATE)
    value = result.metrics.get(chosen.metric, result.roc_auc)
    try:
        check_gate_value(value, chosen)
    except QualityGateError:
        _tag_verdict(settings, result, f"refused: {chosen.metric} {value:.4f} (gate {chosen})")
        raise
    _tag_verdict(settings, result, f"passed: {chosen.metric} {value:.4f} (gate {chosen})")
    if chosen.source == "min_auc" and result.task == "binary":
        note(f"ROC AUC {value:.4f} >= min_auc {min_auc:g}")  # as the summary writes it
    else:
        note(f"{METRICS[chosen.metric].title} {value:.4f} meets the gate {chosen}")
    return dataclasses.replace(result, gate=str(chosen))


def _tag_verdict(settings: Settings | None, result: TrainResult, verdict: str) -> None:
    if settings is not None:
        from workflows.gateways.registry import Registry

        Registry(settings).tag_run(result.run_id, {GATE_TAG: verdict})


def register(settings: Settings, result: TrainResult, execution_id: str) -> ModelVersion:
    """Create a model version, or reuse the one that holds the very same model."""
    from workflows.gateways.registry import LoggedRun, Registry

    registry = Registry(settings)
    # Runs on this machine take turns from lookup to registration: two runs of the
    # same model at once must still end with one version.
    with registry.lock("register", settings.model_name):
        existing = registry.find_version(FINGERPRINT_TAG, result.fingerprint)
        if existing is not None:
            note(f"{settings.model_name} v{existing} already holds this model: reusing it")
            return ModelVersion(settings.model_name, existing, result.run_id, reused=True)
        tags = {
            FINGERPRINT_TAG: result.fingerprint,
            "git_sha": settings.git_sha or "unknown",
            "git_ref": settings.git_ref or "unknown",
            "domain": settings.domain,
            "flyte_execution": execution_id,
            **_gate_tags(result),
            DIGEST_TAG: result.data_digest or "unknown",
        }
        version = registry.register(LoggedRun(result.run_id, result.model_uri), tags)
    note(f"registered {settings.model_name} v{version}")
    return ModelVersion(settings.model_name, version, result.run_id, reused=False)


def _gate_tags(result: TrainResult) -> dict[str, str]:
    """The version's score: ROC AUC for classification, and the gate's metric."""
    tags = {} if math.isnan(result.roc_auc) else {"roc_auc": f"{result.roc_auc:.6f}"}
    if result.gate:
        metric = parse_gate(result.gate).metric
        tags[metric] = f"{result.metrics.get(metric, result.roc_auc):.6f}"
        tags["quality_gate"] = result.gate
    return tags


def _compared_on(result: TrainResult):
    """The gate the champion and challenger are compared on (ROC AUC by default)."""
    from workflows.domain.challenge import ROC_AUC_GATE

    return parse_gate(result.gate) if result.gate else ROC_AUC_GATE


def challenge(
    settings: Settings, model: ModelVersion, result: TrainResult, test: pd.DataFrame
) -> Verdict:
    """Score the model `@<domain>` points at on the challenger's held-out rows;
    record both ROC AUCs on the run and, when the challenger loses, on its version."""
    from workflows.domain import evaluation
    from workflows.gateways.registry import Registry

    registry = Registry(settings)
    gate = _compared_on(result)
    ours = result.metrics.get(gate.metric, result.roc_auc)
    delta = settings.min_delta
    champion = registry.alias_target(settings.domain)
    if champion is None:
        verdict = decide(ours, delta, gate=gate)
    elif champion == model.version:  # a re-run: the registry already held this very model
        verdict = decide(ours, delta, champion, None, "it is this same model", gate)
    else:
        contract = data_contract.load(settings.contract_path)
        if not comparable(registry.version_contract(champion), contract):
            verdict = decide(
                ours, delta, champion, None, "it was trained on a different data contract", gate
            )
        else:
            model_uri = f"models:/{settings.model_name}/{champion}"
            scored = evaluation.evaluate(registry.load_model(model_uri), test, contract)
            theirs = scored.metrics().get(gate.metric, scored.roc_auc)
            verdict = decide(ours, delta, champion, theirs, gate=gate)
    metric = gate.metric
    metrics = {f"challenger_{metric}": verdict.challenger_auc}
    if not math.isnan(verdict.champion_auc):  # the champion was scored
        metrics[f"champion_{metric}"] = verdict.champion_auc
    registry.log_metrics(result.run_id, metrics)
    if not verdict.promote:
        registry.tag_version(
            model.version,
            {
                "challenge": "lost",
                "champion_version": verdict.champion_version,
                f"champion_{metric}": f"{verdict.champion_auc:.6f}",
                f"challenger_{metric}": f"{verdict.challenger_auc:.6f}",
                "min_delta": f"{verdict.min_delta:g}",
            },
        )
    note(verdict.reason)
    return verdict


def deploy(
    settings: Settings,
    model: ModelVersion,
    sample: pd.DataFrame,
    expected: list[float],
    verdict: Verdict | None = None,
) -> Deployment:
    """Prove the version answers, then move `@<domain>` to it.

    The check asks for the version itself (models:/<name>/<version>), so a failed
    check leaves both aliases as they were: nothing to put back, even when what
    failed is the tracking server. (A cluster rollout still rolls itself back.)
    A challenger that lost (`verdict`) is neither checked nor deployed: the alias
    stays on the champion.
    """
    from workflows.domain import training
    from workflows.gateways.registry import Registry
    from workflows.gateways.tracking import explain

    check_promotion(settings.domain, settings.git_ref)
    if verdict is not None and not verdict.promote:
        return _kept(settings, model, verdict)
    contract = data_contract.load(settings.contract_path)
    rows, _ = training.features_and_target(sample.head(len(expected)), contract)
    registry = Registry(settings)
    alias = settings.domain
    pinned = f"models:/{model.name}/{model.version}"
    deployer = _deployer(settings, registry, model.version)
    try:
        checked_by = deployer.check(pinned, rows, expected)
    except Exception as err:
        note(f"check of v{model.version} failed: @{alias} not moved")
        failure = explain(err, settings.tracking_uri)
        if failure is err:
            raise
        raise failure from err
    before = registry.move_alias(alias, model.version)
    uri = f"models:/{model.name}@{alias}"
    moved = before.current != model.version
    previous = before.current if moved else before.previous
    note(f"{alias_move(alias, model.version, previous, moved)}; {checked_by}")
    outcome = verdict.reason if verdict else ""
    return Deployment(
        model.name, model.version, alias, uri, previous or "", checked_by,
        candidate=model.version, outcome=outcome, moved=moved,
    )  # fmt: skip


def _kept(settings: Settings, model: ModelVersion, verdict: Verdict) -> Deployment:
    """The champion keeps `@<domain>`; the challenger stays registered, tagged."""
    alias = settings.domain
    note(f"@{alias} stays on v{verdict.champion_version}; v{model.version} is registered only")
    uri = f"models:/{model.name}@{alias}"
    return Deployment(
        model.name, verdict.champion_version, alias, uri, "", "not deployed: the champion "
        "kept the alias", promoted=False, candidate=model.version, outcome=verdict.reason,
    )  # fmt: skip


def _deployer(settings: Settings, registry, version: str):
    """Who proves the model answers: the cluster's `model-<domain>` Service after a
    rollout, an endpoint already serving (SERVING_URL), or this process."""
    from workflows.gateways.deployer import HttpDeployer, InProcessDeployer

    if settings.deploy_target == "kubernetes":
        from workflows.gateways.kubernetes import KubernetesDeployer

        return KubernetesDeployer(settings, registry, version)
    if settings.serving_url:
        return HttpDeployer(settings.serving_url)
    return InProcessDeployer(registry)
