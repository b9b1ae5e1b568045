"""The contract file: read, written back identically, and refused with its name
when it is inconsistent."""

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
         "kind 'number'; kinds are numeric, categorical, boolean"),
        ("target: {column: y, positive: 1, negative: 0}\nfeatures: {y: {kind: numeric}}",
         "the target 'y' is also listed"),
        ("target: {column: y, positive: 1}\nfeatures: {x: {kind: numeric}}",
         "target.negative is missing"),
        ("target: {column: y, positive: 1, negative: 0}\nfeatures: {}", "features must be"),
        ("target: {column: y, positive: 1, negative: 0}\nfeatures: {x: {kind: numeric}}\n"
         "ignore: {x: id}", "'x' is both a feature and ignored"),
        ("[1, 2", "not valid YAML"),
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
