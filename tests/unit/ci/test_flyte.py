"""Reading flytectl's config and answers (ci/flyte.py)."""

from __future__ import annotations

import pytest

from ci import flyte
from ci.errors import CiError


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
