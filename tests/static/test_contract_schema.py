"""contract.schema.json: the JSON Schema editors check contract.yaml with while
typing. It is generated from the one pydantic model the pipeline checks the file
with, so both say the same; check-jsonschema (an independent validator) accepts
every shipped contract and refuses each hand edit the pipeline refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.static._ci_helpers import ROOT, run, tool
from workflows.cli.contract import SCHEMA_FILE, schema_text
from workflows.domain import contract as data_contract

SCHEMA = ROOT / SCHEMA_FILE
SHIPPED = [ROOT / "contract.yaml", *sorted((ROOT / "tests" / "fixtures").glob("*/contract.yaml"))]


def test_the_committed_schema_is_the_one_the_model_generates():
    assert SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "contract.schema.json is stale: uv run python -m workflows contract --write-schema"
    )
    assert json.loads(SCHEMA.read_text())["additionalProperties"] is False


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_shipped_contract_names_the_schema_and_meets_it(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(data_contract.SCHEMA_HINT)
    named = (path.parent / first.removeprefix(data_contract.SCHEMA_HINT)).resolve()
    assert named == SCHEMA.resolve()
    done = run(tool("check-jsonschema"), "--schemafile", SCHEMA, path)
    assert done.returncode == 0, done.stdout + done.stderr


BASE = "target: {column: y, positive: 1, negative: 0}\nfeatures: {x: {kind: numeric}}\n"


@pytest.mark.parametrize(
    "edit",
    [
        "features: {x: {kind: numeric, missing: 'false'}}",  # a quoted "false"
        "features: {x: {kind: number}}",  # an unknown kind
        "features: {x: {kind: numeric, mising: true}}",  # an unknown key
        "min_rows_per_class: ten",  # a word where a number belongs
        "target: {column: y, positive: [1, 2], negative: 0}",  # a list where a label belongs
        "table: {delimiter: ':'}",
        "featurs: {x: {kind: numeric}}",
    ],
)
def test_the_schema_refuses_what_the_pipeline_refuses(tmp_path, edit):
    key = edit.split(":", 1)[0]
    kept = [line for line in BASE.splitlines() if not line.startswith(f"{key}:")]
    path = tmp_path / "contract.yaml"
    path.write_text("\n".join([*kept, edit]) + "\n")
    with pytest.raises(data_contract.ContractError):
        data_contract.load(path)
    done = run(tool("check-jsonschema"), "--schemafile", SCHEMA, path)
    assert done.returncode == 1, done.stdout + done.stderr
