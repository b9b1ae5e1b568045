"""Champion/challenger and batch scoring against the real MLflow server (its
artifacts in S3): a worse model is registered and tagged while the alias stays,
`make run` prints both numbers, and `make score` writes the Parquet and logs
the drift report."""

from __future__ import annotations

import importlib.util
import re

import pandas as pd
import pyarrow.parquet as pq

from tests.integration.helpers import registry_state, run_cli, run_pipeline
from tests.tools import missing
from workflows.domain import contract as data_contract
from workflows.domain.model import LABEL, PROBABILITY
from workflows.steps.scoring import MODEL_NAME, MODEL_VERSION

WEAK = '{"max_depth": 1, "max_iter": 2}'


def test_a_worse_challenger_is_registered_but_the_alias_stays(env, registry):
    champion = run_pipeline(seed=1)
    before = registry_state(registry)

    done = run_cli(env, PARAMS=WEAK, MIN_AUC="0.7")  # clears this floor, not the champion

    assert done.code == 0, done.stderr[-3000:]
    after = registry_state(registry)
    assert after["aliases"] == before["aliases"]  # neither alias moved
    assert len(after["versions"]) == len(before["versions"]) + 1
    loser = str(after["versions"][-1])
    tags = registry.version_tags(loser)
    assert (tags["challenge"], tags["champion_version"]) == ("lost", champion.version)
    numbers = re.search(r"ROC AUC ([0-9.]+) loses to champion v\d+ ([0-9.]+)", done.stdout)
    assert numbers, done.stdout
    assert float(numbers.group(1)) < float(numbers.group(2))
    assert f"@development stays on v{champion.version}" in done.stdout


def test_make_score_writes_parquet_and_logs_the_drift_report(env, registry, table, tmp_path):
    if importlib.util.find_spec("evidently") is None:
        missing("evidently is not installed: uv sync --group drift")
    run_pipeline(seed=1)
    contract = data_contract.load(table[0])
    rows = pd.read_csv(table[1]).drop(columns=contract.target).head(400)
    rows.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "scores.parquet"

    done = run_cli(env, "score", "--data", str(tmp_path / "new.csv"), "--output", str(out))

    assert done.code == 0, done.stderr[-3000:]
    assert re.search(r"scored: +400 rows in [0-9.]+ s \([0-9,]+ rows/s\)", done.stdout)
    assert "drift_detected=false" in done.stdout
    scores = pq.read_table(out).to_pandas()
    assert list(scores.columns) == [*contract.ignore, LABEL, PROBABILITY, MODEL_NAME, MODEL_VERSION]
    assert set(scores[MODEL_VERSION]) == {registry.alias_target("development")}
    run_id = re.search(r"MLflow run (\w+)", done.stdout).group(1)
    artifacts = [a.path for a in registry.client.list_artifacts(run_id, "drift")]
    assert artifacts == ["drift/report.html"]
