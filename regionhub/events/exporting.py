"""Attendee lists and per-authority fill rates as CSV and XLSX, with the directory's writers.

Both tables are private: they name people or show how an authority uses its places.
"""

from django.utils import timezone

from regionhub.directory.exporting import FORMATS, Column, Table, export_response

from . import selectors
from .models import Event

__all__ = ["FORMATS", "attendees_table", "export_response", "fill_table"]


def _local_date(value):
    return timezone.localtime(value).date() if value else None


def attendees_table(event: Event, authority_ids: set[int] | None) -> Table:
    columns = [
        Column("event", lambda b: event.title),
        Column("date", lambda b: _local_date(event.starts_at)),
        Column("authority", lambda b: b.authority.name if b.authority else ""),
        Column("name", lambda b: b.person.name if b.person else "Unnamed place"),
        Column("email", lambda b: b.person.email if b.person else ""),
        Column("status", lambda b: b.get_status_display()),
        Column("place_from", lambda b: b.get_source_display()),
        Column("booked_on", lambda b: _local_date(b.created)),
    ]
    rows = selectors.event_attendees(event, authority_ids)
    return Table(f"attendees-event-{event.pk}", columns, rows, private=True)


def _percent(rate: float | None):
    return "" if rate is None else round(rate * 100)


def fill_table(authority_ids: set[int] | None) -> Table:
    columns = [
        Column("event", lambda r: r.event.title),
        Column("date", lambda r: _local_date(r.event.starts_at)),
        Column("status", lambda r: r.event.get_status_display()),
        Column("authority", lambda r: r.authority.name),
        Column("allocated", lambda r: r.places.allocated),
        Column("confirmed", lambda r: r.places.confirmed),
        Column("reserved", lambda r: r.places.reserved),
        Column("from_pool", lambda r: r.places.used_pool),
        Column("waiting", lambda r: r.places.waiting),
        Column("released", lambda r: r.places.released),
        Column("attended", lambda r: r.attended),
        Column("no_show", lambda r: r.no_show),
        Column("fill_rate_percent", lambda r: _percent(r.fill_rate)),
    ]
    return Table("event-fill-rates", columns, selectors.fill_rows(authority_ids), private=True)
