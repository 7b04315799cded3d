import datetime

import pytest

from regionhub.networks.models import Group, GroupAuthority, Meeting, Seniority
from tests.factories import AppointmentFactory, PersonFactory, PostFactory

D = datetime.date
LONG_AGO = D(2020, 1, 1)


@pytest.fixture
def group(db, authority, other_authority):
    group = Group.objects.create(name="DCS Network", kind=Group.Kind.NETWORK)
    GroupAuthority.objects.create(group=group, authority=authority, expected=Seniority.DIRECTOR)
    GroupAuthority.objects.create(
        group=group, authority=other_authority, expected=Seniority.HEAD_OF_SERVICE
    )
    return group


@pytest.fixture
def meeting(group):
    return Meeting.objects.create(group=group, date=D(2024, 5, 14), place="Birmingham")


def holder(authority, category, start=LONG_AGO, end=None, name=None):
    """A person holding a post of `category` at `authority` from `start`."""
    person = PersonFactory(organisation=authority, **({"name": name} if name else {}))
    post = PostFactory(organisation=authority, category=category)
    AppointmentFactory(person=person, post=post, start=start, end=end)
    return person
