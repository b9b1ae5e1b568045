"""`python -m workflows`: a wrong command line is refused like any other refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflows.cli.main import COMMANDS, main


@pytest.mark.parametrize(
    "argv", [[], ["bogus"], ["serve", "--poll", "0"], ["score", "--unknown"], ["run", "extra"]]
)
def test_a_wrong_command_line_is_one_error_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in err
    assert err.startswith("usage: python -m workflows")


def test_every_command_the_makefile_calls_exists_and_each_is_called():
    makefile = (Path(__file__).resolve().parents[3] / "Makefile").read_text()
    called = set(re.findall(r"-m workflows (\w+)", makefile))
    assert called == set(COMMANDS)
