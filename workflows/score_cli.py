"""`make score DATA=<table> [DOMAIN=] [OUT=]`: batch-score a table with the model
`@<domain>` points at, as a local run of the `scoring_pipeline` Flyte workflow.

Summary on stdout, progress on stderr. Exit 0 on success, 1 when scoring
refuses (bad data, no model), 2 on bad settings.
"""

from __future__ import annotations

import sys
from pathlib import Path


def score(data: str, output: str) -> int:
    from workflows.__main__ import root_cause
    from workflows.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    output = str(Path(output).resolve())
    print(
        f"scoring: data={data or settings.data or '(the contract source)'} "
        f"model={settings.model_name}@{settings.domain} drift_limit={settings.drift_limit}\n"
        f"tracking: {settings.tracking_uri}",
        file=sys.stderr,
    )
    from workflows.pipeline import scoring_pipeline

    try:
        _, result = scoring_pipeline(
            data=data or settings.data, out=output, drift_limit=settings.drift_limit
        )
    except Exception as err:  # flytekit wraps task errors: show the one that caused it
        print(f"\nerror: {root_cause(err)}", file=sys.stderr)
        return 1
    print(
        f"\nscored:   {result.rows} rows in {result.seconds:.2f} s "
        f"({result.rows_per_second:,.0f} rows/s)\n"
        f"model:    {result.model_name} v{result.model_version} (@{settings.domain})\n"
        f"output:   {output}\n"
        f"drift:    {result.drift_share:.0%} of features drifted (limit "
        f"{result.drift_limit:.0%}); drift_detected={str(result.drift_detected).lower()}"
        + (f"\ndrifted:  {', '.join(result.drifted)}" if result.drifted else "")
        + f"\nreport:   MLflow run {result.run_id} (drift/report.html)"
    )
    return 0
