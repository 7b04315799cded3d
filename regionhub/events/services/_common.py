"""What every events service shares: the domain errors, the locks and the permission checks.

Locking, so that no place is ever given twice: a place from an authority's allocation is taken
only while holding that `Allocation` row's lock; a place from the open pool only while holding
the `Event` row's lock. Anything that can change several authorities' places at once (changing
allocations or capacity, cancelling, expiring, the release of unused places, every booking
after the release) locks every allocation of the event in primary-key order and then the event,
always in that order, so that two transactions can never wait for each other.
"""

import datetime
import functools

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from regionhub.core.pagecache import data_changed
from regionhub.core.permissions import coordinated_ids, is_regional_admin, require
from regionhub.directory.models import Organisation, Person

from ..models import Allocation, Event


class EventError(Exception):
    """A change the events app refuses, with a message a person can read."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class BookingError(EventError):
    """A booking, reservation or cancellation that cannot be made."""


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


# FOR NO KEY UPDATE (on PostgreSQL): excludes every other locker of the row, but not the key-share
# lock a booking's insert takes on its event to check the foreign key, so a place taken from an
# allocation never waits for someone holding the event to take a pool place.


def _lock_event(event: Event) -> Event:
    return Event.objects.select_for_update(no_key=True).get(pk=event.pk)


def _lock_all(event: Event) -> Event:
    list(
        Allocation.objects.select_for_update(no_key=True)
        .filter(event=event)
        .order_by("pk")
        .values_list("pk")
    )
    return _lock_event(event)


def _require_admin(actor) -> None:
    require(is_regional_admin(actor), "Only regional admins can manage events.")


def _require_authority_manager(actor, authority_id: int | None) -> None:
    if is_regional_admin(actor):
        return
    if authority_id is None or authority_id not in coordinated_ids(actor):
        raise PermissionDenied("You can only manage your own authority's places.")


def booking_authority_id(person: Person) -> int | None:
    """The authority whose places a person uses: their employer, if it is a member authority."""
    org = person.organisation
    if org is not None and org.is_member and org.is_authority:
        return org.pk
    return None


def changes_events(service):
    """Cached event lists are stale once the decorated service commits; put it under
    `transaction.atomic` so that a refused change leaves the caches alone."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        result = service(*args, **kwargs)
        data_changed("events")
        return result

    return wrapper
