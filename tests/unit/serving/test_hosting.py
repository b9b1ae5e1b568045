"""The 400 messages of `make serve`: MLflow's reason, not the data it quotes; and
how Host follows the alias. The column checks are the contract's own
(schema.validate_request, tests/unit/domain/test_schema.py); the running server
is tests/integration/test_serving_parity.py."""

from __future__ import annotations

from workflows.domain.contract import Contract, Feature
from workflows.serving.hosting import MAX_MESSAGE, Host, Served, short_message

CONTRACT = Contract("y", "p", "n", (Feature("a", "numeric", False),))
SERVED = Served("3", None, CONTRACT)


def test_the_data_is_cut_from_mlflows_message():
    frame = "   a  b c\n0  1  2\n\n[1 rows x 2 columns]"
    mlflow = f"Failed to predict data '{frame}'. \nError: send rows as dataframe_split"
    assert short_message(mlflow) == "send rows as dataframe_split"
    parse = "Ensure that input is a valid JSON formatted string. Error: 'x'\nInput: \nnot json\n"
    assert short_message(parse) == "Ensure that input is a valid JSON formatted string. Error: 'x'"


def test_a_long_message_is_cut():
    assert len(short_message("x" * 5000)) == MAX_MESSAGE


class RefusingRegistry:
    """Registry's interface as Host uses it (the real one is exercised in
    tests/integration/test_serving.py): the alias moved to a version that holds
    types outside the allow-list."""

    name = "m"

    def __init__(self, target: str):
        self.target = target
        self.downloads: list[str] = []

    def alias_target(self, alias: str) -> str:
        return self.target

    def download_checked(self, model_uri, folder):
        from workflows.gateways.registry import UntrustedModelError

        self.downloads.append(model_uri)
        raise UntrustedModelError(f"{model_uri}: holds types outside the allow-list: ['os.system']")


def test_a_version_that_fails_its_check_is_refused_once_and_the_old_one_keeps_serving():
    registry = RefusingRegistry("4")
    host = Host(registry, "development", SERVED, poll_seconds=1)
    assert host.check_alias() is None
    assert host.served is SERVED and host.refused == "4"
    assert host.check_alias() is None  # not downloaded again while the alias stays there
    assert registry.downloads == ["models:/m/4"]
    registry.target = "3"  # moved back to what is served: nothing to do
    assert host.check_alias() is None and host.served is SERVED
