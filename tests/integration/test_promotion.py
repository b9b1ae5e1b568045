"""Aliases across runs: promotion keeps the previous version, a failed smoke check
puts the alias back, and each domain's alias moves only with runs into that domain."""

from __future__ import annotations

import pytest

from tests.integration.helpers import registry_state, run_pipeline
from tests.integration.services import free_port
from workflows import steps
from workflows.gateways.deployer import SmokeCheckError
from workflows.settings import Settings


def test_second_model_takes_the_alias_and_the_first_becomes_previous(env, registry):
    first = run_pipeline(seed=1)
    # Another split: the champion trained on some of these test rows; allow a margin.
    second = run_pipeline(seed=2, min_delta=0.5)

    assert first.version != second.version
    assert registry.alias_target("development") == second.version
    assert registry.alias_target("development-previous") == first.version
    assert second.previous == first.version


@pytest.mark.parametrize("failure", ["wrong predictions", "endpoint down"])
def test_failing_smoke_check_puts_the_alias_back(failure, env, registry, monkeypatch):
    first = run_pipeline(seed=1)
    run_pipeline(seed=2)
    before = registry_state(registry)
    settings = Settings.from_env()
    _, test = steps.prepare(settings.contract_path, settings.data, 0.25, 1)
    expected = [0.5] * steps.SMOKE_ROWS
    if failure == "wrong predictions":
        expected = [2.0] * steps.SMOKE_ROWS  # no probability is 2
    else:
        monkeypatch.setenv("SERVING_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens
    model = steps.ModelVersion(registry.name, first.version, "", reused=True)

    with pytest.raises(SmokeCheckError):
        steps.deploy(Settings.from_env(), model, test, expected)

    assert registry_state(registry) == before


def test_a_staging_run_moves_only_the_staging_alias(env, registry, monkeypatch):
    run_pipeline(seed=1)
    monkeypatch.setenv("DOMAIN", "production")
    production = run_pipeline(seed=3, git_ref="refs/tags/v1.0.0")
    before = registry_state(registry)

    monkeypatch.setenv("DOMAIN", "staging")
    staged = run_pipeline(seed=2, git_ref="refs/heads/main")

    after = registry_state(registry)
    assert after["aliases"]["staging"] == staged.version
    assert after["aliases"]["production"] == production.version
    untouched = {k: v for k, v in after["aliases"].items() if not k.startswith("staging")}
    assert untouched == {k: v for k, v in before["aliases"].items() if not k.startswith("staging")}
    tags = registry.version_tags(staged.version)
    assert tags["domain"] == "staging"
