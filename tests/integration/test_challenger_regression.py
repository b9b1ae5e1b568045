"""Champion/challenger on a regression table (the prices fixture) against the
real MLflow server: compared on RMSE, lower is better. A challenger worse on
RMSE is registered and tagged while the alias stays; a better one takes it."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.tables import case
from tests.integration.helpers import registry_state, run_cli

WEAK = '{"max_depth": 1, "max_iter": 3}'
STRONG = '{"max_iter": 200}'
GATE = "rmse<=1e9"  # every model passes: the comparison alone decides


@pytest.fixture
def prices(env, tmp_path):
    contract, data = case("prices", tmp_path)
    return {**env, "CONTRACT": contract, "DATA": data, "GATE": GATE}


def rmse_verdict(stdout: str) -> tuple[float, float]:
    found = re.search(r"challenger RMSE ([0-9.]+) (?:beats or matches|loses to) champion "
                      r"v\d+ ([0-9.]+)", stdout)  # fmt: skip
    assert found, stdout
    return float(found.group(1)), float(found.group(2))


def test_a_challenger_worse_on_rmse_does_not_move_the_alias(prices, registry):
    first = run_cli(prices, PARAMS=STRONG)
    assert first.code == 0, first.stderr[-3000:]
    before = registry_state(registry)

    done = run_cli(prices, PARAMS=WEAK)

    assert done.code == 0, done.stderr[-3000:]
    challenger, champion = rmse_verdict(done.stdout)
    assert challenger > champion and "loses to" in done.stdout
    after = registry_state(registry)
    assert after["aliases"] == before["aliases"]
    loser = str(after["versions"][-1])
    tags = registry.version_tags(loser)
    assert tags["challenge"] == "lost" and float(tags["challenger_rmse"]) == pytest.approx(
        challenger, abs=1e-3
    )


def test_a_challenger_better_on_rmse_takes_the_alias(prices, registry):
    first = run_cli(prices, PARAMS=WEAK)
    assert first.code == 0, first.stderr[-3000:]
    champion_version = registry.alias_target("development")

    done = run_cli(prices, PARAMS=STRONG)

    assert done.code == 0, done.stderr[-3000:]
    challenger, champion = rmse_verdict(done.stdout)
    assert challenger < champion and "beats or matches" in done.stdout
    assert registry.alias_target("development") != champion_version
    assert registry.alias_target("development-previous") == champion_version
