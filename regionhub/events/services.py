"""Every write to events and their places. Check permission, validate, change, audit, then tasks.

Locking, so that no place is ever given twice: a place from an authority's allocation is taken
only while holding that `Allocation` row's lock; a place from the open pool only while holding
the `Event` row's lock. Anything that can change several authorities' places at once (changing
allocations or capacity, cancelling, expiring, the release of unused places, every booking
after the release) locks every allocation of the event in primary-key order and then the event,
always in that order, so that two transactions can never wait for each other.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import coordinated_ids, is_regional_admin, require
from regionhub.directory.models import Organisation, Person

from .availability import Availability, event_availability
from .models import Allocation, Booking, Event, EventSession


class EventError(Exception):
    """A change the events app refuses, with a message a person can read."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class BookingError(EventError):
    """A booking, reservation or cancellation that cannot be made."""


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


def _on_commit(task, *args) -> None:
    transaction.on_commit(lambda: task.enqueue(*args))


def _date(value: datetime.datetime) -> str:
    local = timezone.localtime(value)
    return f"{local.day} {local:%B %Y}"


def _authority_name(authority_id: int | None) -> str:
    if authority_id is None:
        return "no authority"
    org = Organisation.objects.filter(pk=authority_id).only("name", "short_name").first()
    return (org.short_name or org.name) if org else "that authority"


# Locks ---------------------------------------------------------------------------------------


def _lock_event(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _lock_all(event: Event) -> Event:
    list(Allocation.objects.select_for_update().filter(event=event).order_by("pk").values("pk"))
    return _lock_event(event)


# Events --------------------------------------------------------------------------------------


def _require_admin(actor) -> None:
    require(is_regional_admin(actor), "Only regional admins can manage events.")


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
    from . import tasks

    if changed and event.status == Event.Status.PUBLISHED:
        _on_commit(tasks.send_event_update, event.pk)
    _notify_promoted(promoted)
    return event


@transaction.atomic
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
    from . import tasks

    for pk in told:
        _on_commit(tasks.send_booking_email, pk, "event_cancelled")
    return event


# Allocations ---------------------------------------------------------------------------------


def member_authorities():
    return Organisation.objects.filter(
        is_member=True, kind__in=[Organisation.Kind.COUNCIL, Organisation.Kind.TRUST]
    ).order_by("name")


@transaction.atomic
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
    for authority_id, places in availability.authorities.items():
        if wanted.get(authority_id, 0) < places.used_allocation:
            raise EventError(
                f"{_authority_name(authority_id)} already uses {places.used_allocation} of its "
                f"places, so its allocation cannot go below {places.used_allocation}",
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


# Bookings ------------------------------------------------------------------------------------


def booking_authority_id(person: Person) -> int | None:
    """The authority whose places a person uses: their employer, if it is a member authority."""
    org = person.organisation
    if org is not None and org.is_member and org.is_authority:
        return org.pk
    return None


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


def _allocation_has_room(event: Event, authority_id: int) -> bool:
    """Call while holding the allocation row's lock, before the release."""
    allocation = (
        Allocation.objects.select_for_update().filter(event=event, authority_id=authority_id)
    ).first()
    if allocation is None:
        return False
    used = Booking.objects.filter(
        event=event,
        authority_id=authority_id,
        source=Booking.Source.ALLOCATION,
        status__in=Booking.HOLDING,
    ).count()
    return used < allocation.places


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
    from . import tasks

    kind = "waitlisted" if source is None else "confirmed"
    _on_commit(tasks.send_booking_email, booking.pk, kind)
    _notify_promoted(promoted)
    return booking


def _require_authority_manager(actor, authority_id: int | None) -> None:
    if is_regional_admin(actor):
        return
    if authority_id is None or authority_id not in coordinated_ids(actor):
        raise PermissionDenied("You can only manage your own authority's places.")


@transaction.atomic
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
    from . import tasks

    _on_commit(tasks.send_booking_email, booking.pk, "confirmed")
    return booking


@transaction.atomic
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
    try:
        with transaction.atomic():
            booking.save(update_fields=["person", "booked_by"])
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
    from . import tasks

    cancelled = booking.event.bookings.filter(person_id=outgoing, status="cancelled").latest("pk")
    _on_commit(tasks.send_booking_email, cancelled.pk, "cancelled")
    _on_commit(tasks.send_booking_email, booking.pk, "confirmed")
    return booking


def _may_cancel(actor, booking: Booking) -> bool:
    if booking.person_id is not None and actor.person_id == booking.person_id:
        return True
    return is_regional_admin(actor) or booking.authority_id in coordinated_ids(actor)


@transaction.atomic
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
        from . import tasks

        kind = "cancelled" if had_place else "left_waitlist"
        _on_commit(tasks.send_booking_email, booking.pk, kind)


@transaction.atomic
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
    from . import tasks

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
    from . import tasks

    for booking in promoted:
        kind = "offered" if booking.status == Booking.Status.OFFERED else "promoted"
        _on_commit(tasks.send_booking_email, booking.pk, kind)


# Attendance ----------------------------------------------------------------------------------


@transaction.atomic
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
