"""An authority's places: unnamed reservations, naming them, and swapping a named person."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.directory.models import Organisation, Person

from ..availability import event_availability
from ..models import Booking, Event
from ._common import (
    BookingError,
    _authority_name,
    _lock_all,
    _on_commit,
    _require_authority_manager,
    booking_authority_id,
    changes_events,
)
from .bookings import _check_not_booked, _check_window
from .places import _fill, _notify_promoted, _source_for, _take


@transaction.atomic
@changes_events
def place_reserve(
    *,
    actor,
    event: Event,
    authority: Organisation,
    count: int,
    until: datetime.datetime | None = None,
) -> list[Booking]:
    """Hold `count` unnamed places for an authority, to be named later; all or none."""
    _require_authority_manager(actor, authority.pk)
    now = timezone.now()
    if count < 1:
        raise BookingError("Enter how many places to reserve, 1 or more", field="count")
    if until is not None and until <= now:
        raise BookingError("The reservation must last until a time in the future", field="until")
    event = _lock_all(event)
    _check_window(event, now)
    promoted = _fill(event, now)
    availability = event_availability(event, now)
    left = availability.left_for(authority.pk)
    if left < count:
        name = authority.short_name or authority.name
        raise BookingError(
            f"Only {left} place{'s' if left != 1 else ''} left for {name}; you asked for {count}",
            field="count",
            code="full",
        )
    bookings = []
    for _ in range(count):
        source = _source_for(availability, authority.pk)
        assert source is not None
        _take(availability, authority.pk, source)
        booking = Booking.objects.create(
            event=event,
            authority=authority,
            status=Booking.Status.RESERVED,
            source=source,
            booked_by=actor,
            reserved_until=until,
            created=now,
        )
        audit_record(
            actor=actor, action="events.place.reserved", obj=booking, after=snapshot(booking)
        )
        bookings.append(booking)
    _notify_promoted(promoted)
    return bookings


def _check_colleague(booking: Booking, person: Person) -> None:
    if booking_authority_id(person) != booking.authority_id:
        where = person.organisation.name if person.organisation else "no authority"
        raise BookingError(
            f"{person.name} works for {where}; this place belongs to "
            f"{_authority_name(booking.authority_id)}",
            field="person",
            code="other_authority",
        )


@transaction.atomic
@changes_events
def reservation_name(*, actor, booking: Booking, person: Person) -> Booking:
    _require_authority_manager(actor, booking.authority_id)
    booking = Booking.objects.select_for_update().select_related("event").get(pk=booking.pk)
    if booking.status != Booking.Status.RESERVED:
        raise BookingError("This place is no longer reserved", code="not_reserved")
    _check_colleague(booking, person)
    _check_not_booked(booking.event, person)
    before = snapshot(booking)
    booking.person = person
    booking.status = Booking.Status.CONFIRMED
    booking.reserved_until = None
    try:
        with transaction.atomic():
            booking.save(update_fields=["person", "status", "reserved_until"])
    except IntegrityError as error:
        raise BookingError(
            f"{person.name} already has a booking for this event", field="person"
        ) from error
    audit_record(
        actor=actor,
        action="events.place.named",
        obj=booking,
        before=before,
        after=snapshot(booking),
    )
    from .. import tasks

    _on_commit(tasks.send_booking_email, booking.pk, "confirmed")
    return booking


@transaction.atomic
@changes_events
def booking_swap(*, actor, booking: Booking, person: Person) -> Booking:
    """Give a named place to a colleague from the same authority."""
    _require_authority_manager(actor, booking.authority_id)
    booking = Booking.objects.select_for_update().select_related("event").get(pk=booking.pk)
    if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.OFFERED):
        raise BookingError("Only a confirmed place can be given to someone else")
    if booking.person_id == person.pk:
        raise BookingError(f"{person.name} already holds this place", field="person")
    _check_colleague(booking, person)
    _check_not_booked(booking.event, person)
    before = snapshot(booking)
    outgoing = booking.person_id
    if outgoing is None:
        raise BookingError("Name this place before giving it to someone else", field="person")
    # The outgoing person keeps a cancelled row of their own for their calendar and history.
    Booking.objects.create(
        event=booking.event,
        person_id=outgoing,
        authority_id=booking.authority_id,
        status=Booking.Status.CANCELLED,
        source=booking.source,
        created=booking.created,
        cancelled_at=timezone.now(),
        booked_by=booking.booked_by,
        revision=booking.revision + 1,
    )
    booking.person = person
    booking.booked_by = actor
    # The reminder, if any, went to the person who held the place before.
    booking.reminder_sent_at = None
    try:
        with transaction.atomic():
            booking.save(update_fields=["person", "booked_by", "reminder_sent_at"])
    except IntegrityError as error:
        raise BookingError(
            f"{person.name} already has a booking for this event", field="person"
        ) from error
    audit_record(
        actor=actor,
        action="events.booking.swapped",
        obj=booking,
        before=before,
        after=snapshot(booking),
    )
    from .. import tasks

    cancelled = booking.event.bookings.filter(person_id=outgoing, status="cancelled").latest("pk")
    _on_commit(tasks.send_booking_email, cancelled.pk, "cancelled")
    _on_commit(tasks.send_booking_email, booking.pk, "confirmed")
    return booking
