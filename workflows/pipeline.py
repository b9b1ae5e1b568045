"""The Flyte workflow: prepare -> train -> gate -> register -> deploy."""

from __future__ import annotations

from flytekit import LaunchPlan, workflow

from workflows import identity
from workflows.domain.training import DEFAULT_ESTIMATOR
from workflows.steps import Deployment
from workflows.tasks import deploy, gate, prepare, register, train


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
) -> Deployment:
    """Train a classifier, gate it on ROC AUC, register it and move `@<domain>` to it.

    data: CSV/Parquet path or URI meeting the data contract; "" = the contract's `source`.
    estimator: hist_gradient_boosting | random_forest.
    params: the estimator's hyper-parameters as a JSON object, e.g. '{"max_depth": 3}'.
    """
    split = prepare(data=data, test_size=test_size, seed=seed)
    trained = train(
        train=split.train, test=split.test, estimator=estimator, params=params,
        seed=seed, git_sha=git_sha,
    )  # fmt: skip
    approved = gate(result=trained, min_auc=min_auc)
    model = register(result=approved, git_sha=git_sha, git_ref=git_ref)
    return deploy(model=model, test=split.test, expected=approved.expected, git_ref=git_ref)


# The launch plan CI starts in each domain; its defaults are the workflow's.
training_launch_plan = LaunchPlan.get_or_create(
    training_pipeline, name=f"{identity.FLYTE_PROJECT}.training"
)
