"""Creating, changing, publishing and cancelling events, and sharing their places out."""

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.directory.models import Organisation

from ..availability import event_availability
from ..models import Allocation, Booking, Event, EventSession
from ._common import (
    EventError,
    _authority_name,
    _lock_all,
    _lock_event,
    _on_commit,
    _require_admin,
    changes_events,
)
from .places import _fill, _notify_promoted

EVENT_FIELDS = [
    "kind",
    "title",
    "description",
    "venue",
    "online_url",
    "audience",
    "capacity",
    "price",
    "booking_opens",
    "booking_closes",
    "release_at",
    "offer_hours",
    "host",
    "partners",
]


# A change to any of these makes calendars update the invite.
CALENDAR_FIELDS = {"title", "description", "venue", "online_url"}


Session = (
    tuple[datetime.datetime, datetime.datetime] | tuple[datetime.datetime, datetime.datetime, str]
)


def _check_event(event: Event, sessions: list[Session] | None) -> None:
    if not event.title.strip():
        raise EventError("Enter the event's title", field="title")
    if not event.venue.strip() and not event.online_url:
        raise EventError("Give a venue or an online joining link", field="venue")
    if event.price is not None and event.price < 0:
        raise EventError("The price cannot be negative; enter 0 for a free event", field="price")
    if event.booking_opens and event.booking_closes and event.booking_closes <= event.booking_opens:
        raise EventError("Booking must close after it opens", field="booking_closes")
    if sessions is not None:
        if not sessions:
            raise EventError("Add at least one date and time", field="start")
        for session in sessions:
            start, end = session[0], session[1]
            if end <= start:
                raise EventError("The end must be after the start", field="end")


def _save_sessions(event: Event, sessions: list[Session]) -> None:
    event.sessions.all().delete()
    EventSession.objects.bulk_create(
        EventSession(
            event=event,
            start=s[0],
            end=s[1],
            title=s[2] if len(s) > 2 else "",  # type: ignore[misc]
        )
        for s in sessions
    )
    event.starts_at = min(s[0] for s in sessions)
    event.ends_at = max(s[1] for s in sessions)
    event.save(update_fields=["starts_at", "ends_at"])


@transaction.atomic
@changes_events
def event_create(*, actor, data: dict[str, Any], sessions: list[Session]) -> Event:
    _require_admin(actor)
    event = Event()
    for name in EVENT_FIELDS:
        if name in data:
            setattr(event, name, data[name])
    _check_event(event, sessions)
    event.save()
    _save_sessions(event, sessions)
    audit_record(actor=actor, action="events.event.created", obj=event, after=snapshot(event))
    return event


@transaction.atomic
@changes_events
def event_update(
    *, actor, event: Event, data: dict[str, Any], sessions: list[Session] | None = None
) -> Event:
    _require_admin(actor)
    event = _lock_all(event)
    before = snapshot(event)
    old_sessions = list(event.sessions.values_list("start", "end"))
    for name in EVENT_FIELDS:
        if name in data:
            setattr(event, name, data[name])
    _check_event(event, sessions)
    availability = event_availability(event)
    allocated = sum(a.allocated for a in availability.authorities.values())
    if event.capacity < allocated:
        raise EventError(
            f"The capacity cannot be below the {allocated} places allocated to authorities; "
            "lower the allocations first",
            field="capacity",
        )
    if event.capacity < availability.taken:
        raise EventError(
            f"The capacity cannot be below the {availability.taken} places already taken",
            field="capacity",
        )
    changed_times = sessions is not None and [tuple(s[:2]) for s in sessions] != old_sessions
    changed = changed_times or any(before[f] != snapshot(event)[f] for f in CALENDAR_FIELDS)
    if changed:
        event.sequence += 1
    event.save()
    if sessions is not None:
        _save_sessions(event, sessions)
    audit_record(
        actor=actor,
        action="events.event.updated",
        obj=event,
        before=before,
        after=snapshot(event),
    )
    # More places may now be free for people waiting.
    promoted = _fill(event, timezone.now())
    from .. import tasks

    if changed and event.status == Event.Status.PUBLISHED:
        _on_commit(tasks.send_event_update, event.pk)
    _notify_promoted(promoted)
    return event


@transaction.atomic
@changes_events
def event_publish(*, actor, event: Event) -> Event:
    _require_admin(actor)
    event = _lock_event(event)
    if event.status != Event.Status.DRAFT:
        raise EventError("Only a draft event can be published", field=None)
    if not event.sessions.exists():
        raise EventError("Add at least one date before publishing", field=None)
    event.status = Event.Status.PUBLISHED
    event.save(update_fields=["status"])
    audit_record(
        actor=actor, action="events.event.published", obj=event, after={"status": event.status}
    )
    return event


