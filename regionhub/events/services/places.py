"""Giving free places to people waiting and taking places back; called by the other services
while they hold every lock of the event."""

import datetime
from collections.abc import Iterable

from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot

from ..availability import Availability, event_availability
from ..models import Booking, Event
from ._common import _on_commit


def _source_for(availability: Availability, authority_id: int | None) -> str | None:
    places = availability.for_authority(authority_id)
    if places is not None and places.allocation_left > 0:
        return Booking.Source.ALLOCATION
    if availability.pool_left > 0:
        return Booking.Source.POOL
    return None


def _take(availability: Availability, authority_id: int | None, source: str) -> None:
    """Keep an in-memory availability in step with a place just given."""
    places = availability.for_authority(authority_id)
    if source == Booking.Source.POOL:
        availability.pool_used += 1
        if places:
            places.used_pool += 1
    elif places:
        places.used_allocation += 1


def _cancel(booking: Booking, *, actor, action: str) -> None:
    """Call holding every lock of the event."""
    before = snapshot(booking)
    had_place = booking.holds_place
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.revision += 1
    booking.save(update_fields=["status", "cancelled_at", "revision"])
    audit_record(actor=actor, action=action, obj=booking, before=before, after=snapshot(booking))
    if booking.person_id is not None:
        from .. import tasks

        kind = "cancelled" if had_place else "left_waitlist"
        _on_commit(tasks.send_booking_email, booking.pk, kind)


def _fill(
    event: Event, now: datetime.datetime, prefer_authority_id: int | None = None
) -> list[Booking]:
    """Give free places to people waiting: the preferred authority's first, each authority in
    order of arrival. Call holding every lock of the event. Returns the promoted bookings."""
    waiting = list(event.bookings.waiting())
    if not waiting:
        return []
    availability = event_availability(event, now)
    if prefer_authority_id is not None:
        waiting.sort(key=lambda b: b.authority_id != prefer_authority_id)
    promoted = []
    for booking in waiting:
        source = _source_for(availability, booking.authority_id)
        if source is None:
            continue
        _take(availability, booking.authority_id, source)
        before = snapshot(booking)
        booking.source = source
        if event.offer_hours:
            booking.status = Booking.Status.OFFERED
            booking.offer_expires = now + datetime.timedelta(hours=event.offer_hours)
        else:
            booking.status = Booking.Status.CONFIRMED
        booking.save(update_fields=["source", "status", "offer_expires"])
        audit_record(
            actor=None,
            action="events.booking.promoted",
            obj=booking,
            before=before,
            after=snapshot(booking),
        )
        promoted.append(booking)
    return promoted


def _notify_promoted(promoted: Iterable[Booking]) -> None:
    from .. import tasks

    for booking in promoted:
        kind = "offered" if booking.status == Booking.Status.OFFERED else "promoted"
        _on_commit(tasks.send_booking_email, booking.pk, kind)
