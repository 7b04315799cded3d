import datetime

import pytest
from django.core.cache import cache

from regionhub.core.pagecache import _LocalPages, local_pages
from regionhub.directory import services
from tests.factories import PersonFactory, PostFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = True
    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


def test_anonymous_pages_are_served_from_the_cache_until_the_directory_changes(
    client, page_cache, admin_user, django_assert_max_num_queries
):
    post = PostFactory(title="Director of Children's Services")
    url = post.get_absolute_url()
    assert "Vacant" in client.get(url).content.decode()
    with django_assert_max_num_queries(0):
        assert "Vacant" in client.get(url).content.decode()

    person = PersonFactory(name="Karen Graham", organisation=post.organisation)
    services.appointment_create(
        actor=admin_user, post=post, person=person, data={"start": datetime.date(2024, 7, 1)}
    )
    body = client.get(url).content.decode()
    assert "Karen Graham" in body and "Nobody holds this post today" not in body


def test_changes_made_outside_the_services_also_invalidate(client, page_cache):
    post = PostFactory(title="Head of Service")
    client.get(post.get_absolute_url())
    post.title = "Head of Safeguarding"
    post.save()
    assert "Head of Safeguarding" in client.get(post.get_absolute_url()).content.decode()


def test_signed_in_users_never_get_a_cached_page(client, page_cache, member):
    person = PersonFactory(email="kg@dudley.gov.uk")
    assert "kg@dudley.gov.uk" not in client.get(person.get_absolute_url()).content.decode()
    client.force_login(member)
    assert "kg@dudley.gov.uk" in client.get(person.get_absolute_url()).content.decode()
    client.logout()
    assert "kg@dudley.gov.uk" not in client.get(person.get_absolute_url()).content.decode()


def test_cached_pages_carry_no_csrf_token(client, page_cache):
    post = PostFactory()
    body = client.get(post.get_absolute_url()).content.decode()
    assert "X-CSRFToken" not in body and "csrfmiddlewaretoken" not in body


def test_the_local_store_keeps_within_its_byte_limit():
    store = _LocalPages(limit_bytes=10)
    store.put("a", b"12345")
    store.put("b", b"12345")
    assert store.get("a") == b"12345"  # now the most recently used
    store.put("c", b"12345")
    assert store.get("b") is None
    assert store.get("a") == b"12345" and store.get("c") == b"12345"


def test_signed_in_pages_reuse_cached_tables_until_the_directory_changes(
    client, page_cache, member, admin_user, django_assert_max_num_queries
):
    from django.urls import reverse

    post = PostFactory(title="Director of Children's Services", category="director")
    person = PersonFactory(name="Tina Russell", organisation=post.organisation)
    services.appointment_create(
        actor=admin_user, post=post, person=person, data={"start": datetime.date(2020, 1, 1)}
    )
    client.force_login(member)
    url = reverse("directory:as-at") + "?date=2024-08-01"
    assert "Tina Russell" in client.get(url).content.decode()
    # Session and user only: the leadership table comes from the fragment cache.
    with django_assert_max_num_queries(2):
        assert "Tina Russell" in client.get(url).content.decode()

    services.post_handover(
        actor=admin_user,
        post=post,
        incoming=PersonFactory(name="Adam Johnston", organisation=post.organisation),
        on=datetime.date(2024, 7, 1),
    )
    body = client.get(url).content.decode()
    assert "Adam Johnston" in body and "Tina Russell" not in body


def test_an_authoritys_inspection_history_is_fresh_after_a_new_inspection(
    client, page_cache, member, admin_user, authority
):
    from django.urls import reverse

    from tests.inspections.helpers import ALL_GOOD_2023, record

    url = reverse("inspections:authority", args=[authority.pk])
    client.force_login(member)
    assert "No inspections recorded" in client.get(url).content.decode()
    record(
        admin_user,
        authority,
        start=datetime.date(2023, 2, 20),
        published=datetime.date(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )
    body = client.get(url).content.decode()
    assert "No inspections recorded" not in body and "18 April 2023" in body
