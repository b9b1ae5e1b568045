"""Thin Flyte tasks: read settings, call a step, hand typed values on.

No task is cached: train, register and deploy have side effects in MLflow.
Each task declares its pod's requests and limits (settings.task_resources, read
when the package is built), so Flyte's platform default never sizes them.
"""

from __future__ import annotations

import dataclasses
import os
import typing

import pandas as pd
from flytekit import Deck, Resources, current_context, task
from flytekit.deck import DeckField
from flytekit.types.file import FlyteFile

from workflows.domain.challenge import Verdict, check_min_delta
from workflows.domain.drift import check_drift_limit
from workflows.domain.training import TrainParams
from workflows.progress import step
from workflows.settings import Settings, task_resources
from workflows.steps import scoring, training
from workflows.steps.scoring import ScoreResult

_RESOURCES = task_resources()


def _sized(name: str) -> dict[str, Resources]:
    """@task keyword arguments: `name`'s requests and limits from the settings."""
    r = _RESOURCES[name]
    return {
        "requests": Resources(cpu=r.cpu, mem=r.memory),
        "limits": Resources(cpu=r.cpu_limit, mem=r.memory_limit),
    }


class Split(typing.NamedTuple):
    train: pd.DataFrame
    test: pd.DataFrame


def _settings(git_sha: str = "", git_ref: str = "") -> Settings:
    settings = Settings.from_env()
    # CI passes provenance as workflow inputs: a task pod has no git checkout.
    overrides = {k: v for k, v in (("git_sha", git_sha), ("git_ref", git_ref)) if v}
    return dataclasses.replace(settings, **overrides)


@task(**_sized("prepare"))
def prepare(data: str, test_size: float, seed: int) -> Split:
    with step("prepare"):
        settings = _settings()  # the first task: bad settings stop the run before training
        return Split(
            *training.prepare(settings.contract_path, data or settings.data, test_size, seed)
        )


# Only our own deck: the default ones list installed packages through a slow `pip list`.
@task(enable_deck=True, deck_fields=(DeckField.TIMELINE,), **_sized("train"))
def train(
    train: pd.DataFrame, test: pd.DataFrame, estimator: str, params: str, seed: int,
    git_sha: str, data: str = "",
) -> training.TrainResult:  # fmt: skip
    with step("train"):
        params = TrainParams.from_json(estimator, params, seed)
        settings = _settings(git_sha)
        settings = dataclasses.replace(settings, data=data or settings.data)  # for lineage
        result, scored, images = training.train(settings, train, test, params)
    Deck("Evaluation", _deck_html(scored.metrics(), images))
    return result


@task(**_sized("gate"))
def gate(
    result: training.TrainResult, min_auc: float, quality_gate: str = ""
) -> training.TrainResult:
    with step("gate"):
        return training.gate(result, min_auc, quality_gate, _settings())


@task(**_sized("register"))
def register(result: training.TrainResult, git_sha: str, git_ref: str) -> training.ModelVersion:
    with step("register"):
        execution = current_context().execution_id
        execution_id = f"{execution.project}/{execution.domain}/{execution.name}"
        return training.register(_settings(git_sha, git_ref), result, execution_id)


@task(**_sized("challenge"))
def challenge(
    model: training.ModelVersion, result: training.TrainResult, test: pd.DataFrame, min_delta: float
) -> Verdict:
    with step("challenge"):
        settings = dataclasses.replace(_settings(), min_delta=check_min_delta(min_delta))
        return training.challenge(settings, model, result, test)


@task(**_sized("deploy"))
def deploy(
    model: training.ModelVersion, test: pd.DataFrame, expected: list[float], git_ref: str,
    verdict: Verdict,
) -> training.Deployment:  # fmt: skip
    with step("deploy"):
        return training.deploy(_settings(git_ref=git_ref), model, test, expected, verdict)


class Scores(typing.NamedTuple):
    scores: FlyteFile
    result: ScoreResult
    drift_detected: bool


@task(enable_deck=True, deck_fields=(DeckField.TIMELINE,), **_sized("score"))
def score(data: str, out: str, drift_limit: float) -> Scores:
    """`out` "" = a file of the task's own; Flyte hands it on as `scores`."""
    with step("score"):
        settings = dataclasses.replace(_settings(), drift_limit=check_drift_limit(drift_limit))
        output = out or os.path.join(current_context().working_directory, "scores.parquet")
        result, html = scoring.score(settings, data or settings.data, output)
    Deck("Drift", html)
    return Scores(FlyteFile(output), result, result.drift_detected)


@task(**_sized("keep_model"))
def keep_model(drift_detected: bool) -> str:
    """The branch of a scoring run that starts no retraining."""
    return "drift detected; retraining is off" if drift_detected else "no drift"


def _deck_html(metrics: dict[str, float], images: dict[str, str]) -> str:
    rows = "".join(f"<tr><td>{k}</td><td>{v:.4f}</td></tr>" for k, v in metrics.items())
    return f"<table>{rows}</table>" + "".join(images.values())
