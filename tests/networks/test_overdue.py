"""The overdue actions page: every open action past its due date across the groups, longest
overdue first, a page at a time with the total; admins may email the owners from it."""

import datetime
import re

import pytest
from django.urls import reverse

from regionhub.directory.models import today
from regionhub.networks import views
from regionhub.networks.models import Action
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
URL = reverse("networks:action-overdue")


def shown(html: str) -> list[int]:
    """The numbers of the actions listed, in order (their descriptions are 'Late N')."""
    return [int(n) for n in re.findall(r">Late (\d+)<", html)]


@pytest.fixture
def overdue(meeting):
    """Overdue actions 'Late 0' (the longest overdue) to 'Late N-1', made in a shuffled order,
    and actions that are not overdue: done, dropped or not yet due."""
    owner = PersonFactory()
    start = today() - datetime.timedelta(days=400)
    count = views.OVERDUE_PAGE + 7
    for n in sorted(range(count), key=lambda n: (n * 37) % count):
        Action.objects.create(
            meeting=meeting,
            description=f"Late {n}",
            owner=owner,
            due=start + datetime.timedelta(days=n),
        )
    for status in (Action.Status.DONE, Action.Status.DROPPED):
        Action.objects.create(
            meeting=meeting, description="Closed", owner=owner, due=start, status=status
        )
    Action.objects.create(
        meeting=meeting,
        description="Not yet due",
        owner=owner,
        due=today() + datetime.timedelta(days=3),
    )
    return count


def test_paged_longest_overdue_first_with_the_total(client, member, overdue):
    client.force_login(member)
    first = client.get(URL).content.decode()
    assert shown(first) == list(range(views.OVERDUE_PAGE))
    assert f"{overdue} overdue actions" in first
    assert f"Showing 1 to {views.OVERDUE_PAGE}, longest overdue first" in first
    assert 'rel="next"' in first and "Page 1 of 2" in first
    assert "Closed" not in first and "Not yet due" not in first

    second = client.get(URL + "?page=2").content.decode()
    assert shown(second) == list(range(views.OVERDUE_PAGE, overdue))
    assert f"{overdue} overdue actions" in second and 'rel="prev"' in second
    # A page past the end, or not a number, shows a page rather than an error.
    assert shown(client.get(URL + "?page=9").content.decode()) == shown(second)
    assert shown(client.get(URL + "?page=x").content.decode()) == shown(first)


def test_the_query_count_does_not_grow_with_the_actions(
    client, member, meeting, django_assert_max_num_queries
):
    owner = PersonFactory()
    due = today() - datetime.timedelta(days=5)
    client.force_login(member)
    Action.objects.create(meeting=meeting, description="Late 0", owner=owner, due=due)
    with django_assert_max_num_queries(8) as captured:
        client.get(URL)
    budget = len(captured.captured_queries)
    Action.objects.bulk_create(
        Action(meeting=meeting, description=f"Late {n}", owner=PersonFactory(), due=due)
        for n in range(1, 3 * views.OVERDUE_PAGE)
    )
    with django_assert_max_num_queries(budget):
        page = client.get(URL + "?page=2").content.decode()
    assert len(shown(page)) == views.OVERDUE_PAGE


def test_only_admins_may_email_the_owners(client, admin_user, member, coordinator, overdue):
    button = "Email the owners now"
    for user in (member, coordinator):
        client.force_login(user)
        assert button not in client.get(URL).content.decode()
        assert client.post(URL).status_code == 404
    client.force_login(admin_user)
    assert button in client.get(URL + "?page=2").content.decode()


def test_no_button_when_nothing_is_overdue(client, admin_user, meeting):
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert "0 overdue actions" in page and "Email the owners now" not in page
    assert "None." in page


def test_anonymous_readers_are_sent_to_sign_in(client, overdue):
    response = client.get(URL)
    assert response.status_code == 302 and "sign-in" in response.url
