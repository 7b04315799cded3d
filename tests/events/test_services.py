import datetime
import decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from regionhub.core.models import AuditEntry
from regionhub.events import services
from regionhub.events.availability import event_availability
from regionhub.events.models import Booking, Event
from regionhub.events.services import BookingError, EventError
from tests.events.conftest import make_event, member_of
from tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db
S = Booking.Status


def book(user, event):
    return services.booking_create(actor=user, event=event, person=user.person)


class TestEvents:
    def test_create_with_a_series_of_sessions(self, admin_user):
        start = timezone.now() + datetime.timedelta(days=3)
        sessions = [
            (
                start + datetime.timedelta(days=7 * i),
                start + datetime.timedelta(days=7 * i, minutes=15),
            )
            for i in range(4)
        ]
        event = services.event_create(
            actor=admin_user,
            data={
                "title": "IROC bite-sized",
                "online_url": "https://meet.example/iroc",
                "capacity": 100,
                "kind": "training",
            },
            sessions=sessions,
        )
        assert event.sessions.count() == 4
        assert event.starts_at == sessions[0][0] and event.ends_at == sessions[-1][1]
        assert event.status == Event.Status.DRAFT
        assert AuditEntry.objects.filter(action="events.event.created").count() == 1

    def test_end_before_start_is_refused(self, admin_user):
        start = timezone.now() + datetime.timedelta(days=3)
        with pytest.raises(EventError, match="The end must be after the start") as error:
            services.event_create(
                actor=admin_user,
                data={"title": "X", "venue": "Y", "capacity": 5},
                sessions=[(start, start - datetime.timedelta(hours=1))],
            )
        assert error.value.field == "end"
        assert not Event.objects.exists()

    def test_venue_or_link_required(self, admin_user):
        with pytest.raises(EventError, match="venue or an online joining link"):
            make_event(admin_user, venue="")

    def test_only_admins_create_events(self, coordinator):
        with pytest.raises(PermissionDenied):
            make_event(coordinator)

    def test_capacity_below_allocations_is_refused(self, admin_user, authority, other_authority):
        event = make_event(admin_user, capacity=20)
        services.allocations_set(
            actor=admin_user, event=event, per_authority={authority.pk: 8, other_authority.pk: 8}
        )
        with pytest.raises(EventError, match="below the 16 places allocated") as error:
            services.event_update(actor=admin_user, event=event, data={"capacity": 15})
        assert error.value.field == "capacity"
        event.refresh_from_db()
        assert event.capacity == 20

    def test_changing_the_time_raises_the_sequence(self, admin_user):
        event = make_event(admin_user)
        start = event.starts_at + datetime.timedelta(days=1)
        services.event_update(
            actor=admin_user,
            event=event,
            data={},
            sessions=[(start, start + datetime.timedelta(hours=2))],
        )
        services.event_update(actor=admin_user, event=event, data={"audience": "IROs"})
        event.refresh_from_db()
        assert event.sequence == 1

    def test_cancelling_tells_everyone_booked(
        self, admin_user, authority, django_capture_on_commit_callbacks
    ):
        event = make_event(admin_user)
        users = [member_of(authority) for _ in range(2)]
        for user in users:
            book(user, event)
        with django_capture_on_commit_callbacks(execute=True):
            services.event_cancel(actor=admin_user, event=event)
        assert not event.bookings.exclude(status=S.CANCELLED).exists()
        assert len(mail.outbox) == 2
        assert all("METHOD:CANCEL" in m.alternatives[0][0] for m in mail.outbox)


class TestAllocations:
    def test_same_for_all_member_authorities(self, admin_user, authority, other_authority):
        OrganisationFactory(kind="partner", is_member=False)
        event = make_event(admin_user, capacity=30)
        result = services.allocations_set(actor=admin_user, event=event, same_for_all=5)
        assert result == {authority.pk: 5, other_authority.pk: 5}
        availability = event_availability(event)
        assert availability.pool_size == 20

    def test_allocations_above_capacity_are_refused(self, admin_user, authority, other_authority):
        event = make_event(admin_user, capacity=9)
        with pytest.raises(EventError, match="add up to 10 places, more than the 9"):
            services.allocations_set(actor=admin_user, event=event, same_for_all=5)
        assert not event.allocations.exists()

    def test_allocation_cannot_go_below_places_used(self, admin_user, authority):
        event = make_event(admin_user, capacity=10)
        services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 3})
        book(member_of(authority), event)
        book(member_of(authority), event)
        with pytest.raises(EventError, match="already uses 2 of its places"):
            services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 1})


