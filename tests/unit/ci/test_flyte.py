"""Reading flytectl's config and answers (ci/flyte.py)."""

from __future__ import annotations

import pytest

from ci import flyte
from ci.errors import CiError
from tests.unit.ci.flytectl_output import FAILED, NEW, OLD, OLD2, table


@pytest.mark.parametrize(
    ("raw", "insecure", "host", "port", "console"),
    [
        ("dns:///localhost:30080", True, "localhost", 30080, "http://localhost:30080/console"),
        ("flyte.example.com", False, "flyte.example.com", 443, "https://flyte.example.com/console"),
        ("grpc://10.0.0.1:8089", True, "10.0.0.1", 8089, "http://10.0.0.1:8089/console"),
    ],
)
def test_endpoints(raw, insecure, host, port, console):
    endpoint = flyte.parse_endpoint(raw, insecure)
    assert (endpoint.host, endpoint.port, endpoint.console) == (host, port, console)


@pytest.mark.parametrize("raw", ["", "dns:///", "host:port:x y"])
def test_unusable_endpoint_is_a_usage_error(raw):
    with pytest.raises(CiError) as err:
        flyte.parse_endpoint(raw, True)
    assert err.value.code == 2


@pytest.mark.parametrize(
    ("output", "phase"),
    [
        ('{"closure": {"phase": "SUCCEEDED"}}', "SUCCEEDED"),
        ('[{"closure": {"phase": "failed"}}]', "FAILED"),
        ('{"closure": {}}', "UNDEFINED"),
    ],
)
def test_execution_phase(output, phase):
    assert flyte.execution_phase(output) == phase


def test_registration_failure_names_flytectls_last_line():
    with pytest.raises(CiError, match="connection refused"):
        flyte.registration_outcome(1, "starting\nError: connection refused\n")


# --- `flytectl register files` results ----------------------------------------------


def test_rows_are_read_with_wrapped_cells_joined():
    rows = flyte.registration_rows(table(NEW, OLD, FAILED))
    assert [(r.status, r.info) for r in rows] == [
        ("Success", "Successfully registered file"),
        ("Success", "AlreadyExists"),
        ("Failed", FAILED[2]),
    ]
    assert rows[2].name == "/tmp/register1/3_project.training_3.pb"


@pytest.mark.parametrize(
    ("code", "output", "outcome"),
    [
        (0, table(NEW, NEW), "registered"),
        (0, table(NEW, OLD), "registered"),
        (0, table(OLD, OLD2), "already registered"),
        # every row a success: a late error (e.g. cleaning up) does not undo them
        (1, table(OLD, OLD2), "already registered"),
    ],
)
def test_registration_succeeds_only_when_every_entity_did(code, output, outcome):
    assert flyte.registration_outcome(code, output) == outcome


@pytest.mark.parametrize(
    ("code", "output"),
    [
        (1, table(OLD, FAILED)),  # one already there, one failed: not "already registered"
        (1, table(NEW, FAILED)),
        (0, table(OLD, FAILED, OLD2)),  # --continueOnError exits with the last file's error
        (1, "Error: input package have some invalid files. try to run pyflyte package again"),
    ],
)
def test_a_failed_entity_fails_the_registration(code, output):
    with pytest.raises(CiError, match="flytectl register failed") as err:
        flyte.registration_outcome(code, output)
    assert err.value.code == 1
    if "Failed" in output:
        assert "3_project.training_3.pb" in str(err.value)
        assert "code = Internal" in str(err.value)
