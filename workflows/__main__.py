"""`python -m workflows run`: the pipeline end to end, as a local Flyte execution.
`python -m workflows contract --data F --target C`: draft the data contract.
`python -m workflows score [--data F] [--output OUT]`: batch-score with @<domain>.

Settings come from the environment (see workflows/settings.py); the summary
goes to stdout, progress to stderr. Exit 0 on success, 1 when the pipeline
refuses (bad data, gate, promotion, smoke check), 2 on bad settings or input, or
a tracking server that cannot be reached at the start.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

_START = time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflows", description=__doc__)
    parser.add_argument("command", choices=["run", "contract", "score"])
    parser.add_argument("--timings", help="run: write per-step wall times as JSON to this file")
    parser.add_argument("--data", help="contract: the CSV or Parquet table to draft from")
    parser.add_argument("--target", help="contract: the label column")
    parser.add_argument("--positive", help="contract: the positive label (default: chosen)")
    parser.add_argument("--output", default="", help="contract/score: where to write it")
    args = parser.parse_args(argv)
    if args.command == "contract":
        from workflows.contract_cli import draft_contract

        return draft_contract(args.data, args.target, args.positive, args.output)
    if args.command == "score":
        from workflows.score_cli import score

        return score(args.data or "", args.output or "scores.parquet")

    from workflows.domain.contract import ContractError
    from workflows.domain.promotion import PromotionError, check_promotion
    from workflows.domain.training import TrainingError, TrainParams
    from workflows.gateways.tracking import TrackingUnreachableError, require_reachable
    from workflows.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
        # Refuse before training, not after: deploy checks again (it is the real guard).
        check_promotion(settings.domain, settings.git_ref)
        TrainParams.from_json(settings.estimator, settings.params, 0)
        from workflows.domain import contract

        contract.load(settings.contract_path)
        require_reachable(settings.tracking_uri)
    except (
        SettingsError,
        PromotionError,
        TrainingError,
        ContractError,
        TrackingUnreachableError,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(header(settings), file=sys.stderr)
    code = _run(settings)
    if args.timings:
        _write_timings(args.timings)
    return code


def _run(settings) -> int:
    from workflows.progress import TIMINGS

    started = time.perf_counter()
    TIMINGS["startup"] = started - _START
    from workflows.pipeline import training_pipeline

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
        )
    except Exception as err:  # flytekit wraps task errors: show the one that caused it
        print(f"\nerror: {root_cause(err, settings.tracking_uri)}", file=sys.stderr)
        return 1
    finally:
        TIMINGS["total"] = time.perf_counter() - _START
    print(summary(settings, deployment))
    return 0


def header(settings) -> str:
    """What the run will use, on stderr before it starts (where results land is in the summary)."""
    return (
        f"pipeline: data={settings.data or '(the contract source)'} "
        f"contract={os.path.relpath(settings.contract_path)} domain={settings.domain} "
        f"min_auc={settings.min_auc} min_delta={settings.min_delta} "
        f"estimator={settings.estimator} params={settings.params}"
    )


def summary(settings, deployment) -> str:
    """The outcome on stdout: the model, its alias and where the results landed;
    for a challenger that lost, the version it registered and why the alias stayed."""
    from workflows.domain.promotion import version_label

    if not deployment.promoted:
        return (
            f"\nregistered {deployment.name} v{deployment.candidate}, not deployed: "
            f"{deployment.outcome}\n"
            f"alias:    @{deployment.alias} stays on v{deployment.version}\n"
            f"tracking: {settings.tracking_uri}"
        )
    return (
        f"\nROC AUC gate passed (min_auc {settings.min_auc})\n"
        f"outcome:  {deployment.outcome}\n"
        f"model:    {deployment.name}\n"
        f"version:  {deployment.version}\n"
        f"alias:    @{deployment.alias} -> v{deployment.version}"
        f" (previous: {version_label(deployment.previous)})\n"
        f"uri:      {deployment.uri}\n"
        f"checked:  {deployment.checked_by}\n"
        f"tracking: {settings.tracking_uri}"
    )


def root_cause(err: BaseException, tracking_uri: str) -> str:
    """The pipeline's own message behind flytekit's wrapping; else, when the tracking
    server went away during the run, that outage; else the error itself."""
    from workflows.domain.errors import find_pipeline_error
    from workflows.gateways.tracking import explain

    found = find_pipeline_error(err) or find_pipeline_error(explain(err, tracking_uri))
    return str(found) if found else f"{type(err).__name__}: {err}"


def _write_timings(path: str) -> None:
    from workflows.progress import TIMINGS

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(TIMINGS, handle, indent=2)


if __name__ == "__main__":
    sys.exit(main())
