"""The 400 messages of `make serve`: the columns at fault, not the schema or the data.

tests/integration/test_serving.py holds these against MLflow's real errors
through a running server."""

from __future__ import annotations

import json

from workflows.serving.hosting import (
    MAX_MESSAGE,
    Host,
    Served,
    bad_request_message,
    precheck,
    short_message,
)

SERVED = Served("3", None, None, required=("a", "b c"), optional=("d",))


def _split(columns: list[str]) -> bytes:
    return json.dumps({"dataframe_split": {"columns": columns, "data": []}}).encode()


def test_a_renamed_column_is_named_as_missing_and_unexpected():
    message = bad_request_message(SERVED, _split(["a", "bc", "d"]), "whatever mlflow said")
    assert message == "missing column(s): 'b c'; unexpected column(s): 'bc'"


def test_an_optional_column_left_out_is_named_too():
    # Optional: its values may be null; the model still needs the column.
    message = bad_request_message(SERVED, _split(["a", "b c"]), "Failed to convert column a")
    assert message == "missing column(s): 'd'"


def test_mlflows_reason_is_kept_when_the_columns_are_right():
    message = bad_request_message(SERVED, _split(["a", "b c", "d"]), "Failed to convert column a")
    assert message == "Failed to convert column a"


FLAGGED = Served("3", None, None, required=("a",), optional=("d",), booleans=("d",))


def test_an_optional_column_left_out_is_named_before_the_model_fails_on_it():
    """Found by a new user: leaving out a `missing: true` column gave MLflow's
    "unexpected error while evaluating the model", naming nothing."""
    body = json.dumps({"dataframe_split": {"columns": ["a"], "data": [[1]]}}).encode()
    assert precheck(FLAGGED, body) == "missing column(s): 'd'"
    renamed = json.dumps({"dataframe_split": {"columns": ["a", "e"], "data": [[1, 2]]}})
    assert (
        precheck(FLAGGED, renamed.encode()) == "missing column(s): 'd'; unexpected column(s): 'e'"
    )


def test_a_boolean_sent_as_text_is_refused_not_read_as_true():
    """Found by a new user: "False" as text was served as True."""
    body = json.dumps({"dataframe_records": [{"a": 1, "d": False}, {"a": 1, "d": "False"}]})
    assert precheck(FLAGGED, body.encode()) == "column 'd' takes true, false or null; got 'False'"


def test_true_false_and_null_booleans_pass_the_precheck():
    body = json.dumps({"dataframe_split": {"columns": ["a", "d"], "data": [[1, True], [2, None]]}})
    assert precheck(FLAGGED, body.encode()) == ""
    assert precheck(FLAGGED, b"not json") == ""  # MLflow's own parsing answers that


def test_records_are_checked_by_their_keys():
    body = json.dumps({"dataframe_records": [{"a": 1}, {"a": 2, "e": 3}]}).encode()
    message = bad_request_message(SERVED, body, "")
    assert message == "missing column(s): 'b c', 'd'; unexpected column(s): 'e'"


def test_schema_and_data_are_cut_from_mlflows_message():
    frame = "   a  b c\n0  1  2\n\n[1 rows x 2 columns]"
    mlflow = (
        f"Failed to predict data '{frame}'. \nError: Failed to enforce schema of data "
        f"'{frame}' with schema '['a': double (required), 'b c': double (required)]'. "
        "Error: Incompatible input types for column b c. Can not safely convert object to float64."
    )
    message = bad_request_message(SERVED, b"not json", mlflow)
    assert (
        message
        == "Incompatible input types for column b c. Can not safely convert object to float64."
    )


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
