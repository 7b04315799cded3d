"""Directory pages make the same number of queries however much data there is."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.directory.models import Post
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, PostFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def build_region(n_authorities: int, holders_per_post: int):
    network = OrganisationFactory(kind="network", is_member=False)
    chair = PostFactory(organisation=network, category=Post.Category.NETWORK_OFFICER)
    authorities = []
    for i in range(n_authorities):
        org = OrganisationFactory()
        authorities.append(org)
        for category in (Post.Category.DIRECTOR, Post.Category.HEAD_OF_SERVICE):
            post = PostFactory(organisation=org, category=category)
            for h in range(holders_per_post):
                start = D(2000 + h, 1, 1)
                end = None if h == holders_per_post - 1 else D(2000 + h, 12, 31)
                AppointmentFactory(
                    post=post, person=PersonFactory(organisation=org), start=start, end=end
                )
        AppointmentFactory(post=chair, start=D(1990 + i, 1, 1), end=D(1990 + i, 12, 31))
    return authorities, chair


def pages(authorities, chair):
    org = authorities[0]
    post = org.posts.first()
    person = post.appointments.first().person
    return [
        reverse("directory:organisation-list"),
        org.get_absolute_url(),
        post.get_absolute_url(),
        chair.get_absolute_url(),
        person.get_absolute_url(),
        reverse("directory:person-list"),
        reverse("directory:post-list"),
        reverse("directory:as-at") + "?date=2003-06-01",
        reverse("directory:changes") + "?start=2000-01-01&end=2010-12-31",
    ]


@pytest.mark.parametrize("as_admin", [False, True])
def test_query_counts_do_not_grow_with_the_data(
    client, admin_user, django_assert_max_num_queries, as_admin
):
    if as_admin:
        client.force_login(admin_user)
    small = build_region(2, 2)
    budgets = []
    for url in pages(*small):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        budgets.append(len(ctx.captured_queries))

    big = build_region(12, 6)
    for url, budget in zip(pages(*big), budgets, strict=True):
        # The same bound holds on a region six times bigger with three times the history.
        with django_assert_max_num_queries(budget, info=url):
            assert client.get(url).status_code == 200
    assert max(budgets) <= 16
