"""The 400 messages of `make serve`: MLflow's reason, not the data it quotes; and
how Host follows the alias. The column checks are the contract's own
(schema.validate_request, tests/unit/domain/test_schema.py); the running server
is tests/integration/test_serving_parity.py."""

from __future__ import annotations

import json

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


class Echo:
    """A model that answers each row with its cells: shows what a body was read as."""

    def predict(self, rows):
        import pandas as pd

        return pd.DataFrame({"a": rows["a"].to_numpy(), "c": rows["c"].to_numpy()})


def test_a_csv_body_is_read_in_the_contracts_dialect_encoding_and_missing_cells():
    """MLflow's reader (pandas.read_csv's defaults) split `;` rows on commas, read
    "007" as 7 and "NA" as missing; make score reads the contract's way."""
    import math

    from workflows.domain.contract import TableFormat
    from workflows.serving.hosting import score

    features = (Feature("a", "numeric", True, ("?",)), Feature("c", "categorical", False))
    table = TableFormat(delimiter=";", decimal=",", encoding="latin-1")
    served = Served("3", Echo(), Contract("y", "p", "n", features, table=table))
    text = "a;c\n1,5;café\n?;007\n;NA\n"
    for body, content_type in (
        (text.encode("latin-1"), "text/csv"),  # the contract's encoding
        (text.encode("utf-8"), "text/csv; charset=utf-8"),  # the one the client names
    ):
        status, answer = score(served, body, content_type)
        assert status == 200, answer
        rows = answer["predictions"]
        assert [r["c"] for r in rows] == ["café", "007", "NA"]
        assert rows[0]["a"] == 1.5 and all(math.isnan(r["a"]) for r in rows[1:])
    status, answer = score(served, b"a,c\n1.5,x\n", "text/csv")
    assert status == 400 and "'the request body'" in answer["message"], answer


def test_a_json_body_that_is_not_a_table_is_a_400_not_a_server_error():
    """`inputs` and `instances` parse to arrays, not rows: the client's mistake, so
    a 400 that says what to send (MLflow made a 500 of the text code "BAD_REQUEST")."""
    from workflows.serving.hosting import score

    features = (Feature("a", "numeric", True), Feature("c", "categorical", False))
    served = Served("3", Echo(), Contract("y", "p", "n", features))
    for document in ({"inputs": [[1.0, "x"]]}, {"instances": [[1.0, "x"]]}):
        status, answer = score(served, json.dumps(document).encode(), "application/json")
        assert status == 400, answer
        assert "dataframe_split" in answer["message"]


def test_a_request_with_no_rows_is_a_400_that_says_so():
    """Found by a new user: a header-only CSV body was answered "the model failed
    on these rows (ValueError)", and `"dataframe_records": []` named every column
    as missing. The model is a real scikit-learn one: it refuses 0 rows itself."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from workflows.serving.hosting import score

    model = LogisticRegression().fit(pd.DataFrame({"a": [0.0, 1.0]}), ["n", "p"])
    served = Served("3", model, CONTRACT)
    for body, content_type in (
        (b"a\n", "text/csv"),
        (b'{"dataframe_split": {"columns": ["a"], "data": []}}', "application/json"),
        (b'{"dataframe_records": []}', "application/json"),
    ):
        status, answer = score(served, body, content_type)
        assert (status, answer["message"]) == (400, "the request has no rows"), body


def test_a_refusal_names_the_first_row_at_fault_in_the_request():
    """Found by a new user: a 400 named the column but not which of the rows."""
    from workflows.serving.hosting import score

    served = Served("3", Echo(), CONTRACT)
    body = {"dataframe_split": {"columns": ["a"], "data": [[1.0], [2.0], [None], [None]]}}
    status, answer = score(served, json.dumps(body).encode(), "application/json")
    assert (status, answer["columns"], answer["row"]) == (400, ["a"], 3), answer
    assert answer["message"].endswith("(first at row 3 of the request)")
