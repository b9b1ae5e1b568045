"""When the launch plans run: one place for the schedules.

Read from the environment when the package is built (`python -m ci package`),
so CI can change them without a code edit; the defaults stand otherwise.
Flyte registers the scheduled launch plans into every domain, and CD activates
them only in production, from a release tag (`python -m ci activate`).

SCORING_CRON      batch scoring of the contract's source; default: daily at 06:00 UTC
TRAINING_CRON     retraining; default: Mondays at 03:00 UTC
RETRAIN_ON_DRIFT  true: a scheduled scoring run that detects drift starts the training
                  launch plan of its domain; default: false
GIT_SHA, GIT_REF  provenance the scheduled runs carry (production's deploy step
                  needs the release tag): CI sets them when it packages
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from workflows import identity

DEFAULT_SCORING_CRON = "0 6 * * *"
DEFAULT_TRAINING_CRON = "0 3 * * 1"
SCORING_SCHEDULE = f"{identity.FLYTE_PROJECT}.scoring-daily"
TRAINING_SCHEDULE = f"{identity.FLYTE_PROJECT}.training-weekly"
SCHEDULED_LAUNCH_PLANS = (SCORING_SCHEDULE, TRAINING_SCHEDULE)
ACTIVE_IN = "production"  # the only domain whose schedules CD switches on

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


class ScheduleError(ValueError):
    """A schedule setting holds a value Flyte cannot use."""


def cron(name: str, default: str, env: dict[str, str] | None = None) -> str:
    value = (os.environ if env is None else env).get(name, "").strip() or default
    if len(value.split()) != 5:
        raise ScheduleError(f"{name}={value!r}: a cron expression has five fields")
    return value


def flag(name: str, env: dict[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(name, "").strip().lower()
    if value not in _TRUE + _FALSE:
        raise ScheduleError(f"{name}={value!r}: say true or false")
    return value in _TRUE


def provenance(env: dict[str, str] | None = None) -> dict[str, str]:
    env = os.environ if env is None else env
    return {"git_sha": env.get("GIT_SHA", ""), "git_ref": env.get("GIT_REF", "")}


@dataclass(frozen=True)
class Schedules:
    scoring_cron: str
    training_cron: str
    retrain_on_drift: bool


def read(env: dict[str, str] | None = None) -> Schedules:
    """The schedule settings, each checked. A function, not values read on import:
    `python -m ci package` calls it first, so a bad one is named in one line
    rather than in a traceback (here or in pyflyte's import of the pipeline)."""
    return Schedules(
        cron("SCORING_CRON", DEFAULT_SCORING_CRON, env),
        cron("TRAINING_CRON", DEFAULT_TRAINING_CRON, env),
        flag("RETRAIN_ON_DRIFT", env),
    )
