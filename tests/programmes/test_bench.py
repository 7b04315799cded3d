"""The programmes bench data: the right size, busy open cohorts, idempotent, removable, and the
targets the bench measures."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from regionhub.core.pagecache import data_version
from regionhub.programmes import bench
from regionhub.programmes.management.commands import generate_programmes
from regionhub.programmes.models import Application, Cohort, Interest, Programme

pytestmark = pytest.mark.django_db


def generate(**scale) -> str:
    out = StringIO()
    call_command("generate_programmes", stdout=out, **scale)
    return out.getvalue()


@pytest.fixture
def national(db, monkeypatch):
    call_command(
        "generate_national",
        people=600,
        appointments=600,
        authorities=12,
        regions=3,
        stdout=StringIO(),
        stderr=StringIO(),
    )
    call_command("bench_users", stdout=StringIO())
    # A small scale that still has busy cohorts: two of 40 applications.
    monkeypatch.setattr(generate_programmes, "BUSY_COHORTS", 2)
    monkeypatch.setattr(generate_programmes, "BUSY_SIZE", 40)


def test_generates_at_scale_idempotently_and_removes(national, django_capture_on_commit_callbacks):
    before = data_version("programmes")
    with django_capture_on_commit_callbacks(execute=True):
        generate(cohorts=30, applications=200, interest=50)
    # Bulk inserts send no signal: the generator retires cached programme pages itself.
    assert data_version("programmes") != before
    assert Cohort.objects.count() == 30 and Programme.objects.count() == 3
    assert Application.objects.count() == 200 and Interest.objects.count() == 50
    sizes = sorted(
        Cohort.objects.annotate(n=Count("applications")).values_list("n", flat=True),
        reverse=True,
    )
    assert sizes[:2] == [40, 40] and max(sizes[2:]) <= 5
    busy = Cohort.objects.annotate(n=Count("applications")).filter(n=40)
    assert all(c.deadline > timezone.now() for c in busy)
    assert not Application.objects.values("cohort", "person").annotate(n=Count("pk")).filter(n=2)

    assert "already there" in generate(cohorts=30, applications=200, interest=50)
    generate(cohorts=20, applications=100, interest=10)
    assert Cohort.objects.count() == 20 and Application.objects.count() == 100
    before = data_version("programmes")
    with django_capture_on_commit_callbacks(execute=True):
        generate(remove=True)
    assert data_version("programmes") != before
    assert not Programme.objects.exists() and not Application.objects.exists()
    assert not Interest.objects.exists()


def test_targets_are_the_heaviest_pages_and_answer(national):
    generate(cohorts=30, applications=200, interest=50)
    found = {t["name"]: t for t in bench.targets()}
    assert list(found) == ["programme-list", "cohort-page", "savings-report", "nominee-search"]
    cohort_id = int(found["cohort-page"]["path"].rstrip("/").rsplit("/", 1)[1])
    cohort = Cohort.objects.annotate(n=Count("applications")).get(pk=cohort_id)
    assert cohort.n == 40 and cohort.is_open()
    assert [t["p95_goal_ms"] for t in found.values()] == [50.0, 50.0, 50.0, None]
    from regionhub.accounts.models import User

    for target in found.values():
        client = Client()
        client.force_login(User.objects.get(email=target["user"]))
        response = client.get(target["path"])
        assert response.status_code == 200, target["path"]
    assert bench.generate_commands() == [["generate_programmes"]]


def test_needs_the_national_directory(db):
    with pytest.raises(SystemExit, match="generate_national first"):
        generate(cohorts=2, applications=4, interest=0)
