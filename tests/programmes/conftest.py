import datetime
import decimal

import pytest
from django.utils import timezone

from regionhub.programmes import services
from tests.factories import OrganisationFactory, PersonFactory, UserFactory


def make_programme(actor, **data):
    fields = {
        "title": "Breaking Through",
        "provider": OrganisationFactory(kind="partner", is_member=False),
        "audience": "Women of colour aspiring to management",
        "regional_price": decimal.Decimal("1584"),
        "direct_price": decimal.Decimal("1950"),
    }
    fields.update(data)
    return services.programme_create(actor=actor, data=fields)


def make_cohort(actor, programme=None, *, places=5, per_authority=None, days=30, **data):
    programme = programme or make_programme(actor)
    fields = {
        "name": "Cohort 1",
        "starts": timezone.localdate() + datetime.timedelta(days=days + 10),
        "places": places,
        "deadline": timezone.now() + datetime.timedelta(days=days),
        "rule": "first_come",
    }
    fields.update(data)
    return services.cohort_create(
        actor=actor, programme=programme, data=fields, per_authority=per_authority
    )


def member_of(authority, **kwargs):
    person = PersonFactory(organisation=authority, **kwargs)
    return UserFactory(role="member", organisation=authority, person=person)


def coordinator_of(authority):
    user = UserFactory(role="coordinator", organisation=authority)
    user.coordinated_authorities.add(authority)
    return user


@pytest.fixture
def programme(admin_user):
    return make_programme(admin_user)


@pytest.fixture
def cohort(admin_user, programme):
    return make_cohort(admin_user, programme)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The savings report is cached; a report from an earlier test's data must not be read."""
    from django.core.cache import cache

    cache.clear()


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


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what services defer to the commit (the emails) when the block ends."""
    return django_capture_on_commit_callbacks
