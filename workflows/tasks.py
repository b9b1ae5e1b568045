"""Thin Flyte tasks: read settings, call a step, hand typed values on.

No task is cached: train, register and deploy have side effects in MLflow.
"""

from __future__ import annotations

import dataclasses
import typing

import pandas as pd
from flytekit import Deck, current_context, task
from flytekit.deck import DeckField

from workflows import steps
from workflows.domain.challenge import Verdict, check_min_delta
from workflows.domain.training import TrainParams
from workflows.progress import step
from workflows.settings import Settings


class Split(typing.NamedTuple):
    train: pd.DataFrame
    test: pd.DataFrame


def _settings(git_sha: str = "", git_ref: str = "") -> Settings:
    settings = Settings.from_env()
    # CI passes provenance as workflow inputs: a task pod has no git checkout.
    overrides = {k: v for k, v in (("git_sha", git_sha), ("git_ref", git_ref)) if v}
    return dataclasses.replace(settings, **overrides)


@task
def prepare(data: str, test_size: float, seed: int) -> Split:
    with step("prepare"):
        settings = _settings()
        return Split(*steps.prepare(settings.contract_path, data or settings.data, test_size, seed))


# Only our own deck: the default ones list installed packages through a slow `pip list`.
@task(enable_deck=True, deck_fields=(DeckField.TIMELINE,))
def train(
    train: pd.DataFrame, test: pd.DataFrame, estimator: str, params: str, seed: int,
    git_sha: str,
) -> steps.TrainResult:  # fmt: skip
    with step("train"):
        params = TrainParams.from_json(estimator, params, seed)
        result, scored, images = steps.train(_settings(git_sha), train, test, params)
    Deck("Evaluation", _deck_html(scored.metrics(), images))
    return result


@task
def gate(result: steps.TrainResult, min_auc: float) -> steps.TrainResult:
    with step("gate"):
        return steps.gate(result, min_auc)


@task
def register(result: steps.TrainResult, git_sha: str, git_ref: str) -> steps.ModelVersion:
    with step("register"):
        execution = current_context().execution_id
        execution_id = f"{execution.project}/{execution.domain}/{execution.name}"
        return steps.register(_settings(git_sha, git_ref), result, execution_id)


@task
def challenge(
    model: steps.ModelVersion, result: steps.TrainResult, test: pd.DataFrame, min_delta: float
) -> Verdict:
    with step("challenge"):
        settings = dataclasses.replace(_settings(), min_delta=check_min_delta(min_delta))
        return steps.challenge(settings, model, result, test)


@task
def deploy(
    model: steps.ModelVersion, test: pd.DataFrame, expected: list[float], git_ref: str,
    verdict: Verdict,
) -> steps.Deployment:  # fmt: skip
    with step("deploy"):
        return steps.deploy(_settings(git_ref=git_ref), model, test, expected, verdict)


def _deck_html(metrics: dict[str, float], images: dict[str, str]) -> str:
    rows = "".join(f"<tr><td>{k}</td><td>{v:.4f}</td></tr>" for k, v in metrics.items())
    return f"<table>{rows}</table>" + "".join(images.values())
