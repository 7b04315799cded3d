import datetime

import pytest

from regionhub.directory.models import Post
from regionhub.networks.models import Attendance, Group, GroupAuthority, Meeting, Seniority
from regionhub.networks.selectors import (
    Period,
    engagement,
    group_memory,
    period_for,
    quarter_containing,
    year_containing,
)
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, PostFactory

from .conftest import holder

D = datetime.date
TODAY = D(2025, 1, 1)


def test_periods():
    assert quarter_containing(D(2024, 5, 14)) == Period("quarter", D(2024, 4, 1), D(2024, 6, 30))
    assert quarter_containing(D(2024, 11, 2)).previous() == Period(
        "quarter", D(2024, 7, 1), D(2024, 9, 30)
    )
    assert quarter_containing(D(2024, 2, 1)).previous().end == D(2023, 12, 31)
    assert year_containing(D(2024, 3, 31)) == Period("year", D(2023, 4, 1), D(2024, 3, 31))
    assert year_containing(D(2024, 4, 1)).label == "Financial year 2024/25"
    custom = period_for("custom", TODAY, D(2024, 1, 11), D(2024, 1, 20))
    assert custom.previous() == Period("custom", D(2024, 1, 1), D(2024, 1, 10))


def _attend(meeting, authority, status, person=None):
    return Attendance.objects.create(
        meeting=meeting, authority=authority, status=status, person=person
    )


def test_engagement_counts_seniority_on_each_meeting_date(group, authority, other_authority):
    # The director left at the end of May: the June meeting's attendee is only a head of service.
    director = holder(authority, Post.Category.DIRECTOR, end=D(2024, 5, 31))
    hos_post = PostFactory(organisation=authority, category=Post.Category.HEAD_OF_SERVICE)
    AppointmentFactory(person=director, post=hos_post, start=D(2024, 6, 1))
    lead = holder(other_authority, Post.Category.LEAD)
    ad = holder(other_authority, Post.Category.ASSISTANT_DIRECTOR)
    may, june, july = (
        Meeting.objects.create(group=group, date=d)
        for d in (D(2024, 5, 1), D(2024, 6, 1), D(2024, 7, 1))
    )
    previous = Meeting.objects.create(group=group, date=D(2024, 2, 1))
    _attend(may, authority, "present", director)
    _attend(june, authority, "present", director)
    _attend(may, other_authority, "deputy", lead)
    _attend(june, other_authority, "present", ad)
    _attend(previous, other_authority, "present", ad)
    _attend(previous, authority, "apologies", director)
    Meeting.objects.create(group=group, date=D(2024, 6, 20))  # nobody recorded
    # A meeting after "today" has not been held yet.
    table = engagement(quarter_containing(D(2024, 5, 1)), today=D(2024, 6, 25))
    mine = table.cell(group.pk, authority.pk)
    assert (mine.held, mine.attended, mine.senior, mine.apologies) == (3, 2, 1, 0)
    assert (mine.previous_held, mine.previous_attended) == (1, 0)
    assert mine.trend == "up" and mine.senior_rate == 33 and mine.rag == "red"
    theirs = table.cell(group.pk, other_authority.pk)
    # The lead practitioner is below the expected head of service; the AD is above it.
    assert (theirs.held, theirs.attended, theirs.senior) == (3, 2, 1)
    assert theirs.previous_rate == 100 and theirs.trend == "down"
    assert july.date > D(2024, 6, 25)


def test_engagement_for_one_authority_and_empty_period(group, authority, other_authority):
    table = engagement(quarter_containing(D(2024, 5, 1)), today=TODAY, authority=authority)
    assert table.authorities == [authority]
    cell = table.cell(group.pk, authority.pk)
    assert cell.held == 0 and cell.attended_rate is None and cell.rag == "none" and cell.trend == ""
    assert table.cell(group.pk, other_authority.pk) is None


def _scale(n_groups: int, n_authorities: int, meetings_each: int):
    authorities = [OrganisationFactory() for _ in range(n_authorities)]
    people = [holder(a, Post.Category.DIRECTOR) for a in authorities]
    for g in range(n_groups):
        group = Group.objects.create(name=f"Scale group {n_groups}-{g}", kind="network")
        for a in authorities:
            GroupAuthority.objects.create(group=group, authority=a, expected=Seniority.DIRECTOR)
        for m in range(meetings_each):
            meeting = Meeting.objects.create(group=group, date=D(2024, 4, 1 + m))
            for a, p in zip(authorities, people, strict=True):
                _attend(meeting, a, "present", p)


@pytest.mark.parametrize("size", [1, 4])
def test_engagement_query_count_does_not_grow(db, size, django_assert_max_num_queries):
    _scale(size, size, size)
    # Memberships, authorities, groups, meetings held, attendance: five, at any size.
    with django_assert_max_num_queries(5):
        table = engagement(quarter_containing(D(2024, 4, 1)), today=TODAY)
        cells = list(table.cells.values())
    assert len(cells) == size * size
    assert all(c.attended == size and c.senior == size for c in cells)


def test_group_memory_lists_chairs_over_time_decisions_and_open_actions(admin_user, group):
    from regionhub.networks import services

    chair_post = PostFactory(title="Chair, DCS Network", category=Post.Category.NETWORK_OFFICER)
    first = AppointmentFactory(post=chair_post, start=D(2021, 12, 1), end=D(2023, 6, 30))
    second = AppointmentFactory(post=chair_post, start=D(2023, 7, 1))
    group.chair_post = chair_post
    group.save()
    later = services.meeting_create(actor=admin_user, group=group, data={"date": D(2024, 2, 1)})
    earlier = services.meeting_create(actor=admin_user, group=group, data={"date": D(2023, 2, 1)})
    services.decision_add(actor=admin_user, meeting=later, text="Second")
    services.decision_add(actor=admin_user, meeting=earlier, text="First")
    owner = PersonFactory()
    open_action = services.action_add(
        actor=admin_user, meeting=later, description="Open", owner=owner, due=D(2024, 3, 1)
    )
    done = services.action_add(
        actor=admin_user, meeting=later, description="Done", owner=owner, due=D(2024, 3, 1)
    )
    services.action_update(actor=admin_user, action=done, data={"status": "dropped"})
    memory = group_memory(group)
    assert memory.chairs == [first, second]
    assert [d.text for d in memory.decisions] == ["First", "Second"]
    assert memory.open_actions == [open_action]
