"""`python -m workflows score [--data F] [--output OUT]` (make score): batch-score a
table with the model `@<domain>` points at: the step the `scoring_pipeline` Flyte
workflow's task runs (workflows/steps/scoring.py), called without Flyte's local
executor, whose import and hand-overs were ~3 s of a ~10 s run.

Summary on stdout, progress on stderr. Exit 1 when scoring refuses (bad data,
no model), 2 on bad settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workflows.cli.refusal import refuse, refuse_failed_run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", default="", help="the table to score (default: DATA=, else the contract's source)"
    )
    parser.add_argument(
        "--output", default="scores.parquet", help="where to write the scores (Parquet)"
    )


def run(args: argparse.Namespace) -> int:
    return score(args.data, args.output)


def score(data: str, output: str) -> int:
    from workflows.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as err:
        return refuse(err)
    output = str(Path(output).resolve())
    print(
        f"scoring: data={data or settings.data or '(the contract source)'} "
        f"model={settings.model_name}@{settings.domain} drift_limit={settings.drift_limit}\n"
        f"tracking: {settings.tracking_uri}",
        file=sys.stderr,
    )
    from workflows.domain.drift import FEW_ROWS
    from workflows.progress import step
    from workflows.steps import scoring

    try:
        source = scoring.table_to_score(settings, data or settings.data)
        with step("score"), scoring.drift_worker() as report_drift:
            result, _ = scoring.score(settings, source, output, report_drift=report_drift)
    except Exception as err:  # the step's own refusal, or the tracking server gone
        return refuse_failed_run(err, settings.tracking_uri)
    print(
        f"\nscored:   {result.rows} rows in {result.seconds:.2f} s "
        f"({result.rows_per_second:,.0f} rows/s)\n"
        f"model:    {result.model_name} v{result.model_version} (@{settings.domain})\n"
        f"output:   {output}\n"
        f"drift:    {result.drift_share:.0%} of features drifted (limit "
        f"{result.drift_limit:.0%}); drift_detected={str(result.drift_detected).lower()}"
        + (
            f" ({result.rows} rows are too few to judge; {FEW_ROWS} or more are needed)"
            if result.rows < FEW_ROWS
            else ""
        )
        + (f"\ndrifted:  {', '.join(result.drifted)}" if result.drifted else "")
        + f"\nreport:   MLflow run {result.run_id} (drift/report.html)"
    )
    return 0
