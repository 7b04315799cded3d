"""Booking a place, cancelling it, accepting an offer, and expiring offers and reservations."""

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import coordinated_ids, is_regional_admin, require
from regionhub.directory.models import Person

from ..availability import event_availability
from ..models import Booking, Event
from ._common import (
    BookingError,
    _date,
    _lock_all,
    _lock_event,
    _on_commit,
    booking_authority_id,
    changes_events,
)
from .places import _allocation_has_room, _cancel, _fill, _notify_promoted, _source_for


def _check_may_book_for(actor, person: Person) -> None:
    require(bool(actor and actor.is_authenticated), "Sign in to book.")
    if actor.person_id == person.pk or is_regional_admin(actor):
        return
    if getattr(actor, "is_coordinator", False):
        if person.organisation_id not in coordinated_ids(actor):
            where = person.organisation.name if person.organisation else "no authority"
            raise BookingError(
                f"{person.name} works for {where}; you can only book places for people "
                "from the authorities you coordinate",
                field="person",
                code="other_authority",
            )
        return
    raise BookingError("You can only book a place for yourself", field="person", code="not_yours")


def _check_window(event: Event, now: datetime.datetime) -> None:
    if event.status == Event.Status.CANCELLED:
        raise BookingError("This event has been cancelled", code="cancelled")
    if event.status != Event.Status.PUBLISHED:
        raise BookingError("This event is not open for booking yet", code="not_published")
    if event.starts_at and now >= event.starts_at:
        raise BookingError("This event has already started", code="started")
    if event.booking_opens and now < event.booking_opens:
        raise BookingError(f"Booking opens on {_date(event.booking_opens)}", code="not_open")
    if event.booking_closes and now >= event.booking_closes:
        raise BookingError(f"Booking closed on {_date(event.booking_closes)}", code="closed")


def _check_not_booked(event: Event, person: Person) -> None:
    existing = event.bookings.filter(person=person, status__in=Booking.ACTIVE).first()
    if existing is None:
        return
    if existing.status == Booking.Status.WAITLISTED:
        message = f"{person.name} is already on the waiting list for this event"
    else:
        message = f"{person.name} already has a place on this event"
    raise BookingError(message, field="person", code="duplicate")


def _insert(**fields) -> Booking:
    try:
        with transaction.atomic():
            return Booking.objects.create(**fields)
    except IntegrityError as error:
        person = fields.get("person")
        name = person.name if person else "This person"
        raise BookingError(
            f"{name} already has a booking for this event", field="person", code="duplicate"
        ) from error


@transaction.atomic
@changes_events
def booking_create(*, actor, event: Event, person: Person) -> Booking:
    """Book `person` a place: their authority's allocation first, then the open pool, else
    the waiting list. First come, first served."""
    _check_may_book_for(actor, person)
    now = timezone.now()
    event = Event.objects.get(pk=event.pk)
    _check_window(event, now)
    authority_id = booking_authority_id(person)
    source: str | None = None
    if event.is_released(now):
        event = _lock_all(event)
        _check_not_booked(event, person)
        promoted = _fill(event, now)
        source = _source_for(event_availability(event, now), authority_id)
    else:
        promoted = []
        if authority_id is not None and _allocation_has_room(event, authority_id):
            _check_not_booked(event, person)
            source = Booking.Source.ALLOCATION
        else:
            event = _lock_event(event)
            _check_not_booked(event, person)
            if event_availability(event, now).pool_left > 0:
                source = Booking.Source.POOL
    fields: dict[str, Any] = {
        "event": event,
        "person": person,
        "authority_id": authority_id,
        "booked_by": actor,
        "created": now,
    }
    if source is None:
        # Holding the event lock here, so positions follow the order of arrival.
        event.waitlist_counter += 1
        event.save(update_fields=["waitlist_counter"])
        booking = _insert(
            **fields, status=Booking.Status.WAITLISTED, position=event.waitlist_counter
        )
    else:
        booking = _insert(**fields, status=Booking.Status.CONFIRMED, source=source)
    audit_record(actor=actor, action="events.booking.created", obj=booking, after=snapshot(booking))
    from .. import tasks

    kind = "waitlisted" if source is None else "confirmed"
    _on_commit(tasks.send_booking_email, booking.pk, kind)
    _notify_promoted(promoted)
    return booking


def _may_cancel(actor, booking: Booking) -> bool:
    if booking.person_id is not None and actor.person_id == booking.person_id:
        return True
    return is_regional_admin(actor) or booking.authority_id in coordinated_ids(actor)


@transaction.atomic
@changes_events
def booking_cancel(*, actor, booking: Booking) -> Booking:
    """Cancel a booking or reservation; a freed place goes to the next person waiting from the
    same authority, else to the first who can use the open pool."""
    require(bool(actor and actor.is_authenticated) and _may_cancel(actor, booking))
    event = _lock_all(booking.event)
    booking = Booking.objects.get(pk=booking.pk)
    if booking.status == Booking.Status.CANCELLED:
        raise BookingError("This booking is already cancelled", code="cancelled")
    if booking.status in (Booking.Status.ATTENDED, Booking.Status.NO_SHOW):
        raise BookingError("Attendance is already recorded; this booking cannot be cancelled")
    _cancel(booking, actor=actor, action="events.booking.cancelled")
    _notify_promoted(_fill(event, timezone.now(), prefer_authority_id=booking.authority_id))
    return booking


@transaction.atomic
@changes_events
def booking_offer_accept(*, actor, booking: Booking) -> Booking:
    require(bool(actor and actor.is_authenticated) and _may_cancel(actor, booking))
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.status != Booking.Status.OFFERED:
        raise BookingError("There is no open offer on this booking")
    if booking.offer_expires and booking.offer_expires <= timezone.now():
        raise BookingError("This offer has expired")
    booking.status = Booking.Status.CONFIRMED
    booking.offer_expires = None
    booking.save(update_fields=["status", "offer_expires"])
    audit_record(actor=actor, action="events.offer.accepted", obj=booking, after=snapshot(booking))
    from .. import tasks

    _on_commit(tasks.send_booking_email, booking.pk, "confirmed")
    return booking


def places_expire(*, now: datetime.datetime | None = None) -> int:
    """Cancel reservations and offers whose time is up and pass their places on; one event per
    transaction. Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    due = Booking.objects.filter(
        status__in=[Booking.Status.RESERVED, Booking.Status.OFFERED]
    ).filter(_due(now))
    for event_id in set(due.values_list("event_id", flat=True)):
        expired += _expire_event(event_id, now)
    return expired


def _due(now: datetime.datetime) -> Q:
    return Q(status=Booking.Status.RESERVED, reserved_until__lte=now) | Q(
        status=Booking.Status.OFFERED, offer_expires__lte=now
    )


@transaction.atomic
@changes_events
def _expire_event(event_id: int, now: datetime.datetime) -> int:
    event = _lock_all(Event(pk=event_id))
    due = list(event.bookings.filter(_due(now)).order_by("pk"))
    for booking in due:
        _cancel(booking, actor=None, action=f"events.{booking.status}.expired")
    promoted: list[Booking] = []
    for booking in due:
        promoted += _fill(event, now, prefer_authority_id=booking.authority_id)
    _notify_promoted(promoted)
    return len(due)
