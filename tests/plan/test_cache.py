"""The plan overview's table is cached, and shows every change at once: to the plan, to a
board's name (networks) or a sponsor post's title (the directory)."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.core.pagecache import local_pages
from regionhub.networks.models import Group
from regionhub.plan import services
from regionhub.plan.models import Initiative, StatusUpdate
from tests.factories import PostFactory

D = datetime.date


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = True
    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


def test_overview_cached_until_the_plan_a_board_or_a_sponsor_post_changes(
    client, page_cache, admin_user, member, django_capture_on_commit_callbacks
):
    board = Group.objects.create(name="RCLO Board", kind=Group.Kind.BOARD)
    post = PostFactory(title="Chair, RCLO Board")
    with django_capture_on_commit_callbacks(execute=True):
        initiative = services.initiative_create(
            actor=admin_user,
            data={
                "title": "Safe Centre",
                "start": D(2023, 1, 1),
                "planned_end": D(2026, 12, 31),
                "board": board,
                "sponsor_post": post,
            },
        )
        services.status_update_add(
            actor=admin_user, initiative=initiative, date=D(2024, 1, 10), rag="red"
        )
    client.force_login(member)
    url = reverse("plan:overview") + "?date=2024-06-01"
    assert "1 red" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as cached:
        assert "1 red" in client.get(url).content.decode()
    assert not any("plan_" in q["sql"] for q in cached.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):
        services.status_update_add(
            actor=admin_user,
            initiative=initiative,
            date=D(2024, 5, 1),
            rag="green",
            narrative="Site secured",
        )
    page = client.get(url).content.decode()
    assert "1 green" in page and "Site secured" in page

    with django_capture_on_commit_callbacks(execute=True):
        board.name = "Care Leaver Offer Board"
        board.save()
        post.title = "Chair, Care Leaver Offer Board"
        post.save()
    page = client.get(url).content.decode()
    assert "Care Leaver Offer Board" in page and "Chair, Care Leaver Offer Board" in page

    # A plain delete, as the back office does it.
    with django_capture_on_commit_callbacks(execute=True):
        StatusUpdate.objects.filter(narrative="Site secured").delete()
        Initiative.objects.create(
            title="Agency MoU", start=D(2023, 1, 1), planned_end=D(2025, 1, 1)
        )
    page = client.get(url).content.decode()
    assert "1 red" in page and "Site secured" not in page and "Agency MoU" in page


def test_a_regional_admins_cached_overview_is_kept_apart_from_a_members(
    client, page_cache, admin_user, member
):
    url = reverse("plan:overview") + "?date=2024-06-01"
    client.force_login(admin_user)
    assert "Add an initiative" in client.get(url).content.decode()
    client.force_login(member)
    assert "Add an initiative" not in client.get(url).content.decode()
    client.force_login(admin_user)
    assert "Add an initiative" in client.get(url).content.decode()
