"""Networks pages make the same number of queries however much data there is."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.directory.models import Post
from regionhub.networks.models import (
    Action,
    Attendance,
    Group,
    GroupAuthority,
    Meeting,
    Seniority,
)
from tests.factories import OrganisationFactory

from .conftest import holder

D = datetime.date
pytestmark = pytest.mark.django_db


def build_region(tag: str, n_authorities: int, n_children: int, meetings_each: int):
    """A region's network with `n_children` groups reporting to it (some with groups of their
    own), every authority a member of each, meetings with attendance, decisions and actions."""
    authorities = [
        OrganisationFactory(kind="council", is_member=True) for _ in range(n_authorities)
    ]
    people = [holder(a, Post.Category.HEAD_OF_SERVICE) for a in authorities]
    top = Group.objects.create(name=f"Network {tag}", kind=Group.Kind.NETWORK)
    groups = [top]
    for c in range(n_children):
        child = Group.objects.create(name=f"Group {tag}-{c}", kind=Group.Kind.BOARD, parent=top)
        groups.append(child)
        if c % 2 == 0:
            groups.append(
                Group.objects.create(
                    name=f"Workstream {tag}-{c}", kind=Group.Kind.WORKSTREAM, parent=child
                )
            )
    for group in groups:
        for a in authorities:
            GroupAuthority.objects.create(group=group, authority=a, expected=Seniority.LEAD)
        for m in range(meetings_each):
            meeting = Meeting.objects.create(group=group, date=D(2024, 4, 2 + 7 * m))
            for i, (a, p) in enumerate(zip(authorities, people, strict=True)):
                if i % 3 == 2:
                    Attendance.objects.create(meeting=meeting, authority=a, status="apologies")
                else:
                    Attendance.objects.create(
                        meeting=meeting, authority=a, status="present", person=p
                    )
            Action.objects.create(
                meeting=meeting, description="x", owner=people[0], due=D(2024, 9, 1)
            )
    return top, authorities


def pages(top, authorities):
    quarter = "kind=quarter&on=2024-05-01"
    return [
        reverse("networks:group-list"),
        reverse("networks:engagement") + f"?{quarter}",
        reverse("networks:engagement") + f"?network={top.pk}&{quarter}&page=2",
        reverse("networks:engagement") + f"?network={top.pk}&{quarter}&print=1",
        reverse("networks:engagement-authority", args=[authorities[0].pk]) + f"?{quarter}",
        reverse("networks:engagement-authority", args=[authorities[0].pk]) + "?kind=year",
        top.get_absolute_url(),
        reverse("networks:action-overdue"),
    ]


def test_query_counts_do_not_grow_with_the_data(client, admin_user, django_assert_max_num_queries):
    client.force_login(admin_user)
    small = build_region("small", n_authorities=2, n_children=2, meetings_each=1)
    budgets = []
    for url in pages(*small):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        budgets.append(len(ctx.captured_queries))
    Group.objects.all().delete()

    # Four times the authorities, fourteen groups (two pages of the regional view) and four
    # times the meetings: the same bound holds.
    big = build_region("big", n_authorities=8, n_children=14, meetings_each=4)
    for url, budget in zip(pages(*big), budgets, strict=True):
        with django_assert_max_num_queries(budget, info=url):
            response = client.get(url)
            assert response.status_code == 200
    assert max(budgets) <= 12


def test_the_regional_view_page_two_shows_the_rest_of_the_groups(client, admin_user):
    top, _ = build_region("paged", n_authorities=2, n_children=14, meetings_each=1)
    client.force_login(admin_user)
    url = reverse("networks:engagement") + f"?network={top.pk}&kind=quarter&on=2024-05-01"
    first = matrix(client.get(url).content.decode())
    second_page = client.get(url + "&page=2").content.decode()
    second = matrix(second_page)
    # The network itself and its 14 groups, 12 a page, by name after the network.
    assert "Network paged" in first and "Group paged-0" in first and "Group paged-9" not in first
    assert "Group paged-9" in second and "Group paged-0" not in second
    assert "groups 13 to 15 of 15 shown" in second_page


def matrix(page: str) -> str:
    return page[
        page.index('id="engagement"') : page.index("</table>", page.index('id="engagement"'))
    ]
