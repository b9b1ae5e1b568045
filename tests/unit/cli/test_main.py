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


def test_the_command_line_loads_no_server_until_make_serve_runs():
    """`make run` and `make score` start through this parser: importing the
    server (urllib, subprocess, MLflow's scoring paths) on their way cost ~80 ms."""
    import subprocess
    import sys

    probe = "import sys, workflows.cli.main as m; m.parser(); print(sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout
    assert "workflows.serving.launcher" not in loaded and "urllib.request" not in loaded
