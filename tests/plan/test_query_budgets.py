"""The plan overview makes the same number of queries however long the plan is."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.networks.models import Group
from regionhub.plan.models import Initiative, Milestone, StatusUpdate
from tests.factories import PersonFactory, PostFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def build_plan(tag: str, n: int, updates_each: int) -> None:
    board = Group.objects.create(name=f"Board {tag}", kind=Group.Kind.BOARD)
    for i in range(n):
        initiative = Initiative.objects.create(
            title=f"Initiative {tag} {i:03d}",
            start=D(2022, 1, 1),
            planned_end=D(2027, 1, 1),
            sponsor_post=PostFactory(),
            board=board,
            lead_officer=PersonFactory(),
        )
        for u in range(updates_each):
            StatusUpdate.objects.create(
                initiative=initiative, date=D(2023, 1 + u, 1), rag=["green", "amber", "red"][u % 3]
            )
            Milestone.objects.create(
                initiative=initiative, title=f"m{u}", due=D(2023, 1 + u, 1), done=D(2023, 2, 1)
            )


def urls():
    overview = reverse("plan:overview")
    return [overview, f"{overview}?date=2023-06-15", f"{overview}?date=2023-06-15&page=2"]


def test_overview_query_count_does_not_grow(client, member, django_assert_max_num_queries):
    client.force_login(member)
    build_plan("small", 2, 1)
    budgets = []
    for url in urls():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        budgets.append(len(ctx.captured_queries))
    Initiative.objects.all().delete()

    # Thirty-five times the initiatives (two pages), nine times the updates and milestones.
    build_plan("big", 70, 9)
    for url, budget in zip(urls(), budgets, strict=True):
        with django_assert_max_num_queries(budget, info=url):
            assert client.get(url).status_code == 200
    assert max(budgets) <= 6


def test_overview_pages_through_the_plan_and_counts_every_rating(client, member):
    build_plan("paged", 70, 5)
    client.force_login(member)
    url = reverse("plan:overview") + "?date=2023-06-15"
    first = client.get(url).content.decode()
    second = client.get(url + "&page=2").content.decode()
    assert "Initiative paged 000" in first and "Initiative paged 050" not in first
    assert "Initiative paged 050" in second and "Showing 51 to 70 of 70" in second
    # On 15 June 2023 each initiative's latest update is its fifth (May): green, amber, red, ...
    assert "70 initiatives on 15 June 2023" in first
    assert "0 red" in first and "70 amber" in first and "0 green" in first