@transaction.atomic
@changes_events
def event_cancel(*, actor, event: Event) -> Event:
    """Cancel the event and every booking on it; everyone booked is told, with a CANCEL invite."""
    _require_admin(actor)
    event = _lock_all(event)
    if event.status == Event.Status.CANCELLED:
        raise EventError("This event is already cancelled")
    event.status = Event.Status.CANCELLED
    event.sequence += 1
    event.save(update_fields=["status", "sequence"])
    now = timezone.now()
    told = list(
        event.bookings.filter(status__in=Booking.ACTIVE, person__isnull=False).values_list(
            "pk", flat=True
        )
    )
    event.bookings.filter(status__in=Booking.ACTIVE).update(
        status=Booking.Status.CANCELLED, cancelled_at=now
    )
    audit_record(
        actor=actor,
        action="events.event.cancelled",
        obj=event,
        after={"status": event.status, "bookings_cancelled": len(told)},
    )
    from .. import tasks

    for pk in told:
        _on_commit(tasks.send_booking_email, pk, "event_cancelled")
    return event


def member_authorities():
    return Organisation.objects.filter(
        is_member=True, kind__in=[Organisation.Kind.COUNCIL, Organisation.Kind.TRUST]
    ).order_by("name")


@transaction.atomic
@changes_events
def allocations_set(
    *,
    actor,
    event: Event,
    same_for_all: int | None = None,
    per_authority: dict[int, int] | None = None,
) -> dict[int, int]:
    """Set each member authority's places: the same number for all, then any per-authority
    overrides (authority id → places; 0 removes the allocation). Returns the new map."""
    _require_admin(actor)
    event = _lock_all(event)
    current = dict(event.allocations.values_list("authority_id", "places"))
    wanted = dict(current)
    if same_for_all is not None:
        if same_for_all < 0:
            raise EventError("Enter 0 or more places", field="same_for_all")
        wanted = dict.fromkeys(member_authorities().values_list("pk", flat=True), same_for_all)
    for authority_id, places in (per_authority or {}).items():
        if places is None or places < 0:
            raise EventError("Enter 0 or more places", field=f"authority_{authority_id}")
        wanted[authority_id] = places
    wanted = {pk: n for pk, n in wanted.items() if n > 0}
    now = timezone.now()
    availability = event_availability(event, now)
    for authority_id, in_use in availability.authorities.items():
        if wanted.get(authority_id, 0) < in_use.used_allocation:
            raise EventError(
                f"{_authority_name(authority_id)} already uses {in_use.used_allocation} of its "
                f"places, so its allocation cannot go below {in_use.used_allocation}",
                field=f"authority_{authority_id}",
            )
    total = sum(wanted.values())
    room = event.capacity - availability.pool_used
    if total > room:
        taken = (
            f", less the {availability.pool_used} already taken from the open pool"
            if availability.pool_used
            else ""
        )
        raise EventError(
            f"The allocations add up to {total} places, more than the {room} the event can "
            f"give (capacity {event.capacity}{taken}). Raise the capacity or give fewer places",
            field="same_for_all" if same_for_all is not None else None,
            code="over_capacity",
        )
    for authority_id in set(current) - set(wanted):
        event.allocations.filter(authority_id=authority_id).delete()
    for authority_id, places in wanted.items():
        if current.get(authority_id) != places:
            Allocation.objects.update_or_create(
                event=event, authority_id=authority_id, defaults={"places": places}
            )
    audit_record(
        actor=actor,
        action="events.allocations.set",
        obj=event,
        before={str(k): v for k, v in current.items()},
        after={str(k): v for k, v in wanted.items()},
    )
    _notify_promoted(_fill(event, now))
    return wanted


@transaction.atomic
@changes_events
def allocations_release(*, actor, event: Event, now: datetime.datetime | None = None) -> Event:
    """Release unused allocations to the pool now (or confirm a release whose time has come)
    and give the places to the people waiting. `actor` None: the scheduled task."""
    if actor is not None:
        _require_admin(actor)
    now = now or timezone.now()
    event = _lock_all(event)
    if event.release_at is None or event.release_at > now:
        event.release_at = now
        event.save(update_fields=["release_at"])
    audit_record(
        actor=actor, action="events.allocations.released", obj=event, after={"at": now.isoformat()}
    )
    _notify_promoted(_fill(event, now))
    return event