class TestBooking:
    def test_allocation_first_then_pool_then_waiting_list(self, admin_user, authority):
        event = make_event(admin_user, capacity=3)
        services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 1})
        bookings = [book(member_of(authority), event) for _ in range(4)]
        assert [(b.status, b.source) for b in bookings] == [
            (S.CONFIRMED, "allocation"),
            (S.CONFIRMED, "pool"),
            (S.CONFIRMED, "pool"),
            (S.WAITLISTED, ""),
        ]
        assert bookings[3].position == 1

    def test_another_authoritys_allocation_is_not_used(
        self, admin_user, authority, other_authority
    ):
        event = make_event(admin_user, capacity=2)
        services.allocations_set(
            actor=admin_user, event=event, per_authority={other_authority.pk: 2}
        )
        booking = book(member_of(authority), event)
        assert booking.status == S.WAITLISTED
        assert event_availability(event).left_for(other_authority.pk) == 2

    def test_second_booking_is_refused(self, event, booker):
        book(booker, event)
        with pytest.raises(BookingError, match="already has a place on this event") as error:
            book(booker, event)
        assert error.value.field == "person"
        assert event.bookings.count() == 1

    def test_second_booking_from_the_waiting_list_is_refused(self, admin_user, booker):
        event = make_event(admin_user, capacity=0)
        book(booker, event)
        with pytest.raises(BookingError, match="already on the waiting list"):
            book(booker, event)

    def test_booking_after_the_window_is_refused(self, admin_user, booker):
        closed = timezone.now() - datetime.timedelta(days=1)
        event = make_event(
            admin_user, booking_opens=closed - datetime.timedelta(days=5), booking_closes=closed
        )
        with pytest.raises(BookingError, match="Booking closed on"):
            book(booker, event)
        assert not event.bookings.exists()

    def test_booking_before_it_opens_is_refused(self, admin_user, booker):
        event = make_event(admin_user, booking_opens=timezone.now() + datetime.timedelta(days=2))
        with pytest.raises(BookingError, match="Booking opens on"):
            book(booker, event)

    def test_draft_events_cannot_be_booked(self, admin_user, booker):
        event = make_event(admin_user, publish=False)
        with pytest.raises(BookingError, match="not open for booking"):
            book(booker, event)

    def test_coordinator_cannot_book_another_authoritys_person(
        self, event, coordinator, other_authority
    ):
        person = PersonFactory(organisation=other_authority)
        with pytest.raises(
            BookingError,
            match="you can only book places for people from the authorities you coordinate",
        ):
            services.booking_create(actor=coordinator, event=event, person=person)

    def test_member_cannot_book_someone_else(self, event, booker, authority):
        colleague = PersonFactory(organisation=authority)
        with pytest.raises(BookingError, match="only book a place for yourself"):
            services.booking_create(actor=booker, event=event, person=colleague)

    def test_coordinator_books_a_colleague(self, event, coordinator, authority):
        colleague = PersonFactory(organisation=authority)
        booking = services.booking_create(actor=coordinator, event=event, person=colleague)
        assert booking.status == S.CONFIRMED and booking.authority == authority
        assert booking.booked_by == coordinator

    def test_confirmation_email_carries_an_invite(
        self, event, booker, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            book(booker, event)
        [message] = mail.outbox
        assert message.to == [booker.person.email]
        assert "METHOD:REQUEST" in message.alternatives[0][0]


class TestCancelAndPromote:
    def test_freed_allocation_place_goes_to_the_same_authority_first(
        self, admin_user, authority, other_authority
    ):
        event = make_event(admin_user, capacity=2)
        services.allocations_set(
            actor=admin_user, event=event, per_authority={authority.pk: 1, other_authority.pk: 1}
        )
        mine, theirs = book(member_of(authority), event), book(member_of(other_authority), event)
        waiting_theirs = book(member_of(other_authority), event)
        waiting_mine = book(member_of(authority), event)
        services.booking_cancel(actor=admin_user, booking=mine)
        waiting_mine.refresh_from_db()
        waiting_theirs.refresh_from_db()
        assert waiting_mine.status == S.CONFIRMED and waiting_mine.source == "allocation"
        assert waiting_theirs.status == S.WAITLISTED
        assert theirs.status == S.CONFIRMED

    def test_freed_pool_place_goes_to_the_first_waiting(
        self, admin_user, authority, other_authority, django_capture_on_commit_callbacks
    ):
        event = make_event(admin_user, capacity=1)
        first = book(member_of(authority), event)
        waiting = [book(member_of(other_authority), event) for _ in range(2)]
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_cancel(actor=first.booked_by, booking=first)
        statuses = [Booking.objects.get(pk=b.pk).status for b in waiting]
        assert statuses == [S.CONFIRMED, S.WAITLISTED]
        subjects = sorted(m.subject for m in mail.outbox)
        assert subjects == [
            f"A place has come up for you: {event.title}",
            f"Your place is cancelled: {event.title}",
        ]

    def test_offer_expires_and_moves_on(self, admin_user, authority):
        event = make_event(admin_user, capacity=1, offer_hours=24)
        first = book(member_of(authority), event)
        second, third = book(member_of(authority), event), book(member_of(authority), event)
        services.booking_cancel(actor=admin_user, booking=first)
        second.refresh_from_db()
        assert second.status == S.OFFERED
        assert services.places_expire(now=timezone.now() + datetime.timedelta(hours=25)) == 1
        second.refresh_from_db()
        third.refresh_from_db()
        assert (second.status, third.status) == (S.CANCELLED, S.OFFERED)
        services.booking_offer_accept(actor=third.booked_by, booking=third)
        third.refresh_from_db()
        assert third.status == S.CONFIRMED

    def test_release_gives_unused_allocations_to_the_pool(
        self, admin_user, authority, other_authority
    ):
        event = make_event(admin_user, capacity=4)
        services.allocations_set(
            actor=admin_user, event=event, per_authority={authority.pk: 2, other_authority.pk: 2}
        )
        book(member_of(authority), event)
        book(member_of(authority), event)
        waiting = book(member_of(authority), event)
        assert waiting.status == S.WAITLISTED
        services.allocations_release(actor=admin_user, event=event)
        waiting.refresh_from_db()
        assert waiting.status == S.CONFIRMED and waiting.source == "pool"
        event.refresh_from_db()
        availability = event_availability(event)
        assert availability.authorities[other_authority.pk].released == 2
        assert availability.pool_left == 1

    def test_only_the_booker_or_their_coordinator_cancels(self, event, booker, other_authority):
        booking = book(booker, event)
        stranger = member_of(other_authority)
        with pytest.raises(PermissionDenied):
            services.booking_cancel(actor=stranger, booking=booking)


class TestReservations:
    def test_reserve_then_name_then_swap(self, admin_user, coordinator, authority):
        event = make_event(admin_user, capacity=5)
        services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 2})
        places = services.place_reserve(
            actor=coordinator, event=event, authority=authority, count=3
        )
        assert [p.source for p in places] == ["allocation", "allocation", "pool"]
        assert event_availability(event).taken == 3
        alice, bob = PersonFactory(organisation=authority), PersonFactory(organisation=authority)
        named = services.reservation_name(actor=coordinator, booking=places[0], person=alice)
        assert named.status == S.CONFIRMED and named.person == alice
        swapped = services.booking_swap(actor=coordinator, booking=named, person=bob)
        assert swapped.person == bob
        assert event.bookings.filter(person=alice, status=S.CANCELLED).exists()

    def test_naming_someone_from_another_authority_is_refused(
        self, admin_user, coordinator, authority, other_authority
    ):
        event = make_event(admin_user)
        [place] = services.place_reserve(
            actor=coordinator, event=event, authority=authority, count=1
        )
        with pytest.raises(BookingError, match="this place belongs to"):
            services.reservation_name(
                actor=coordinator, booking=place, person=PersonFactory(organisation=other_authority)
            )

    def test_reserving_more_than_is_left_is_refused(self, admin_user, coordinator, authority):
        event = make_event(admin_user, capacity=2)
        with pytest.raises(BookingError, match="Only 2 places left"):
            services.place_reserve(actor=coordinator, event=event, authority=authority, count=3)
        assert not event.bookings.exists()

    def test_coordinator_cannot_reserve_for_another_authority(
        self, event, coordinator, other_authority
    ):
        with pytest.raises(PermissionDenied):
            services.place_reserve(
                actor=coordinator, event=event, authority=other_authority, count=1
            )

    def test_reservation_expires(self, admin_user, coordinator, authority, booker):
        event = make_event(admin_user, capacity=1)
        until = timezone.now() + datetime.timedelta(hours=1)
        [place] = services.place_reserve(
            actor=coordinator, event=event, authority=authority, count=1, until=until
        )
        waiting = book(booker, event)
        services.places_expire(now=until + datetime.timedelta(seconds=1))
        place.refresh_from_db()
        waiting.refresh_from_db()
        assert (place.status, waiting.status) == (S.CANCELLED, S.CONFIRMED)


class TestAttendance:
    def test_mark_after_the_start(self, admin_user, coordinator, booker):
        event = make_event(admin_user, days=1)
        booking = book(booker, event)
        with pytest.raises(BookingError, match="once the event has started"):
            services.attendance_mark(actor=coordinator, booking=booking, attended=True)
        Event.objects.filter(pk=event.pk).update(
            starts_at=timezone.now() - datetime.timedelta(hours=1)
        )
        assert (
            services.attendance_mark(actor=coordinator, booking=booking, attended=False).status
            == S.NO_SHOW
        )

    def test_price_is_kept_exactly(self, admin_user):
        event = make_event(admin_user, price=decimal.Decimal("95.50"))
        event.refresh_from_db()
        assert event.price == decimal.Decimal("95.50") and not event.is_free
