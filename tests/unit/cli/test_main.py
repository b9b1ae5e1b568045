"""A wrong argument to any command is one `error:` line naming it, exit 2."""

from __future__ import annotations

import pytest

from workflows.cli.main import main


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["serve", "--port", "abc"], "--port"),
        (["serve", "--max-body-mb", "-1"], "--max-body-mb"),
        (["serve", "--drain-seconds", "nan"], "--drain-seconds"),
        (["score", "--nope"], "--nope"),
        (["run", "extra"], "extra"),
        (["contract", "--bogus"], "--bogus"),
        ([], "run,contract,score,serve"),
    ],
)
def test_a_wrong_argument_is_one_error_line(capsys, argv, named):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    first, *rest = err.splitlines()
    assert first.startswith("error: ") and named in first, err
    assert all(line.startswith("  ") for line in rest), err
    assert "usage:" not in err
