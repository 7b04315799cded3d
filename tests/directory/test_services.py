import datetime

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given, settings
from hypothesis import strategies as st

from regionhub.core.models import AuditEntry
from regionhub.directory import services
from regionhub.directory.models import Appointment, Post
from tests.factories import AppointmentFactory, PersonFactory, PostFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def appoint(actor, post, person, start, end=None, **extra):
    return services.appointment_create(
        actor=actor, post=post, person=person, data={"start": start, "end": end, **extra}
    )


class TestAppointments:
    def test_records_an_appointment_with_an_audit_row(self, admin_user, authority):
        post = PostFactory(organisation=authority)
        person = PersonFactory(organisation=authority)
        appointment = appoint(admin_user, post, person, D(2023, 6, 1), basis="interim")
        assert appointment.basis == "interim"
        entry = AuditEntry.objects.for_object(appointment).get()
        assert entry.action == "directory.appointment.created"
        assert entry.actor == admin_user
        assert entry.after["start"] == "2023-06-01"

    def test_end_before_start_is_refused(self, admin_user, authority):
        post = PostFactory(organisation=authority)
        with pytest.raises(services.DirectoryError) as error:
            appoint(admin_user, post, PersonFactory(), D(2023, 6, 1), D(2023, 5, 1))
        assert error.value.field == "end"
        assert not Appointment.objects.exists()

    def test_overlapping_holders_beyond_the_maximum_are_refused(self, admin_user, authority):
        post = PostFactory(organisation=authority, max_holders=1)
        appoint(admin_user, post, PersonFactory(name="First Holder"), D(2020, 1, 1))
        with pytest.raises(services.DirectoryError) as error:
            appoint(admin_user, post, PersonFactory(), D(2023, 1, 1))
        assert "First Holder" in error.value.message
        assert post.appointments.count() == 1

    def test_successive_holders_do_not_overlap(self, admin_user, authority):
        post = PostFactory(organisation=authority)
        appoint(admin_user, post, PersonFactory(), D(2020, 1, 1), D(2022, 12, 31))
        appoint(admin_user, post, PersonFactory(), D(2023, 1, 1))
        assert post.appointments.count() == 2

    def test_a_post_for_two_allows_two_but_not_three(self, admin_user, authority):
        post = PostFactory(organisation=authority, max_holders=2)
        appoint(admin_user, post, PersonFactory(), D(2023, 6, 1))
        appoint(admin_user, post, PersonFactory(), D(2023, 7, 1), D(2024, 1, 31))
        with pytest.raises(services.DirectoryError):
            appoint(admin_user, post, PersonFactory(), D(2023, 12, 1), D(2023, 12, 31))
        # After the second holder left, there is room again.
        appoint(admin_user, post, PersonFactory(), D(2024, 2, 1))
        assert post.appointments.count() == 3

    def test_the_same_person_cannot_hold_the_post_twice_at_once(self, admin_user, authority):
        post = PostFactory(organisation=authority, max_holders=3)
        person = PersonFactory()
        appoint(admin_user, post, person, D(2023, 1, 1))
        with pytest.raises(services.DirectoryError):
            appoint(admin_user, post, person, D(2023, 6, 1))

    def test_ending_an_appointment(self, admin_user, authority):
        appointment = AppointmentFactory(post__organisation=authority, start=D(2020, 1, 1))
        services.appointment_end(actor=admin_user, appointment=appointment, end=D(2023, 7, 31))
        appointment.refresh_from_db()
        assert appointment.end == D(2023, 7, 31)
        assert AuditEntry.objects.for_object(appointment).get().action == (
            "directory.appointment.ended"
        )

    def test_ending_before_the_start_is_refused(self, admin_user, authority):
        appointment = AppointmentFactory(post__organisation=authority, start=D(2020, 1, 1))
        with pytest.raises(services.DirectoryError):
            services.appointment_end(actor=admin_user, appointment=appointment, end=D(2019, 1, 1))
        appointment.refresh_from_db()
        assert appointment.end is None


class TestHandover:
    def test_hands_over_in_one_step(self, admin_user, authority):
        post = PostFactory(organisation=authority)
        outgoing = AppointmentFactory(post=post, start=D(2019, 1, 1))
        services.handover_note_add(actor=admin_user, post=post, title="Budget", body="See the plan")
        incoming = PersonFactory(organisation=authority)
        new = services.post_handover(
            actor=admin_user, post=post, incoming=incoming, on=D(2024, 7, 1)
        )
        outgoing.refresh_from_db()
        assert outgoing.end == D(2024, 6, 30)
        assert new.person == incoming and new.start == D(2024, 7, 1) and new.end is None
        assert post.appointments.on(D(2024, 6, 30)).get().person == outgoing.person
        assert post.appointments.on(D(2024, 7, 1)).get().person == incoming
        assert post.handover_notes.count() == 1
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        assert {"directory.appointment.ended", "directory.post.handed_over"} <= actions

    def test_handover_needs_a_holder(self, admin_user, authority):
        post = PostFactory(organisation=authority)
        with pytest.raises(services.DirectoryError):
            services.post_handover(
                actor=admin_user, post=post, incoming=PersonFactory(), on=D(2024, 7, 1)
            )

    def test_handover_before_the_outgoing_started_is_refused(self, admin_user, authority):
        post = PostFactory(organisation=authority)
        outgoing = AppointmentFactory(post=post, start=D(2024, 7, 1))
        with pytest.raises(services.DirectoryError):
            services.post_handover(
                actor=admin_user,
                post=post,
                incoming=PersonFactory(),
                on=D(2024, 7, 1),
                outgoing=outgoing,
            )
        outgoing.refresh_from_db()
        assert outgoing.end is None

    def test_a_refused_handover_changes_nothing(self, admin_user, authority):
        post = PostFactory(organisation=authority)
        outgoing = AppointmentFactory(post=post, start=D(2019, 1, 1))
        # The incoming person already holds the post: nothing may be half-done.
        with pytest.raises(services.DirectoryError):
            services.post_handover(
                actor=admin_user, post=post, incoming=outgoing.person, on=D(2024, 7, 1)
            )
        outgoing.refresh_from_db()
        assert outgoing.end is None
        assert post.appointments.count() == 1


