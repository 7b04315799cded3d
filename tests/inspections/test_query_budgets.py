"""Inspection pages make the same number of queries however many inspections there are."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.inspections import services
from tests.factories import OrganisationFactory

from .helpers import ALL_GOOD_2018, ALL_GOOD_2023, RI, D, record

pytestmark = pytest.mark.django_db


def build(admin, n_authorities: int, years: int):
    services.ambition_set(actor=admin, count=max(1, n_authorities - 1))
    authorities = []
    for i in range(n_authorities):
        authority = OrganisationFactory(kind="council", is_member=True)
        authorities.append(authority)
        for y in range(years):
            start = D(2014 + 3 * y, 1 + i % 12, 3)
            judgements = ALL_GOOD_2023 if start.year >= 2023 else ALL_GOOD_2018
            if y % 2:
                judgements = {**judgements, "overall": RI}
            record(
                admin,
                authority,
                start=start,
                published=start + datetime.timedelta(days=60),
                judgements=judgements,
            )
    return authorities


def pages(authorities):
    return [
        reverse("inspections:ambition"),
        reverse("inspections:ambition") + "?date=2019-06-30",
        reverse("inspections:authority", args=[authorities[0].pk]),
        reverse("inspections:published") + "?start=2000-01-01&end=2030-12-31",
    ]


def counts(client, authorities):
    result = []
    for url in pages(authorities):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        result.append(len(ctx))
    return result


def test_query_counts_do_not_grow_with_the_data(client, admin_user, django_assert_max_num_queries):
    client.force_login(admin_user)
    small = counts(client, build(admin_user, 2, 1))
    large_authorities = build(admin_user, 8, 5)
    large = counts(client, large_authorities)
    assert large == small
    for url in pages(large_authorities):
        with django_assert_max_num_queries(15):
            client.get(url)
