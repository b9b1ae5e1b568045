"""The fixtures themselves: a broken service fails with a message naming it and why."""

from __future__ import annotations

import pytest

from tests.integration.services import MissingTool, MlflowServer, ServiceError, find_tool


def test_mlflow_server_with_wrong_s3_credentials_is_reported(services, tmp_path):
    broken = MlflowServer(
        str(tmp_path),
        services.postgres.url,
        services.s3.endpoint,
        secret_key="wrong-secret",  # pragma: allowlist secret
    )
    try:
        with pytest.raises(ServiceError) as failed:
            broken.start()
    finally:
        broken.stop()

    message = str(failed.value)
    assert message.startswith("mlflow server cannot write artifacts to S3 at s3://")
    assert services.s3.endpoint in message
    assert "SignatureDoesNotMatch" in message or "InvalidAccessKeyId" in message


def test_a_missing_binary_names_what_to_install():
    with pytest.raises(MissingTool, match=r"no-such-tool.*install the thing"):
        find_tool("no-such-tool", "install the thing")
