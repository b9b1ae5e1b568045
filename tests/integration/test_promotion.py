"""Aliases across runs: promotion keeps the previous version, and each domain's alias
moves only with runs into that domain (a failed check: test_deploy_check.py)."""

from __future__ import annotations

from tests.integration.helpers import registry_state, run_pipeline


def test_second_model_takes_the_alias_and_the_first_becomes_previous(env, registry):
    first = run_pipeline(seed=1)
    # Another split: the champion trained on some of these test rows; allow a margin.
    second = run_pipeline(seed=2, min_delta=0.5)

    assert first.version != second.version
    assert registry.alias_target("development") == second.version
    assert registry.alias_target("development-previous") == first.version
    assert second.previous == first.version


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
