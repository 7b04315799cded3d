"""Booking a place, cancelling it, accepting an offer, and expiring offers and reservations."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Func, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.models import AuditEntry
from regionhub.core.pagecache import data_changed
from regionhub.core.permissions import coordinated_ids, is_regional_admin, require
from regionhub.core.prepared import (
    Following,
    Prepared,
    PreparedInsert,
    PreparedUpdate,
    lock_then_read,
)
from regionhub.directory.models import Person

from ..availability import event_availability
from ..models import Allocation, Booking, Event
from . import decided
from ._common import (
    BookingError,
    _date,
    _lock_all,
    _on_commit,
    booking_authority_id,
    changes_events,
)
from .places import _cancel, _fill, _notify_promoted, _source_for


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
    if existing is not None:
        _refuse_duplicate(person, existing.status)


class _ReleasedMeanwhile(Exception):
    """The event's release moment has passed since the caller looked: book under every lock."""


def _count() -> Func:
    return Func(F("pk"), function="COUNT", output_field=IntegerField())


def _state_queryset(event_id: int, person_id: int, *, authority_id: int | None, pool: bool):
    bookings = Booking.objects.filter(event_id=OuterRef("pk")).order_by()
    holding = bookings.filter(status__in=Booking.HOLDING)
    annotations: dict[str, Any] = {
        "existing": Subquery(
            bookings.filter(person_id=person_id, status__in=Booking.ACTIVE).values("status")[:1]
        )
    }
    if authority_id is not None:
        annotations["used"] = Subquery(
            holding.filter(authority_id=authority_id, source=Booking.Source.ALLOCATION)
            .annotate(n=_count())
            .values("n")
        )
    if pool:
        annotations["allocated"] = Coalesce(
            Subquery(
                Allocation.objects.filter(event_id=OuterRef("pk"))
                .order_by()
                .annotate(n=Func(F("places"), function="SUM", output_field=IntegerField()))
                .values("n")
            ),
            0,
        )
        annotations["pool_used"] = Subquery(
            holding.filter(source=Booking.Source.POOL).annotate(n=_count()).values("n")
        )
    return Event.objects.filter(pk=event_id).order_by().values("id", *_STATE_FIELDS, **annotations)


# The statements a booking runs while holding a lock, compiled once per connection: see
# `..prepared`. The locks take FOR NO KEY UPDATE, as `_common` explains.
_LOCK_ALLOCATION = Prepared(
    lambda event_id, authority_id: (
        Allocation.objects.select_for_update(no_key=True)
        .filter(event_id=event_id, authority_id=authority_id)
        .order_by()
        .values("places")
    ),
    "event_id",
    "authority_id",
)
_LOCK_EVENT = Prepared(
    lambda event_id: (
        Event.objects.select_for_update(no_key=True).filter(pk=event_id).order_by().values("pk")
    ),
    "event_id",
)
_ALLOCATION_STATE = Prepared(
    lambda event_id, person_id, authority_id: _state_queryset(
        event_id, person_id, authority_id=authority_id, pool=False
    ),
    "event_id",
    "person_id",
    "authority_id",
)
_POOL_STATE = Prepared(
    lambda event_id, person_id: _state_queryset(event_id, person_id, authority_id=None, pool=True),
    "event_id",
    "person_id",
)


@dataclass
class _State:
    event: Event  # the fields a booking decision reads, as committed
    existing: str | None  # the status of the person's active booking
    used: int  # places the authority has used from its allocation
    allocated: int  # every allocation's places
    pool_used: int

    @property
    def pool_left(self) -> int:
        return self.event.capacity - self.allocated - self.pool_used


def _event_state(rows: list[dict[str, Any]]) -> _State:
    """What a booking decision needs, from the row `_ALLOCATION_STATE` or `_POOL_STATE` read
    once the lock was granted (see `prepared.lock_then_read`)."""
    if not rows:
        raise BookingError("This event no longer exists", code="missing")
    row = rows[0]
    return _State(
        event=Event(pk=row["id"], **{name: row[name] for name in _STATE_FIELDS}),
        existing=row["existing"],
        used=row.get("used") or 0,
        allocated=row.get("allocated") or 0,
        pool_used=row.get("pool_used") or 0,
    )


_STATE_FIELDS = (
    "status",
    "starts_at",
    "booking_opens",
    "booking_closes",
    "release_at",
    "capacity",
    "waitlist_counter",
)


