"""What `python -m workflows run` prints around a run: each fact once, no placeholders."""

from __future__ import annotations

import pytest

from workflows.cli.run import header, summary
from workflows.settings import Settings
from workflows.steps.training import Deployment


def _deployment(previous: str) -> Deployment:
    return Deployment("m", "2", "development", "models:/m@development", previous, "in-process")


@pytest.mark.parametrize(("previous", "shown"), [("", "(previous: none)"), ("1", "(previous: v1)")])
def test_the_summary_names_the_previous_version_or_none(previous, shown):
    settings = Settings.from_env({"MLFLOW_TRACKING_URI": "sqlite:///tmp/x.db"})
    printed = summary(settings, _deployment(previous))
    assert shown in printed
    assert "v-" not in printed and "vnone" not in printed


def test_the_tracking_store_is_printed_once_per_run():
    settings = Settings.from_env({"MLFLOW_TRACKING_URI": "sqlite:///tmp/x.db"})
    printed = header(settings) + "\n" + summary(settings, _deployment(""))
    assert printed.count("tracking:") == 1
    assert printed.count("sqlite:///tmp/x.db") == 1
