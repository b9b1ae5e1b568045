"""`python -m workflows run` (make run): the training pipeline end to end, locally.

Checks settings, promotion, parameters, the contract and the tracking server
before any step runs (exit 2), then runs `training_pipeline` as a local Flyte
execution (exit 1 when a step refuses). The summary goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from workflows.cli.refusal import refuse, refuse_failed_run

_START = time.perf_counter()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timings", help="write per-step wall times as JSON to this file")


def run(args: argparse.Namespace) -> int:
    from workflows.domain import contract
    from workflows.domain.contract import ContractError
    from workflows.domain.gate import GateError, gate_for
    from workflows.domain.promotion import PromotionError, check_promotion
    from workflows.domain.training import TrainingError, TrainParams
    from workflows.gateways.tracking import TrackingUnreachableError, require_reachable
    from workflows.identity import DEFAULT_GATE
    from workflows.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
        # Refuse before training, not after: deploy checks again (it is the real guard).
        check_promotion(settings.domain, settings.git_ref)
        TrainParams.from_json(settings.estimator, settings.params, 0)
        loaded = contract.load(settings.contract_path)
        check_target(os.environ.get("TARGET", ""), loaded.target, settings.contract_path)
        task = loaded.task
        gate = gate_for(settings.gate, settings.min_auc, task, DEFAULT_GATE)
        require_reachable(settings.tracking_uri)
    except (
        SettingsError,
        PromotionError,
        TrainingError,
        ContractError,
        GateError,
        TrackingUnreachableError,
    ) as err:
        return refuse(err)
    print(header(settings, gate), file=sys.stderr)
    note = unused_min_auc(os.environ.get("MIN_AUC", ""), gate, task)
    if note:
        print(note, file=sys.stderr)
    code = _run(settings, gate)
    if args.timings:
        _write_timings(args.timings)
    return code


def check_target(asked: str, target: str, contract_path: str) -> None:
    """ContractError when TARGET= (a setting of `make contract`) names another
    column than the contract's target: `make run` trains on the contract's, and a
    TARGET it did not use must not pass in silence."""
    from workflows.domain.contract import ContractError

    if asked and asked != target:
        raise ContractError(
            f"TARGET={asked!r}, but {contract_path} says the target is {target!r}: make run "
            f"trains on the contract's target; to train on {asked!r}, redraft the contract "
            f"(make contract DATA=<table> TARGET={asked}) and review it"
        )


def _run(settings, gate) -> int:
    from workflows.progress import TIMINGS

    started = time.perf_counter()
    TIMINGS["startup"] = started - _START
    from workflows.flyte.pipeline import training_pipeline

    TIMINGS["import"] = time.perf_counter() - started
    try:
        deployment = training_pipeline(
            data=settings.data,
            min_auc=settings.min_auc,
            estimator=settings.estimator,
            params=settings.params,
            git_sha=settings.git_sha,
            git_ref=settings.git_ref,
            min_delta=settings.min_delta,
            quality_gate=settings.gate,
        )
    except Exception as err:  # flytekit wraps task errors: show the one that caused it
        code = refuse_failed_run(err, settings.tracking_uri)
        hint = gate_hint(err, gate)
        if hint:
            print(hint, file=sys.stderr)
        return code
    finally:
        TIMINGS["total"] = time.perf_counter() - _START
    print(summary(settings, deployment, gate))
    return 0


def gate_hint(err: BaseException, gate) -> str:
    """An indented line saying which setting moves the bar, when the run stopped
    at the quality gate `gate`; "" for any other refusal."""
    from workflows.domain.errors import find_pipeline_error
    from workflows.domain.gate import QualityGateError

    if not isinstance(find_pipeline_error(err), QualityGateError):
        return ""
    if gate.source == "min_auc":
        setting = "MIN_AUC=<number>"
    else:
        setting = f"GATE='{gate.metric}{gate.direction}<number>'"
    return f"  to move the bar: make run {setting}"


def unused_min_auc(min_auc: str, gate, task: str) -> str:
    """A note when MIN_AUC (the environment's text) is set but another gate decides
    the run: said once before it starts, never silently ignored. "" otherwise."""
    if not min_auc.strip() or gate.source == "min_auc":
        return ""
    why = "GATE is set" if gate.source == "GATE" else f"the contract's task is {task}"
    return f"note: MIN_AUC={min_auc.strip()} is not used: {why}, so the gate is {gate}"


def header(settings, gate=None) -> str:
    """What the run will use, on stderr before it starts (where results land is in the summary)."""
    bar = (
        f"min_auc={settings.min_auc}"
        if gate is None or gate.source == "min_auc"
        else (f"gate={gate}")
    )
    return (
        f"pipeline: data={settings.data or '(the contract source)'} "
        f"contract={os.path.relpath(settings.contract_path)} domain={settings.domain} "
        f"{bar} min_delta={settings.min_delta} "
        f"estimator={settings.estimator} params={settings.params}"
    )


def summary(settings, deployment, gate=None) -> str:
    """The outcome on stdout: the model, its alias and where the results landed;
    for a challenger that lost, the version it registered and why the alias stayed."""
    from workflows.domain.promotion import alias_move

    if not deployment.promoted:
        return (
            f"\nregistered {deployment.name} v{deployment.candidate}, not deployed: "
            f"{deployment.outcome}\n"
            f"alias:    @{deployment.alias} stays on v{deployment.version}\n"
            f"tracking: {settings.tracking_uri}"
        )
    passed = (
        f"ROC AUC gate passed (min_auc {settings.min_auc})"
        if gate is None or (gate.source == "min_auc" and gate.metric == "roc_auc")
        else f"quality gate passed ({gate})"
    )
    moved = alias_move(deployment.alias, deployment.version, deployment.previous, deployment.moved)
    return (
        f"\n{passed}\n"
        f"outcome:  {deployment.outcome}\n"
        f"model:    {deployment.name}\n"
        f"version:  {deployment.version}\n"
        f"alias:    {moved}\n"
        f"uri:      {deployment.uri}\n"
        f"checked:  {deployment.checked_by}\n"
        f"tracking: {settings.tracking_uri}"
    )


def _write_timings(path: str) -> None:
    from workflows.progress import TIMINGS

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(TIMINGS, handle, indent=2)
