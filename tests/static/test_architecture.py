"""The layers of workflows/ hold (import-linter, configured in pyproject.toml), a
break of each rule fails `make lint` with that rule's name, and the unit tests
mirror the package tree."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.static._ci_helpers import ROOT, tool

PACKAGES = ("workflows", "ci", "bench")
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
}


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("lint-imports"), "--no-cache"], cwd=project,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def broken(done: subprocess.CompletedProcess) -> set[str]:
    """The ids of the contracts import-linter reported broken."""
    out = " ".join(done.stdout.split())  # it wraps long names over lines
    return {key for key, name in CONTRACTS.items() if f"{name} BROKEN" in out}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The packages and the contracts, where a test may break them."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_project_keeps_every_contract():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert broken(done) == set()
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "named"),
    [
        # upward imports: pure code reaching for a side effect, and so on
        ("workflows/domain/gate.py", "import workflows.gateways.registry", "layers", "gateways"),
        ("workflows/steps/training.py", "import workflows.flyte.tasks", "layers", "flyte.tasks"),
        ("workflows/serving/hosting.py", "import workflows.flyte", "layers", "workflows.flyte"),
        ("workflows/domain/model.py", "import mlflow", "pure-domain", "mlflow"),
        ("workflows/domain/data.py", "import flytekit", "pure-domain", "flytekit"),
        ("workflows/steps/scoring.py", "import flytekit", "flytekit-in-flyte", "steps.scoring"),
        ("workflows/settings.py", "import ci.refs", "workflows-stands-alone", "ci.refs"),
        # circles inside one layer, which the layers alone allow
        ("workflows/domain/errors.py", "import workflows.domain.gate", "no-circles", ".gate"),
        ("ci/errors.py", "import ci.flyte", "no-circles", "in ci."),
    ],
)
def test_a_forbidden_import_fails_with_the_rule_it_breaks(copy, module, line, contract, named):
    path = copy / module
    path.write_text(path.read_text() + f"\n{line}  # the deliberate break\n")
    done = lint_imports(copy)
    assert done.returncode != 0
    assert contract in broken(done), done.stdout[-3000:]
    assert named in done.stdout  # the report points at the import


def test_unit_tests_mirror_the_packages():
    """tests/unit/<package path>/test_<module>[_topic].py tests <package path>/<module>.py
    (test_main.py: __main__.py); ci/ mirrors ci/, everything else workflows/."""
    unit = ROOT / "tests" / "unit"
    orphans = []
    for test in sorted(unit.rglob("test_*.py")):
        folder = test.parent.relative_to(unit)
        package = ROOT / folder if folder.parts[:1] == ("ci",) else ROOT / "workflows" / folder
        stem = test.stem.removeprefix("test_")
        modules = {p.stem.strip("_") for p in package.glob("*.py")} if package.is_dir() else set()
        if not any(stem == m or stem.startswith(f"{m}_") for m in modules):
            orphans.append(str(test.relative_to(ROOT)))
    assert orphans == []
