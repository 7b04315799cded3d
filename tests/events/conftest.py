import datetime

import pytest
from django.utils import timezone

from regionhub.events import services
from tests.factories import PersonFactory, UserFactory


def make_event(actor, *, capacity=10, days=30, publish=True, **data):
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=days)
    fields = {"title": "Safeguarding Conference", "venue": "Council House, Birmingham"}
    fields.update(data, capacity=capacity)
    event = services.event_create(
        actor=actor,
        data=fields,
        sessions=[(start, start + datetime.timedelta(hours=6))],
    )
    if publish:
        event = services.event_publish(actor=actor, event=event)
    return event


def member_of(authority, **kwargs):
    """A member account linked to its own directory entry in `authority`."""
    person = PersonFactory(organisation=authority, **kwargs)
    user = UserFactory(role="member", organisation=authority, person=person)
    return user


@pytest.fixture
def event(admin_user):
    return make_event(admin_user)


@pytest.fixture
def booker(authority):
    return member_of(authority)


@pytest.fixture(autouse=True)
def _tasks_must_not_fail():
    """The immediate task backend logs a failing task and carries on; make it fail the test."""
    from django_tasks.base import TaskResultStatus
    from django_tasks.signals import task_finished

    failures = []

    def record(sender, task_result, **kwargs):
        if task_result.status == TaskResultStatus.FAILED:
            failures.append(f"{task_result.task.name}: {task_result.errors}")

    task_finished.connect(record)
    yield
    task_finished.disconnect(record)
    assert not failures, failures
