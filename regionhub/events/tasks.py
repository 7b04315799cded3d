"""Background work for events: emails, reminders, expiring offers and reservations."""

import datetime

from django.utils import timezone
from django_tasks import task

from .models import Booking, Event


@task()
def send_booking_email(booking_id: int, kind: str) -> bool:
    from .emails import booking_message

    booking = Booking.objects.select_related("event", "person").filter(pk=booking_id).first()
    if booking is None:
        return False
    message = booking_message(booking, kind)
    if message is None:
        return False
    message.send()
    return True


def _people_with_places(event: Event):
    return event.bookings.filter(
        status__in=[Booking.Status.CONFIRMED, Booking.Status.OFFERED], person__isnull=False
    ).values_list("pk", flat=True)


@task()
def send_event_update(event_id: int) -> int:
    event = Event.objects.get(pk=event_id)
    ids = list(_people_with_places(event))
    for pk in ids:
        send_booking_email.call(pk, "updated")
    return len(ids)


@task()
def send_reminders(within_hours: int = 48) -> int:
    """Remind everyone with a place on a published event starting in the next `within_hours`.

    Each booking is reminded once however often this runs, even by two workers at once: a
    reminder is sent only by the run whose update stamps `reminder_sent_at` first. A send that
    fails after the stamp is not retried, as a second reminder is worse than a missing one.
    """
    now = timezone.now()
    due = Booking.objects.filter(
        event__status=Event.Status.PUBLISHED,
        event__starts_at__gt=now,
        event__starts_at__lte=now + datetime.timedelta(hours=within_hours),
        status__in=[Booking.Status.CONFIRMED, Booking.Status.OFFERED],
        person__isnull=False,
        reminder_sent_at__isnull=True,
    ).order_by("pk")
    sent = 0
    for pk in list(due.values_list("pk", flat=True)):
        claimed = Booking.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        )
        if claimed:
            send_booking_email.call(pk, "reminder")
            sent += 1
    return sent


@task()
def expire_places() -> int:
    from .services import places_expire

    return places_expire()


@task()
def release_due_allocations() -> int:
    """Give the places released at each event's release moment to the people waiting."""
    from .services import allocations_release

    now = timezone.now()
    due = (
        Event.objects.published()
        .upcoming(now)
        .filter(release_at__lte=now, bookings__status=Booking.Status.WAITLISTED)
        .distinct()
    )
    for event in due:
        allocations_release(actor=None, event=event, now=now)
    return len(due)