def _check_state(state: _State, person: Person) -> datetime.datetime:
    """Refuse a booking the committed event does not allow; the time to book it at. Read the
    clock only now, holding the lock, so that no booking made before the release moment can
    commit after one made under the release's rules."""
    now = timezone.now()
    _check_window(state.event, now)
    if state.event.is_released(now):
        raise _ReleasedMeanwhile
    if state.existing:
        _refuse_duplicate(person, state.existing)
    return now


def _refuse_duplicate(person: Person, status: str) -> None:
    if status == Booking.Status.WAITLISTED:
        message = f"{person.name} is already on the waiting list for this event"
    else:
        message = f"{person.name} already has a place on this event"
    raise BookingError(message, field="person", code="duplicate")


def booking_create(*, actor, event: Event, person: Person) -> Booking:
    """Book `person` a place: their authority's allocation first, then the open pool, else
    the waiting list. First come, first served.

    Before the release moment, a place from the allocation is taken holding only that
    allocation's lock, a place from the pool or the waiting list holding the event's; the event
    is read again once the lock is held, so a change that committed while waiting for it counts.
    From the release moment on, unused allocations join the pool, so every lock is taken."""
    _check_may_book_for(actor, person)
    authority_id = booking_authority_id(person)
    try:
        if not event.is_released():
            if decided.available():
                booking = _book_decided(
                    actor=actor, event=event, person=person, authority_id=authority_id
                )
                if booking is not None:
                    return booking
            else:
                try:
                    return _book_before_release(
                        actor=actor, event=event, person=person, authority_id=authority_id
                    )
                except _ReleasedMeanwhile:
                    pass
        return _book_after_release(
            actor=actor, event=event, person=person, authority_id=authority_id
        )
    except IntegrityError as error:
        # The database's guard against a double submission, should the checks above ever miss
        # one; the transaction is rolled back whole.
        raise BookingError(
            f"{person.name} already has a booking for this event", field="person", code="duplicate"
        ) from error


def _book_decided(*, actor, event: Event, person: Person, authority_id: int | None):
    """`_book_before_release` with the decision taken by the database, in one round trip
    (see `decided`); None once the release moment has passed."""
    from .. import tasks

    email = tasks.queued_row(tasks.send_booking_email, 0, "confirmed")
    result = decided.book(
        actor=actor, event=event, person=person, authority_id=authority_id, task=email
    )
    if not result.found:
        raise BookingError("This event no longer exists", code="missing")
    booking = result.booking
    if booking is None:
        now = result.state.pop("now")
        committed = Event(pk=event.pk, **result.state)
        _check_window(committed, now)
        if committed.is_released(now):
            return None
        if result.existing:
            _refuse_duplicate(person, result.existing)
        raise AssertionError(f"The database booked nothing for no known reason: {result}")
    _decided_booked(booking, email)
    return booking


def booking_create_colleague(
    *, actor, event_id: int, person_id: int, authority_id: int
) -> "decided.Colleague | None":
    """What `booking_create` would do for the person `person_id` of the authority
    `authority_id`, in one round trip and without reading the event or the person first, where
    the database decides bookings (`decided.book_colleague`): the booking and the person's name.

    None, with nothing stored, wherever it does not apply: another database, an actor who may
    not manage the authority's places, no such event or person, the person elsewhere, or a
    booking the rules refuse or that comes after the release. The caller then reads the event
    and the person and calls `booking_create`, which says what is wrong or books."""
    if not (is_regional_admin(actor) or authority_id in coordinated_ids(actor)):
        return None
    if not decided.available():
        return None
    from .. import tasks

    email = tasks.queued_row(tasks.send_booking_email, 0, "confirmed")
    booked = decided.book_colleague(
        actor=actor, event_id=event_id, person_id=person_id, authority_id=authority_id, task=email
    )
    if booked is not None:
        _decided_booked(booked.booking, email)
    return booked


def _decided_booked(booking: Booking, email) -> None:
    """What follows a booking the database made: the cached event lists go stale, and its
    email, queued with it when `email` (its task row) is given, is announced or queued."""
    from .. import tasks

    data_changed("events")
    if email is not None:
        tasks.enqueued(email)
    else:
        _on_commit(
            tasks.send_booking_email,
            booking.pk,
            "confirmed" if booking.holds_place else "waitlisted",
        )


