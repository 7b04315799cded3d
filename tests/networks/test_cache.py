"""The engagement tables are cached, and every change to networks or the directory shows at
once: through a service, the back office (a plain save or delete) or the directory."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.core.pagecache import local_pages
from regionhub.directory.models import Post
from regionhub.networks import services
from regionhub.networks.models import Attendance, Group, GroupAuthority, Seniority

from .conftest import holder

D = datetime.date
QUARTER = "kind=quarter&on=2024-05-01"


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = True
    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


def cell_text(page: str, authority) -> str:
    """The row of the regional matrix for `authority`."""
    table = page[page.index('id="engagement"') :]
    row = table[table.index(authority.name) :]
    return row[: row.index("</tr>")]


def test_regional_view_is_served_from_the_cache_until_networks_or_the_directory_change(
    client,
    page_cache,
    admin_user,
    authority,
    other_authority,
    meeting,
    django_capture_on_commit_callbacks,
):
    client.force_login(admin_user)
    url = reverse("networks:engagement") + f"?{QUARTER}"
    director = holder(authority, Post.Category.DIRECTOR)
    with django_capture_on_commit_callbacks(execute=True):
        services.attendance_record(
            actor=admin_user,
            meeting=meeting,
            authority=authority,
            status="present",
            person=director,
        )
    assert "1 of 1" in cell_text(client.get(url).content.decode(), authority)
    with CaptureQueriesContext(connection) as cached:
        assert "1 of 1" in cell_text(client.get(url).content.decode(), authority)
    assert not any("networks_attendance" in q["sql"] for q in cached.captured_queries)

    # Through a service.
    deputy = holder(other_authority, Post.Category.HEAD_OF_SERVICE)
    with django_capture_on_commit_callbacks(execute=True):
        services.attendance_record(
            actor=admin_user,
            meeting=meeting,
            authority=other_authority,
            status="deputy",
            person=deputy,
        )
    assert "1 of 1" in cell_text(client.get(url).content.decode(), other_authority)

    # A change in the directory: the director's post was only a head of service's all along.
    with django_capture_on_commit_callbacks(execute=True):
        post = Post.objects.get(appointments__person=director)
        post.category = Post.Category.HEAD_OF_SERVICE
        post.save()
    assert "0 of 1" in cell_text(client.get(url).content.decode(), authority)

    # A plain delete, as the back office does it.
    with django_capture_on_commit_callbacks(execute=True):
        Attendance.objects.get(meeting=meeting, authority=authority).delete()
    assert "attended 0" in cell_text(client.get(url).content.decode(), authority)


def test_authority_tracker_and_network_list_follow_new_groups(
    client, page_cache, admin_user, authority, meeting, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    tracker = reverse("networks:engagement-authority", args=[authority.pk]) + f"?{QUARTER}"
    regional = reverse("networks:engagement") + f"?{QUARTER}"
    assert "Safeguarding board" not in client.get(tracker).content.decode()
    assert "Safeguarding board" not in client.get(regional).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        board = Group.objects.create(
            name="Safeguarding board", kind=Group.Kind.BOARD, parent=meeting.group
        )
        GroupAuthority.objects.create(group=board, authority=authority, expected=Seniority.LEAD)
        Group.objects.create(name="Front door workstream", kind="workstream", parent=board)
    assert "Safeguarding board" in client.get(tracker).content.decode()
    page = client.get(regional).content.decode()
    # A column of the network's table, and a network of its own in the list.
    assert "Safeguarding board" in page[page.index('id="engagement"') :]
    assert f'<option value="{board.pk}">Safeguarding board</option>' in page


def test_nothing_is_cached_with_the_page_cache_off(client, admin_user, authority, meeting):
    client.force_login(admin_user)
    url = reverse("networks:engagement") + f"?{QUARTER}"
    client.get(url)
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert any("networks_attendance" in q["sql"] for q in again.captured_queries)


def test_default_period_follows_the_latest_meeting(
    client, page_cache, admin_user, meeting, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    url = reverse("networks:engagement")
    assert "1 April 2024 to 30 June 2024" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_create(
            actor=admin_user, group=meeting.group, data={"date": D(2024, 8, 1), "place": "Dudley"}
        )
    assert "1 July 2024 to 30 September 2024" in client.get(url).content.decode()
