"""The national-scale generators: the scale asked for, idempotent, removable, and the bench
suites' pages answering for the accounts they are read as."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from regionhub.accounts.models import User
from regionhub.networks import bench as networks_bench
from regionhub.networks.models import Action, Attendance, Group, GroupAuthority, Meeting
from regionhub.plan import bench as plan_bench
from regionhub.plan.models import Initiative, StatusUpdate

pytestmark = pytest.mark.django_db

NETWORKS = ["--groups", "40", "--meetings", "400", "--attendance", "1200"]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def national(db):
    run(
        "generate_national",
        *["--people", "400", "--appointments", "700", "--authorities", "12", "--regions", "3"],
    )
    run("bench_users")


def test_generate_networks_and_plan(national):
    kept = Group.objects.create(name="DCS Network", kind=Group.Kind.NETWORK)
    assert "Generated 40 groups" in run("generate_networks", *NETWORKS)
    generated = Group.objects.exclude(pk=kept.pk)
    assert generated.count() == 40
    assert Meeting.objects.count() == 400 and Attendance.objects.count() == 1200
    # One DCS network per region, with the region's other groups below it.
    tops = generated.filter(parent__isnull=True)
    assert tops.count() == 3 and all(t.name.startswith("DCS Network (") for t in tops)
    assert GroupAuthority.objects.filter(group__in=tops).count() == 12
    assert set(Attendance.objects.values_list("status", flat=True)) == set(Attendance.Status)
    assert not Attendance.objects.filter(status__in=Attendance.ATTENDED, person=None).exists()
    assert Action.objects.exists()

    assert "already present" in run("generate_networks", *NETWORKS)
    assert Attendance.objects.count() == 1200
    assert "Generated 30 initiatives" in run("generate_plan", "--initiatives", "30")
    assert "already present" in run("generate_plan", "--initiatives", "30")
    assert StatusUpdate.objects.count() > 30
    assert Initiative.objects.filter(board__isnull=False).count() == 30

    # Another scale replaces the generated rows and leaves everything else alone.
    run("generate_networks", "--groups", "20", "--meetings", "100", "--attendance", "200")
    assert Group.objects.count() == 21 and Attendance.objects.count() == 200
    run("generate_networks", "--remove")
    run("generate_plan", "--remove")
    assert list(Group.objects.all()) == [kept]
    assert not Meeting.objects.exists() and not Initiative.objects.exists()


def test_bench_pages_answer_for_their_readers(national):
    run("generate_networks", *NETWORKS)
    run("generate_plan", "--initiatives", "60")
    targets = networks_bench.targets() + plan_bench.targets()
    names = [t["name"] for t in targets]
    assert names == [
        "engagement-region",
        "engagement-network",
        "engagement-authority",
        "plan-overview",
        "plan-as-at",
    ]
    for target in targets:
        client = Client()
        client.force_login(User.objects.get(email=target["user"]))
        response = client.get(target["path"])
        assert response.status_code == 200, target
    assert networks_bench.generate_commands({})[-2:] == [["bench_users"], ["generate_networks"]]
    assert networks_bench.generate_commands({})[0][0] == "generate_national"
