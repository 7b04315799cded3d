"""Random sequences of book / reserve / cancel / release / expire never break the rules."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from regionhub.events import services
from regionhub.events.availability import event_availability
from regionhub.events.models import Booking
from tests.events.conftest import make_event
from tests.factories import OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Booking.Status


class Places(RuleBasedStateMachine):
    @initialize(
        capacity=st.integers(0, 8),
        shares=st.tuples(st.integers(0, 4), st.integers(0, 4)),
        offers=st.booleans(),
    )
    def setup(self, capacity, shares, offers):
        self.admin = UserFactory(role="regional_admin")
        self.authorities = [OrganisationFactory(), OrganisationFactory()]
        self.outsiders = OrganisationFactory(kind="partner", is_member=False)
        self.event = make_event(self.admin, capacity=capacity, offer_hours=1 if offers else 0)
        wanted = {a.pk: n for a, n in zip(self.authorities, shares, strict=True)}
        if sum(shares) > capacity:
            with pytest.raises(services.EventError, match="more than the"):
                services.allocations_set(actor=self.admin, event=self.event, per_authority=wanted)
        else:
            services.allocations_set(actor=self.admin, event=self.event, per_authority=wanted)
        self.coordinators = []
        for authority in self.authorities:
            user = UserFactory(role="coordinator", organisation=authority)
            user.coordinated_authorities.add(authority)
            self.coordinators.append(user)

    def _bookings(self, *statuses):
        return list(self.event.bookings.filter(status__in=statuses).order_by("pk"))

    @rule(which=st.integers(0, 2))
    def book(self, which):
        organisation = self.authorities[which] if which < 2 else self.outsiders
        person = PersonFactory(organisation=organisation)
        booking = services.booking_create(actor=self.admin, event=self.event, person=person)
        assert booking.status in (S.CONFIRMED, S.WAITLISTED)

    @rule(data=st.data())
    def book_again(self, data):
        active = [b for b in self._bookings(*Booking.ACTIVE) if b.person_id]
        if not active:
            return
        booking = data.draw(st.sampled_from(active))
        before = self.event.bookings.count()
        with pytest.raises(services.BookingError, match="already"):
            services.booking_create(actor=self.admin, event=self.event, person=booking.person)
        assert self.event.bookings.count() == before

    @rule(which=st.integers(0, 1), count=st.integers(1, 3), expires=st.booleans())
    def reserve(self, which, count, expires):
        until = timezone.now() + datetime.timedelta(days=1) if expires else None
        before = self.event.bookings.count()
        try:
            services.place_reserve(
                actor=self.coordinators[which],
                event=self.event,
                authority=self.authorities[which],
                count=count,
                until=until,
            )
        except services.BookingError as error:
            assert "left for" in error.message
            assert self.event.bookings.count() == before

    @rule(data=st.data())
    def cancel(self, data):
        active = self._bookings(S.CONFIRMED, S.RESERVED, S.WAITLISTED, S.OFFERED)
        if not active:
            return
        booking = data.draw(st.sampled_from(active))
        services.booking_cancel(actor=self.admin, booking=booking)

    @rule(data=st.data())
    def name(self, data):
        reserved = self._bookings(S.RESERVED)
        if not reserved:
            return
        booking = data.draw(st.sampled_from(reserved))
        which = [a.pk for a in self.authorities].index(booking.authority_id)
        person = PersonFactory(organisation=self.authorities[which])
        services.reservation_name(actor=self.coordinators[which], booking=booking, person=person)

    @rule(data=st.data())
    def accept(self, data):
        offered = self._bookings(S.OFFERED)
        if offered:
            services.booking_offer_accept(
                actor=self.admin, booking=data.draw(st.sampled_from(offered))
            )

    @rule()
    def release(self):
        services.allocations_release(actor=self.admin, event=self.event)
        self.event.refresh_from_db()

    @rule()
    def expire(self):
        now = timezone.now() + datetime.timedelta(days=2)
        services.places_expire(now=now)
        # A freed place may be offered afresh, with a new expiry.
        assert not self.event.bookings.filter(status=S.OFFERED, offer_expires__lte=now)
        assert not self.event.bookings.filter(status=S.RESERVED, reserved_until__isnull=False)

    @invariant()
    def never_overbooked(self):
        if not hasattr(self, "event"):
            return
        self.event.refresh_from_db()
        holding = self.event.bookings.filter(status__in=Booking.HOLDING).count()
        assert holding <= self.event.capacity
        availability = event_availability(self.event)
        assert availability.taken == holding
        assert availability.pool_used <= availability.pool_size
        for authority in self.authorities:
            places = availability.for_authority(authority.pk)
            if places is None:
                continue
            # Each authority within its allocation plus what it took from the pool.
            used = self.event.bookings.filter(
                status__in=Booking.HOLDING, authority=authority
            ).count()
            assert used <= places.allocated + places.used_pool
            assert places.used_allocation <= places.allocated

    @invariant()
    def waiting_list_in_order_of_arrival(self):
        if not hasattr(self, "event"):
            return
        availability = event_availability(self.event)
        waiting = list(self.event.bookings.waiting())
        positions = [b.position for b in waiting]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
        for booking in waiting:
            # Nobody waits while a place they could take is free...
            assert availability.left_for(booking.authority_id) == 0
            # ...and nobody from the same authority who came later has been given one.
            later = self.event.bookings.filter(
                authority_id=booking.authority_id,
                position__gt=booking.position,
                status__in=Booking.HOLDING,
            )
            assert not later.exists()


def test_random_sequences_keep_the_rules(db):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        Places,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
