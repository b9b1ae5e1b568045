"""No committed file holds a credential: detect-secrets against .secrets.baseline."""

from __future__ import annotations

import json
from pathlib import Path

from tests.static._ci_helpers import ROOT, run, tool, tracked_files

BASELINE = ROOT / ".secrets.baseline"
# This repository is full of git commit shas (action pins, webhook payloads, test
# fixtures): hex-entropy findings would be noise. Keyword, key-format and
# base64-entropy detectors still run.
DISABLED = ("HexHighEntropyString",)


def _scan(files: list[str], cwd: Path = ROOT) -> set[tuple[str, str]]:
    """(file, hashed secret) for every finding, with the baseline's exclusions."""
    baseline = json.loads(BASELINE.read_text())
    excludes = [
        pattern
        for f in baseline["filters_used"]
        if f["path"].endswith("should_exclude_file")
        for pattern in f["pattern"]
    ]
    flags = [arg for pattern in excludes for arg in ("--exclude-files", pattern)]
    flags += [arg for plugin in DISABLED for arg in ("--disable-plugin", plugin)]
    done = run(tool("detect-secrets"), "scan", *flags, *files, cwd=cwd)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    return {(name, s["hashed_secret"]) for name, found in results.items() for s in found}


def _known() -> set[tuple[str, str]]:
    results = json.loads(BASELINE.read_text())["results"]
    return {(name, s["hashed_secret"]) for name, found in results.items() for s in found}


def test_baseline_was_made_with_the_same_plugins():
    used = {p["name"] for p in json.loads(BASELINE.read_text())["plugins_used"]}
    assert used and not used & set(DISABLED)


def test_no_tracked_file_has_a_secret_missing_from_the_baseline():
    new = _scan(tracked_files()) - _known()
    assert not new, f"possible credentials committed (audit, then update the baseline): {new}"


def test_scan_finds_a_planted_credential(tmp_path: Path):
    # Assembled at run time so this file itself holds no credential-shaped string.
    key = "AKIA" + "QX7Z" * 4
    (tmp_path / "settings.env").write_text(f"AWS_ACCESS_KEY_ID={key}\n")
    assert _scan(["settings.env"], cwd=tmp_path) - _known()
