"""Helpers for the integration tests: run the pipeline, read the registry's state."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from workflows.domain.errors import find_pipeline_error
from workflows.settings import PROJECT_ROOT

DOMAINS = ("development", "staging", "production")
# Variables that would make a run use something other than what a test sets.
PIPELINE_VARS = (
    "MLFLOW_TRACKING_URI", "MODEL_NAME", "MLFLOW_EXPERIMENT_NAME", "DOMAIN", "MIN_AUC", "DATA",
    "GATE", "ROWS", "SERVING_URL", "DEPLOY_TARGET", "GIT_SHA", "GIT_REF",
    "FLYTE_INTERNAL_EXECUTION_DOMAIN", "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "CONTRACT", "ESTIMATOR", "PARAMS", "MIN_DELTA", "DRIFT_LIMIT",
)  # fmt: skip


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(env: dict[str, str], *args: str, **extra: str) -> Outcome:
    """`python -m workflows run` (or `*args`) in a fresh process: no S3 credentials,
    only the server."""
    clean = {k: v for k, v in os.environ.items() if k not in PIPELINE_VARS}
    done = subprocess.run(
        [sys.executable, "-m", "workflows", *(args or ("run",))],
        cwd=PROJECT_ROOT,
        env={**clean, **env, **extra},
        capture_output=True,
        text=True,
        timeout=240,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def registry_state(registry) -> dict:
    """Every version of the test's model and where each alias points."""
    from mlflow.exceptions import MlflowException

    try:
        versions = registry.client.search_model_versions(f"name = '{registry.name}'")
    except MlflowException:
        versions = []
    aliases = {}
    for domain in DOMAINS:
        for alias in (domain, f"{domain}-previous"):
            aliases[alias] = registry.alias_target(alias) if versions else None
    return {"versions": sorted(int(v.version) for v in versions), "aliases": aliases}


def runs_with_model(registry) -> list:
    """Runs of the test's experiment that logged a model."""
    client = registry.client
    experiment = client.get_experiment_by_name(registry.settings.experiment)
    if experiment is None:
        return []
    models = client.search_logged_models(experiment_ids=[experiment.experiment_id])
    return [m for m in models if m.source_run_id]


def run_pipeline(**inputs):
    """The Flyte workflow, executed locally in this process; raises the pipeline's own error."""
    from workflows.flyte.pipeline import training_pipeline
    from workflows.settings import Settings

    inputs.setdefault("min_auc", Settings.from_env().min_auc)  # MIN_AUC, as the CLI reads it
    try:
        return training_pipeline(**inputs)
    except Exception as err:
        found = find_pipeline_error(err)
        if found is None:
            raise
        raise found from None
