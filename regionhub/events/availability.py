"""How many places are left: counted from the bookings, never stored.

Each authority may use its allocation; everyone may use the open pool (capacity minus every
allocation). Once the event's release moment has passed, an authority's allocation shrinks to
the places it has actually used and what it left unused joins the pool.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from .models import Allocation, Booking, Event


@dataclass
class AuthorityPlaces:
    authority_id: int
    allocated: int
    used_allocation: int = 0
    used_pool: int = 0
    reserved: int = 0
    confirmed: int = 0
    waiting: int = 0
    released: int = 0

    @property
    def allocation_left(self) -> int:
        return self.allocated - self.released - self.used_allocation


@dataclass
class Availability:
    capacity: int
    released: bool
    authorities: dict[int, AuthorityPlaces] = field(default_factory=dict)
    pool_used: int = 0
    waiting: int = 0

    @property
    def allocated(self) -> int:
        return sum(a.allocated - a.released for a in self.authorities.values())

    @property
    def pool_size(self) -> int:
        return self.capacity - self.allocated

    @property
    def pool_left(self) -> int:
        return self.pool_size - self.pool_used

    @property
    def taken(self) -> int:
        return self.pool_used + sum(a.used_allocation for a in self.authorities.values())

    @property
    def released_places(self) -> int:
        return sum(a.released for a in self.authorities.values())

    def for_authority(self, authority_id: int | None) -> AuthorityPlaces | None:
        return self.authorities.get(authority_id) if authority_id is not None else None

    def left_for(self, authority_id: int | None) -> int:
        """Places a person from this authority could take now: its allocation, then the pool."""
        places = self.for_authority(authority_id)
        own = places.allocation_left if places else 0
        return max(own, 0) + max(self.pool_left, 0)


def _count(result: Availability, authority_id, source: str, status: str, n: int) -> None:
    places = result.authorities.get(authority_id)
    if places is None and authority_id is not None:
        places = result.authorities[authority_id] = AuthorityPlaces(authority_id, 0)
    if status == Booking.Status.WAITLISTED:
        result.waiting += n
        if places:
            places.waiting += n
        return
    if places:
        if status == Booking.Status.RESERVED:
            places.reserved += n
        else:
            places.confirmed += n
    if source == Booking.Source.POOL:
        result.pool_used += n
        if places:
            places.used_pool += n
    elif places:
        places.used_allocation += n


def _release(result: Availability) -> None:
    if result.released:
        for places in result.authorities.values():
            places.released = max(places.allocated - places.used_allocation, 0)


def event_availability(event: Event, now: datetime.datetime | None = None) -> Availability:
    """Two queries. Inside a booking transaction, call it after taking the locks."""
    now = now or timezone.now()
    result = Availability(capacity=event.capacity, released=event.is_released(now))
    for allocation in Allocation.objects.filter(event=event).only("authority_id", "places"):
        result.authorities[allocation.authority_id] = AuthorityPlaces(
            allocation.authority_id, allocation.places
        )
    rows = (
        Booking.objects.filter(event=event)
        .exclude(status=Booking.Status.CANCELLED)
        .values_list("authority_id", "source", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for authority_id, source, status, n in rows:
        _count(result, authority_id, source, status, n)
    _release(result)
    return result


def events_availability(
    events: list[Event], now: datetime.datetime | None = None
) -> dict[int, Availability]:
    """`event_availability` for many events in two queries, for lists."""
    now = now or timezone.now()
    result = {e.pk: Availability(capacity=e.capacity, released=e.is_released(now)) for e in events}
    for allocation in Allocation.objects.filter(event__in=list(result)).only(
        "event_id", "authority_id", "places"
    ):
        result[allocation.event_id].authorities[allocation.authority_id] = AuthorityPlaces(
            allocation.authority_id, allocation.places
        )
    rows = (
        Booking.objects.filter(event__in=list(result))
        .exclude(status=Booking.Status.CANCELLED)
        .values_list("event_id", "authority_id", "source", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for event_id, authority_id, source, status, n in rows:
        _count(result[event_id], authority_id, source, status, n)
    for availability in result.values():
        _release(availability)
    return result
