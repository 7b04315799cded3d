"""Periodic tasks: which of settings.PERIODIC_TASKS are due, claimed so that only one runs.

Each entry is `{"task": "dotted.path.to.task", "every": seconds}` or
`{"task": ..., "daily_at": "HH:MM"}` (Europe/London). A task is *claimed* by moving its
`PeriodicRun.last_run` forward in a conditional UPDATE, so two schedulers (or a restart) never
enqueue the same run twice; the task itself runs on the worker (`manage.py db_worker`).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import PeriodicRun


@dataclass(frozen=True)
class Schedule:
    task: str
    every: datetime.timedelta | None = None
    daily_at: datetime.time | None = None

    def is_due(self, last_run: datetime.datetime | None, now: datetime.datetime) -> bool:
        if self.every is not None:
            return last_run is None or now - last_run >= self.every
        assert self.daily_at is not None
        local_now = timezone.localtime(now)
        if local_now.time() < self.daily_at:
            return False
        return last_run is None or timezone.localtime(last_run).date() < local_now.date()


def schedules() -> list[Schedule]:
    result = []
    for entry in getattr(settings, "PERIODIC_TASKS", []):
        if "every" in entry:
            result.append(
                Schedule(task=entry["task"], every=datetime.timedelta(seconds=entry["every"]))
            )
        else:
            hour, minute = (int(part) for part in entry["daily_at"].split(":"))
            result.append(Schedule(task=entry["task"], daily_at=datetime.time(hour, minute)))
    return result


def claim(schedule: Schedule, now: datetime.datetime) -> bool:
    """True if this process may enqueue `schedule` now (and has recorded that it did)."""
    run, created = PeriodicRun.objects.get_or_create(name=schedule.task, defaults={"last_run": now})
    if created:
        return True
    if not schedule.is_due(run.last_run, now):
        return False
    # Only the process whose UPDATE still sees the old value wins.
    return bool(PeriodicRun.objects.filter(pk=run.pk, last_run=run.last_run).update(last_run=now))


def enqueue_due(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every due periodic task; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for schedule in schedules():
        if claim(schedule, now):
            import_string(schedule.task).enqueue()
            enqueued.append(schedule.task)
    return enqueued