@transaction.atomic
@changes_events
def _book_before_release(
    *, actor, event: Event, person: Person, authority_id: int | None
) -> Booking:
    source: str | None = None
    if authority_id is not None:
        allocation, rows = lock_then_read(
            _LOCK_ALLOCATION,
            _ALLOCATION_STATE,
            event_id=event.pk,
            authority_id=authority_id,
            person_id=person.pk,
        )
        if allocation:
            state = _event_state(rows)
            now = _check_state(state, person)
            if state.used < allocation[0]["places"]:
                source = Booking.Source.ALLOCATION
    if source is None:
        _, rows = lock_then_read(_LOCK_EVENT, _POOL_STATE, event_id=event.pk, person_id=person.pk)
        state = _event_state(rows)
        now = _check_state(state, person)
        if state.pool_left > 0:
            source = Booking.Source.POOL
    return _save(
        actor=actor,
        event=event,
        person=person,
        authority_id=authority_id,
        source=source,
        waitlist_counter=state.event.waitlist_counter,
        now=now,
        last=True,
    )


@transaction.atomic
@changes_events
def _book_after_release(
    *, actor, event: Event, person: Person, authority_id: int | None
) -> Booking:
    locked = _lock_all(event)
    now = timezone.now()
    _check_window(locked, now)
    _check_not_booked(locked, person)
    promoted = _fill(locked, now)
    source = _source_for(event_availability(locked, now), authority_id)
    booking = _save(
        actor=actor,
        event=event,
        person=person,
        authority_id=authority_id,
        source=source,
        waitlist_counter=locked.waitlist_counter,
        now=now,
    )
    _notify_promoted(promoted)
    return booking


# The booking and its audit row are written with a statement compiled once, after the waiting
# list's counter for a place on it: see `..prepared`.
_INSERT_BOOKING = PreparedInsert(Booking)
_COUNT_WAITING = PreparedUpdate(
    lambda event_id, position: (
        Event.objects.filter(pk=event_id).order_by(),
        {"waitlist_counter": position},
    ),
    "event_id",
    "position",
)


def _audit_entry(*, actor, action: str, obj: Booking, after: dict[str, Any]) -> AuditEntry:
    """The row `audit_record` writes for `obj`, not yet saved, but for the key of `obj`, which
    is not known until `obj` is saved with it."""
    return AuditEntry(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_repr=str(obj)[:300],
        after=after,
    )


def _save(
    *,
    actor,
    event: Event,
    person: Person,
    authority_id: int | None,
    source: str | None,
    waitlist_counter: int,
    now: datetime.datetime,
    last: bool = False,
) -> Booking:
    """Store the booking decided under the lock, its audit row, and its email's task, queued
    by the commit. `source` None: the waiting list, whose counter was read under the event's
    lock. `last`: the caller's transaction ends once this returns, and nothing encloses it;
    where the database allows, it is committed in the same round trip as the insert, so that
    the lock everyone booking the event queues for is released at once."""
    fields: dict[str, Any] = {
        "event": event,
        "person": person,
        "authority_id": authority_id,
        "booked_by": actor,
        "created": now,
    }
    counted = None
    if source is None:
        position = waitlist_counter + 1
        counted = (_COUNT_WAITING, {"event_id": event.pk, "position": position})
        booking = Booking(**fields, status=Booking.Status.WAITLISTED, position=position)
    else:
        booking = Booking(**fields, status=Booking.Status.CONFIRMED, source=source)
    from .. import tasks

    kind = "waitlisted" if source is None else "confirmed"
    audit = _audit_entry(
        actor=actor, action="events.booking.created", obj=booking, after=snapshot(booking)
    )
    following = [Following(audit, "object_id", "{key}::text", str)]
    # Where the booking, its audit row and its email's task row go in one statement, the task
    # is queued by the booking's own commit.
    email = None
    if _INSERT_BOOKING.in_one_statement():
        email = tasks.queued_row(tasks.send_booking_email, 0, kind)
    if email is not None:
        following.append(
            Following(
                email,
                "args_kwargs",
                "jsonb_set({value}, '{args,0}', to_jsonb({key}))",
                lambda key: {"args": [key, kind], "kwargs": {}},
            )
        )
    _INSERT_BOOKING.save_with(booking, *following, first=counted, commit=last)
    if email is not None:
        tasks.enqueued(email)
    else:
        _on_commit(tasks.send_booking_email, booking.pk, kind)
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
