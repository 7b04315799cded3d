import datetime

import pytest

from regionhub.directory import selectors
from tests.factories import AppointmentFactory, OrganisationFactory, PostFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def test_organisation_posts_summarise_each_posts_history():
    org = OrganisationFactory()
    dcs = PostFactory(organisation=org, title="Director")
    vacant = PostFactory(organisation=org, title="Head of Service")
    AppointmentFactory(post=dcs, person__name="First", start=D(2010, 1, 1), end=D(2015, 12, 31))
    AppointmentFactory(post=dcs, person__name="Second", start=D(2016, 1, 1), end=D(2023, 12, 31))
    AppointmentFactory(post=dcs, person__name="Now", start=D(2024, 1, 1), end=D(2024, 12, 31))
    AppointmentFactory(post=dcs, person__name="Next", start=D(2025, 1, 1))
    AppointmentFactory(post=vacant, person__name="Gone", start=D(2020, 1, 1), end=D(2021, 1, 1))

    summaries = {s.post.title: s for s in selectors.organisation_posts(org, on=D(2024, 6, 1))}

    director = summaries["Director"]
    assert [a.person.name for a in director.current] == ["Now"]
    assert [a.person.name for a in director.future] == ["Next"]
    assert director.last_past.person.name == "Second"
    assert director.past_count == 2
    head = summaries["Head of Service"]
    assert head.current == [] and head.last_past.person.name == "Gone" and head.past_count == 1
