import datetime
import zoneinfo

import pytest
from django_tasks import task

from regionhub.core import periodic
from regionhub.core.models import PeriodicRun

LONDON = zoneinfo.ZoneInfo("Europe/London")
RUNS: list[str] = []


@task()
def record_run() -> None:
    RUNS.append("ran")


TASK = f"{__name__}.record_run"


def at(hour, minute=0, day=1):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def test_interval_schedule():
    schedule = periodic.Schedule(task=TASK, every=datetime.timedelta(minutes=5))
    assert schedule.is_due(None, at(9))
    assert not schedule.is_due(at(9), at(9, 4))
    assert schedule.is_due(at(9), at(9, 5))


def test_daily_schedule_runs_once_a_day_after_its_time():
    schedule = periodic.Schedule(task=TASK, daily_at=datetime.time(7))
    assert not schedule.is_due(None, at(6, 59))
    assert schedule.is_due(None, at(7))
    assert not schedule.is_due(at(7, 1), at(23))
    assert schedule.is_due(at(7, 1), at(7, 0, day=2))


@pytest.mark.django_db
def test_due_tasks_are_enqueued_once(settings):
    settings.PERIODIC_TASKS = [{"task": TASK, "every": 300}]
    RUNS.clear()
    assert periodic.enqueue_due(at(9)) == [TASK]
    assert periodic.enqueue_due(at(9, 1)) == []
    assert periodic.enqueue_due(at(9, 5)) == [TASK]
    assert RUNS == ["ran", "ran"]
    assert PeriodicRun.objects.get(name=TASK).last_run == at(9, 5)


@pytest.mark.django_db
def test_a_second_scheduler_cannot_claim_the_same_run():
    schedule = periodic.Schedule(task=TASK, every=datetime.timedelta(minutes=5))
    PeriodicRun.objects.create(name=TASK, last_run=at(9))
    stale = PeriodicRun.objects.get(name=TASK)
    assert periodic.claim(schedule, at(9, 10))
    # Another process read the row before the claim above; its conditional update finds nothing.
    assert not PeriodicRun.objects.filter(pk=stale.pk, last_run=stale.last_run).update(
        last_run=at(9, 10)
    )


def test_the_configured_tasks_exist():
    from django.utils.module_loading import import_string

    for schedule in periodic.schedules():
        assert hasattr(import_string(schedule.task), "enqueue"), schedule.task
