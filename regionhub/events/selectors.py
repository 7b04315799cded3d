"""Every non-trivial read of events; query counts do not grow with the data."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from regionhub.core.permissions import coordinated_ids, is_regional_admin

from .availability import Availability, events_availability
from .models import Booking, Event, EventSession

SESSIONS = Prefetch("sessions", queryset=EventSession.objects.order_by("start", "pk"))


def person_feed_bookings(person_id: int):
    sessions = Prefetch("event__sessions", queryset=EventSession.objects.order_by("start"))
    return (
        Booking.objects.filter(person_id=person_id)
        .exclude(status=Booking.Status.WAITLISTED)
        .select_related("event")
        .prefetch_related(sessions)
        .order_by("event__starts_at", "pk")
    )


def events_visible_to(user) -> QuerySet[Event]:
    """Admins see drafts too; everyone else sees published and cancelled events."""
    qs = Event.objects.all()
    if not is_regional_admin(user):
        qs = qs.exclude(status=Event.Status.DRAFT)
    return qs


@dataclass
class EventRow:
    event: Event
    availability: Availability
    my_booking: Booking | None
    left_for_me: int


def events_upcoming_for(user, *, limit: int = 100) -> list[EventRow]:
    """Upcoming events with places left for the user's authority and their own booking; four
    queries whatever the number of events."""
    events = list(
        events_visible_to(user)
        .upcoming()
        .select_related("host")
        .prefetch_related(SESSIONS)
        .order_by("starts_at", "pk")[:limit]
    )
    availability = events_availability(events)
    person_id = getattr(user, "person_id", None) if user.is_authenticated else None
    mine: dict[int, Booking] = {}
    if person_id:
        for booking in Booking.objects.filter(
            person_id=person_id, event__in=events, status__in=Booking.ACTIVE
        ):
            mine[booking.event_id] = booking
    authority_id = _authority_id(user)
    return [
        EventRow(e, availability[e.pk], mine.get(e.pk), availability[e.pk].left_for(authority_id))
        for e in events
    ]


def events_past(user, *, limit: int = 50) -> list[Event]:
    return list(
        events_visible_to(user).past().select_related("host").order_by("-starts_at")[:limit]
    )


def _authority_id(user) -> int | None:
    if not user.is_authenticated:
        return None
    person = getattr(user, "person", None)
    if person is not None and person.organisation_id:
        return person.organisation_id
    return user.organisation_id


def may_see_attendees(user, authority_id: int | None) -> bool:
    return is_regional_admin(user) or (
        authority_id is not None and authority_id in coordinated_ids(user)
    )


def authority_bookings(event: Event, authority_id: int) -> list[Booking]:
    return list(
        event.bookings.filter(authority_id=authority_id)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("person")
        .order_by("status", "position", "created", "pk")
    )


def event_attendees(event: Event, authority_ids: set[int] | None = None) -> QuerySet[Booking]:
    """Bookings with a place (or a record of attendance); `authority_ids` None: everyone's."""
    qs = event.bookings.filter(status__in=Booking.HOLDING).select_related("person", "authority")
    if authority_ids is not None:
        qs = qs.filter(authority_id__in=authority_ids)
    return qs.order_by("authority__name", "person__name", "pk")


def events_overview(*, days_back: int = 60, limit: int = 200):
    """Every recent and upcoming event with its fill by authority, in four queries."""
    since = timezone.now() - datetime.timedelta(days=days_back)
    events = list(
        Event.objects.exclude(status=Event.Status.DRAFT)
        .filter(ends_at__gte=since)
        .order_by("starts_at", "pk")[:limit]
    )
    return events, events_availability(events)
