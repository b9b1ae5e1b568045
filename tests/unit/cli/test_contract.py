"""`make contract` on a table outside the project says that nobody else can read it there.

Found by a new user: a table drafted from /tmp/... left an absolute `source:` in
the committed contract.yaml, which CI and teammates cannot read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workflows.cli.contract import draft_contract
from workflows.domain import contract as data_contract

NOTE = "lies outside"


def _table(path: Path) -> str:
    frame = pd.DataFrame({"x": [float(i % 7) for i in range(40)], "y": ["yes", "no"] * 20})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(("inside", "noted"), [(True, False), (False, True)])
def test_a_table_outside_the_project_is_noted(tmp_path, capsys, inside, noted):
    project = tmp_path / "project"
    project.mkdir()
    data = _table(project / "data" / "t.csv" if inside else tmp_path / "elsewhere" / "t.csv")
    assert draft_contract(data, "y", None, str(project / "contract.yaml")) == 0
    source = data_contract.load(project / "contract.yaml").source
    assert Path(source).is_absolute() is noted
    assert (NOTE in capsys.readouterr().out) is noted


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_table_with_no_rows_is_refused_as_such(tmp_path, capsys, suffix):
    """Found by a new user: a header-only file was refused for its target ("must
    hold two distinct values ... it holds 0"), not for having no rows."""
    path = tmp_path / f"t{suffix}"
    empty = pd.DataFrame({"x": pd.Series([], dtype=float), "y": pd.Series([], dtype=str)})
    empty.to_csv(path, index=False) if suffix == ".csv" else empty.to_parquet(path)

    assert draft_contract(str(path), "y", None, str(tmp_path / "contract.yaml")) == 2

    err = capsys.readouterr().err
    assert err.startswith("error: ") and "has no rows" in err and str(path) in err
    assert not (tmp_path / "contract.yaml").exists()
