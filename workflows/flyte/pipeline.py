"""The Flyte workflows and their launch plans.

training_pipeline: prepare -> train -> gate -> register -> challenge -> deploy.
scoring_pipeline: score with `@<domain>` + drift report -> retrain on drift (off by default).
"""

from __future__ import annotations

from flytekit import CronSchedule, LaunchPlan, conditional, workflow
from flytekit.types.file import FlyteFile

from workflows import identity
from workflows.domain.drift import DEFAULT_DRIFT_LIMIT
from workflows.domain.training import DEFAULT_ESTIMATOR
from workflows.flyte import schedules
from workflows.flyte.tasks import (
    challenge,
    deploy,
    gate,
    keep_model,
    prepare,
    register,
    score,
    train,
)
from workflows.settings import DEFAULT_MIN_DELTA
from workflows.steps.scoring import ScoreResult
from workflows.steps.training import Deployment


@workflow
def training_pipeline(
    data: str = "",
    min_auc: float = identity.DEFAULT_MIN_AUC,
    estimator: str = DEFAULT_ESTIMATOR,
    params: str = "{}",
    test_size: float = 0.25,
    seed: int = 42,
    git_sha: str = "",
    git_ref: str = "",
    min_delta: float = DEFAULT_MIN_DELTA,
    quality_gate: str = "",
) -> Deployment:
    """Train the contract's model (classifier or regressor), gate it, register it,
    compare it with the model `@<domain>` points at on the gate's metric, and move
    the alias to it when it is not worse.

    data: CSV/Parquet path or URI meeting the data contract; "" = the contract's `source`.
    estimator: hist_gradient_boosting | random_forest.
    params: the estimator's hyper-parameters as a JSON object, e.g. '{"max_depth": 3}'.
    min_delta: the alias moves when the gate's metric is no worse than the
        champion's by more than min_delta (same rows).
    quality_gate: "<metric><direction><threshold>", e.g. "rmse<=12.5"; "" = the project's
        gate (identity.DEFAULT_GATE) where it is a metric of the contract's task, else
        min_auc on ROC AUC (classification) or r2>=0.5 (regression). Never
        identity.DEFAULT_GATE itself here: a regression default would be refused
        for a binary contract.
    """
    split = prepare(data=data, test_size=test_size, seed=seed)
    trained = train(
        train=split.train, test=split.test, estimator=estimator, params=params,
        seed=seed, git_sha=git_sha, data=data,
    )  # fmt: skip
    approved = gate(result=trained, min_auc=min_auc, quality_gate=quality_gate)
    model = register(result=approved, git_sha=git_sha, git_ref=git_ref)
    verdict = challenge(model=model, result=approved, test=split.test, min_delta=min_delta)
    return deploy(
        model=model, test=split.test, expected=approved.expected, git_ref=git_ref, verdict=verdict
    )


# The launch plan CI starts in each domain; its defaults are the workflow's.
training_launch_plan = LaunchPlan.get_or_create(
    training_pipeline, name=f"{identity.FLYTE_PROJECT}.training"
)


@workflow
def scoring_pipeline(
    data: str = "",
    out: str = "",
    drift_limit: float = DEFAULT_DRIFT_LIMIT,
    retrain_on_drift: bool = False,
    git_sha: str = "",
    git_ref: str = "",
) -> tuple[FlyteFile, ScoreResult]:
    """Score a table with the model `@<domain>` points at; report drift against
    the training sample logged with that version.

    data: CSV/Parquet meeting the data contract (target optional); "" = its `source`.
    out: where to write the Parquet scores (local runs); "" = the `scores` output only.
    retrain_on_drift: when drift is detected, start the training launch plan (a
        launch-plan node in a conditional branch) in this domain.
    """
    scored = score(data=data, out=out, drift_limit=drift_limit)
    (
        conditional("retrain_on_drift")
        .if_(scored.drift_detected.is_true() & retrain_on_drift.is_true())
        .then(training_launch_plan(git_sha=git_sha, git_ref=git_ref))
        .else_()
        .then(keep_model(drift_detected=scored.drift_detected))
    )
    return scored.scores, scored.result


scoring_launch_plan = LaunchPlan.get_or_create(
    scoring_pipeline, name=f"{identity.FLYTE_PROJECT}.scoring"
)
# Scheduled twins, registered everywhere, switched on only in production by CD.
_schedules = schedules.read()
scoring_schedule = LaunchPlan.get_or_create(
    scoring_pipeline,
    name=schedules.SCORING_SCHEDULE,
    schedule=CronSchedule(schedule=_schedules.scoring_cron),
    fixed_inputs={"retrain_on_drift": _schedules.retrain_on_drift, **schedules.provenance()},
)
training_schedule = LaunchPlan.get_or_create(
    training_pipeline,
    name=schedules.TRAINING_SCHEDULE,
    schedule=CronSchedule(schedule=_schedules.training_cron),
    fixed_inputs=schedules.provenance(),
)