class TestPermissions:
    def test_a_coordinator_manages_only_their_authority(
        self, coordinator, authority, other_authority
    ):
        own = PostFactory(organisation=authority)
        theirs = PostFactory(organisation=other_authority)
        appoint(coordinator, own, PersonFactory(organisation=authority), D(2024, 1, 1))
        with pytest.raises(PermissionDenied):
            appoint(coordinator, theirs, PersonFactory(), D(2024, 1, 1))
        with pytest.raises(PermissionDenied):
            services.post_update(actor=coordinator, post=theirs, data={"title": "Renamed"})
        with pytest.raises(PermissionDenied):
            services.person_create(
                actor=coordinator, data={"name": "X Y", "organisation": other_authority}
            )
        with pytest.raises(PermissionDenied):
            services.organisation_update(
                actor=coordinator, organisation=other_authority, data={"notes": "x"}
            )
        theirs.refresh_from_db()
        assert theirs.title != "Renamed"

    def test_a_coordinator_cannot_move_a_record_out_of_reach(
        self, coordinator, authority, other_authority
    ):
        post = PostFactory(organisation=authority)
        with pytest.raises(PermissionDenied):
            services.post_update(
                actor=coordinator, post=post, data={"organisation": other_authority}
            )

    def test_members_change_nothing(self, member, authority):
        with pytest.raises(PermissionDenied):
            services.post_create(actor=member, data={"title": "New", "organisation": authority})
        with pytest.raises(PermissionDenied):
            services.organisation_create(actor=member, data={"name": "New org", "kind": "partner"})

    def test_only_admins_create_organisations(self, coordinator, admin_user):
        with pytest.raises(PermissionDenied):
            services.organisation_create(actor=coordinator, data={"name": "N", "kind": "partner"})
        organisation = services.organisation_create(
            actor=admin_user, data={"name": "NDTi", "kind": "partner"}
        )
        assert AuditEntry.objects.for_object(organisation).get().action == (
            "directory.organisation.created"
        )


class TestPeople:
    def test_warns_on_same_name_in_the_same_organisation(self, admin_user, authority):
        PersonFactory(name="Karen Graham", organisation=authority, email="")
        with pytest.raises(services.PossibleDuplicate) as error:
            services.person_create(
                actor=admin_user, data={"name": " karen graham ", "organisation": authority}
            )
        assert [p.name for p in error.value.matches] == ["Karen Graham"]
        person = services.person_create(
            actor=admin_user,
            data={"name": "Karen Graham", "organisation": authority},
            allow_duplicate=True,
        )
        assert person.pk

    def test_warns_on_the_same_email_anywhere(self, admin_user, authority, other_authority):
        PersonFactory(email="kg@dudley.gov.uk", organisation=other_authority)
        with pytest.raises(services.PossibleDuplicate):
            services.person_create(
                actor=admin_user,
                data={"name": "K Graham", "email": "KG@Dudley.gov.uk", "organisation": authority},
            )

    def test_editing_a_person_is_audited_with_before_and_after(self, admin_user, authority):
        person = PersonFactory(organisation=authority, phone="")
        services.person_update(actor=admin_user, person=person, data={"phone": "01384 000000"})
        entry = AuditEntry.objects.for_object(person).get()
        assert entry.action == "directory.person.updated"
        assert ("phone", "", "01384 000000") in entry.changed_fields()


class TestPosts:
    def test_cannot_lower_max_holders_below_history(self, admin_user, authority):
        post = PostFactory(organisation=authority, max_holders=2)
        appoint(admin_user, post, PersonFactory(), D(2023, 1, 1))
        appoint(admin_user, post, PersonFactory(), D(2023, 2, 1))
        with pytest.raises(services.DirectoryError) as error:
            services.post_update(actor=admin_user, post=post, data={"max_holders": 1})
        assert error.value.field == "max_holders"

    def test_duplicate_title_in_one_organisation_is_refused(self, admin_user, authority):
        PostFactory(organisation=authority, title="Director of Children's Services")
        with pytest.raises(services.DirectoryError) as error:
            services.post_create(
                actor=admin_user,
                data={
                    "title": "director of children's services",
                    "organisation": authority,
                    "category": Post.Category.DIRECTOR,
                },
            )
        assert error.value.field == "title"


intervals = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 30)).map(
        lambda t: (D(2020, 1, 1) + datetime.timedelta(days=t[0]), t[1])
    ),
    max_size=8,
)


@given(intervals)
@settings(max_examples=200, deadline=None)
def test_max_concurrent_matches_a_day_by_day_count(raw):
    spans = [(s, s + datetime.timedelta(days=length)) for s, length in raw]
    window_start, window_end = D(2020, 1, 10), D(2020, 2, 20)
    expected = 0
    day = window_start
    while day <= window_end:
        expected = max(expected, sum(1 for s, e in spans if s <= day <= e))
        day += datetime.timedelta(days=1)
    assert services._max_concurrent(spans, window_start, window_end) == expected
