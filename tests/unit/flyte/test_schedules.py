import pytest

from workflows.flyte import schedules


def test_the_schedules_default_to_daily_scoring_and_weekly_training():
    assert schedules.cron("SCORING_CRON", schedules.DEFAULT_SCORING_CRON, {}) == "0 6 * * *"
    assert schedules.cron("TRAINING_CRON", schedules.DEFAULT_TRAINING_CRON, {}) == "0 3 * * 1"
    assert schedules.cron("SCORING_CRON", "x", {"SCORING_CRON": "*/5 * * * *"}) == "*/5 * * * *"
    assert schedules.flag("RETRAIN_ON_DRIFT", {}) is False
    assert schedules.flag("RETRAIN_ON_DRIFT", {"RETRAIN_ON_DRIFT": "true"}) is True


def test_bad_schedule_settings_are_named():
    with pytest.raises(schedules.ScheduleError, match="SCORING_CRON"):
        schedules.cron("SCORING_CRON", "", {"SCORING_CRON": "daily"})
    with pytest.raises(schedules.ScheduleError, match="RETRAIN_ON_DRIFT"):
        schedules.flag("RETRAIN_ON_DRIFT", {"RETRAIN_ON_DRIFT": "maybe"})
