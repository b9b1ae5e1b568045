"""Settings for serving in the cluster: DEPLOY_TARGET, SERVING_NAMESPACE, SERVING_IMAGE."""

from __future__ import annotations

import pytest

from workflows import identity
from workflows.settings import Settings, SettingsError

BASE = {"GIT_SHA": "abc", "GIT_REF": "refs/heads/x"}


def test_local_by_default_with_the_flyte_namespace_of_the_domain():
    settings = Settings.from_env({**BASE, "DOMAIN": "staging"})
    assert settings.deploy_target == "local"
    assert settings.serving_namespace == f"{identity.FLYTE_PROJECT}-staging"


def test_kubernetes_takes_the_task_image_unless_told_otherwise():
    env = {**BASE, "DEPLOY_TARGET": "kubernetes", "FLYTE_INTERNAL_IMAGE": "reg/img:1"}
    assert Settings.from_env(env).serving_image == "reg/img:1"
    assert Settings.from_env({**env, "SERVING_IMAGE": "reg/img:2"}).serving_image == "reg/img:2"
    assert Settings.from_env({**env, "SERVING_NAMESPACE": "ns"}).serving_namespace == "ns"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEPLOY_TARGET": "kubernetes"}, "SERVING_IMAGE"),
        ({"DEPLOY_TARGET": "k8s"}, "DEPLOY_TARGET='k8s'"),
    ],
)
def test_unusable_serving_settings_are_refused(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**BASE, **env})
