"""Background work for events: emails, reminders, expiring offers and reservations."""

import datetime

from django.db import DEFAULT_DB_ALIAS, router
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult, get_date_max

from .models import Booking, Event


def queued_row(task, *args) -> DBTaskResult | None:
    """The row `task.enqueue(*args)` would write, not yet saved, when the task's backend keeps
    its queue in a table of the default database (django_tasks_db's DatabaseBackend); else None.

    Saved inside a transaction, the task is queued exactly when the transaction commits, with
    no enqueue left to do after it. Send `enqueued(row)` once it is saved."""
    backend = task.get_backend()
    if type(backend) is not DatabaseBackend:
        return None
    if router.db_for_write(DBTaskResult) != DEFAULT_DB_ALIAS:
        return None
    backend.validate_task(task)
    # As DatabaseBackend.enqueue creates it, with the run_after its pre_save receiver fills in.
    return DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": args, "kwargs": {}}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=get_date_max() if task.run_after is None else task.run_after,
        backend_name=backend.alias,
    )


def enqueued(row: DBTaskResult) -> None:
    """Announce a row from `queued_row`, once saved, as its backend's enqueue does."""
    task_enqueued.send(DatabaseBackend, task_result=row.task_result)


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
