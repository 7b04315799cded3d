"""Recording who came."""

from django.db import transaction
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot

from ..models import Booking, Event
from ._common import BookingError, _require_authority_manager, changes_events


@transaction.atomic
@changes_events
def attendance_mark(*, actor, booking: Booking, attended: bool) -> Booking:
    _require_authority_manager(actor, booking.authority_id)
    booking = Booking.objects.select_for_update().select_related("event").get(pk=booking.pk)
    if booking.event.starts_at and booking.event.starts_at > timezone.now():
        raise BookingError("Attendance can be recorded once the event has started")
    allowed = (Booking.Status.CONFIRMED, Booking.Status.ATTENDED, Booking.Status.NO_SHOW)
    if booking.status not in allowed or booking.person_id is None:
        raise BookingError("Only a named, confirmed place can be marked as attended or not")
    before = snapshot(booking)
    booking.status = Booking.Status.ATTENDED if attended else Booking.Status.NO_SHOW
    booking.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="events.attendance.marked",
        obj=booking,
        before=before,
        after=snapshot(booking),
    )
    return booking


@transaction.atomic
@changes_events
def attendance_record(*, actor, event: Event, marks: dict[int, bool]) -> int:
    """Mark several bookings of one event at once (booking id → attended); all or none.
    Returns how many changed."""
    bookings = {b.pk: b for b in event.bookings.filter(pk__in=list(marks))}
    if len(bookings) != len(marks):
        raise BookingError("Some of these bookings are not for this event")
    wanted = {True: Booking.Status.ATTENDED, False: Booking.Status.NO_SHOW}
    changed = 0
    for pk, attended in marks.items():
        if bookings[pk].status != wanted[attended]:
            attendance_mark(actor=actor, booking=bookings[pk], attended=attended)
            changed += 1
    return changed
