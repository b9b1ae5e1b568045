"""The Flyte workflow: prepare -> train -> gate -> register -> deploy."""

from __future__ import annotations

from flytekit import LaunchPlan, workflow

from workflows import identity
from workflows.domain.training import DEFAULT_ESTIMATOR
from workflows.settings import DEFAULT_MIN_DELTA
from workflows.steps import Deployment
from workflows.tasks import challenge, deploy, gate, prepare, register, train


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
) -> Deployment:
    """Train a classifier, gate it on ROC AUC, register it, compare it with the
    model `@<domain>` points at, and move the alias to it when it is not worse.

    data: CSV/Parquet path or URI meeting the data contract; "" = the contract's `source`.
    estimator: hist_gradient_boosting | random_forest.
    params: the estimator's hyper-parameters as a JSON object, e.g. '{"max_depth": 3}'.
    min_delta: the alias moves when ROC AUC >= the champion's - min_delta (same rows).
    """
    split = prepare(data=data, test_size=test_size, seed=seed)
    trained = train(
        train=split.train, test=split.test, estimator=estimator, params=params,
        seed=seed, git_sha=git_sha,
    )  # fmt: skip
    approved = gate(result=trained, min_auc=min_auc)
    model = register(result=approved, git_sha=git_sha, git_ref=git_ref)
    verdict = challenge(model=model, result=approved, test=split.test, min_delta=min_delta)
    return deploy(
        model=model, test=split.test, expected=approved.expected, git_ref=git_ref, verdict=verdict
    )


# The launch plan CI starts in each domain; its defaults are the workflow's.
training_launch_plan = LaunchPlan.get_or_create(
    training_pipeline, name=f"{identity.FLYTE_PROJECT}.training"
)
