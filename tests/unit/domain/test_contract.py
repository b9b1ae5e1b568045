"""The contract file: read, written back identically, and refused with its name
when it is inconsistent."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.unit.domain.strategies import contracts
from workflows.domain import contract as data_contract
from workflows.domain.contract import ContractError


@settings(deadline=None)
@given(contracts())
def test_a_contract_written_and_read_back_is_the_same(contract):
    text = data_contract.dump(contract)
    import yaml

    assert data_contract.from_dict(yaml.safe_load(text)) == contract
    assert data_contract.dump(data_contract.from_dict(yaml.safe_load(text))) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("target: {column: y, positive: 1, negative: 1}\nfeatures: {x: {kind: numeric}}",
         "positive and negative labels are both 1"),
        ("target: {column: y, positive: 1, negative: 0}\nfeatures: {x: {kind: number}}",
         "features.x.kind: the text 'number' is not one of"),
        ("target: {column: y, positive: 1, negative: 0}\nfeatures: {y: {kind: numeric}}",
         "the target 'y' is also listed"),
        ("target: {column: y, positive: 1}\nfeatures: {x: {kind: numeric}}",
         "target.negative: required key is missing"),
        ("target: {column: y, positive: 1, negative: 0}\nfeatures: {}",
         "features: is empty; at least one is needed"),
        ("target: {column: y, positive: 1, negative: 0}\nfeatures: {x: {kind: numeric}}\n"
         "ignore: {x: id}", "'x' is both a feature and ignored"),
        ("[1, 2", "not valid YAML"),
        # found by a new user: accepted, then every token refused as a missing value
        ("target: {column: y, positive: 1, negative: 0}\n"
         "features: {x: {kind: numeric, missing: false, missing_values: [NA]}}",
         "features.x.missing_values: lists missing tokens while `missing: false`"),
    ],
)  # fmt: skip
def test_an_inconsistent_contract_is_refused_with_its_path(tmp_path, text, message):
    path = tmp_path / "contract.yaml"
    path.write_text(text)
    with pytest.raises(ContractError) as caught:
        data_contract.load(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_contract_says_how_to_draft_one(tmp_path):
    with pytest.raises(ContractError, match="make contract DATA="):
        data_contract.load(tmp_path / "contract.yaml")


# A reviewer's hand edits, each refused with its key path and line, all at once.
HAND_EDITED = """\
target:
  column: y
  positve: 1
  negative: 0
min_rows_per_class: ten
features:
  x: {kind: number, missing: "false"}
  y: {kind: numeric}
  x: {kind: numeric}
  z: {kind: numeric, mising: true}
ignore: {z: [an id]}
"""


@pytest.mark.parametrize(
    "expected",
    [
        "line 3, target.positve: unknown key 'positve'; did you mean 'positive'?",
        "line 1, target.positive: required key is missing",
        "line 5, min_rows_per_class: expected a whole number, got the text 'ten'",
        "line 7, features.x.kind: the text 'number' is not one of 'numeric', 'categorical', "
        "'boolean' or 'datetime'; did you mean 'numeric'?",
        "line 7, features.x.missing: expected true or false, got the text 'false' (remove the "
        "quotes)",
        "line 8, features.y: the target 'y' is also listed as a feature",
        "line 9, features.x: 'x' appears twice in one mapping (first at line 7)",
        "line 10, features.z.mising: unknown key 'mising'; did you mean 'missing'?",
        "line 11, ignore.z: expected text, got a list",
        "line 11, ignore.z: 'z' is both a feature and ignored",
    ],
)
def test_every_hand_edit_is_named_with_its_line_at_once(tmp_path, expected):
    path = tmp_path / "contract.yaml"
    path.write_text(HAND_EDITED)
    with pytest.raises(ContractError) as caught:
        data_contract.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 10 problem(s) in the data contract, first line 1")
    assert expected in message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("target: {column: y, positive: [1, 2], negative: 0}",
         "target.positive: expected a label (text, a number or true/false), got a list"),
        ("table: {delimiter: ':'}", "table.delimiter: the text ':' is not one of"),
        ("table: {decimal: ',', delimiter: ','}", "table.decimal: the decimal mark ','"),
        ("features: {x: {kind: numeric, missing_values: NA}}",
         "features.x.missing_values: expected a list, got the text 'NA'"),
        ("featurs: {}", "unknown key 'featurs'; did you mean 'features'?"),
    ],
)  # fmt: skip
def test_a_wrong_type_or_value_is_named(edit, expected):
    base = {
        "target": "target: {column: y, positive: 1, negative: 0}",
        "features": "features: {x: {kind: numeric}}",
    }
    key = edit.split(":", 1)[0]
    text = "\n".join([*(v for k, v in base.items() if k != key), edit])
    with pytest.raises(ContractError, match=re.escape(expected)):
        data_contract.parse(text, "contract.yaml")


def test_the_drafted_file_names_its_json_schema_on_the_first_line(tmp_path):
    contract = data_contract.load(Path(__file__).parents[3] / "contract.yaml")
    text = data_contract.dump(contract)
    assert text.splitlines()[0] == "# yaml-language-server: $schema=contract.schema.json"


@pytest.mark.parametrize(
    ("source", "has_dialect"),
    [("exports/loans.csv", True), ("warehouse/loans.parquet", False), ("x/loans.PQ", False)],
)
def test_the_csv_dialect_line_is_written_only_where_a_csv_can_be_read(source, has_dialect):
    import dataclasses

    project = data_contract.load(Path(__file__).parents[3] / "contract.yaml")
    # The team's own contract may have any dialect: start from the default one.
    contract = dataclasses.replace(project, source=source, table=data_contract.TableFormat())
    text = data_contract.dump(contract)
    assert any(line.startswith("table:") for line in text.splitlines()) == has_dialect
    import yaml

    assert data_contract.from_dict(yaml.safe_load(text)) == contract
    european = data_contract.TableFormat(delimiter=";", decimal=",")
    kept = data_contract.dump(dataclasses.replace(contract, table=european))
    assert "table: {delimiter: ;" in kept  # a dialect set by hand is never dropped
