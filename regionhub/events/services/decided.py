"""A booking decided by the database, in one round trip (PostgreSQL).

`bookings._book_before_release` reads the event once it holds a lock, decides in Python, and
writes the booking: the lock everyone booking the event queues for is held while this process
gets its answer, is scheduled, takes its turn at the interpreter and sends the insert. Here the
same rules run in the database instead, and the statements go to the server together:

1. lock the authority's allocation (FOR NO KEY UPDATE), when the person has an authority;
2. lock the event, unless that allocation still has room: a place from the pool or the waiting
   list needs the event's lock, one from the allocation does not (see `_common`);
3. read the event and its places as committed once the locks are held (a new statement, so a
   new snapshot: a single statement would read from before its wait), decide allocation, pool
   or waiting list, and insert the booking, its audit row and its email's task row.

Outside any transaction the three are one implicit transaction (several statements in one
simple query), committed as the last one ends, so the locks are held only while the database
works. Inside a transaction (tests, or a caller's own block) they run in a savepoint of it.

The rules are those of `_book_before_release`, which SQLite still runs: the booking window and
the release moment judged by the database's clock while holding the locks, an active booking of
the same person refused, the allocation first, then the open pool (capacity less every
allocation less the pool places taken), else the waiting list, numbered by the event's counter.
Nothing is inserted when a rule refuses; the row returned says why, and the caller raises the
same error `_book_before_release` would (or books under every lock after the release).
"""

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django_tasks_db.models import DBTaskResult

from regionhub.core.audit import snapshot
from regionhub.core.models import AuditEntry
from regionhub.core.prepared import PreparedInsert, ServerStatement, execute_together, on_server
from regionhub.directory.models import AUTHORITY_KINDS, Organisation, Person

from ..models import Allocation, Booking, Event

_BOOKINGS = PreparedInsert(Booking)


def available(using: str = "default") -> bool:
    """Whether bookings are decided here: PostgreSQL with statements prepared on the server,
    and nothing listening to booking saves (whose signals only a plain save sends)."""
    return on_server(connections[using]) and _BOOKINGS.in_one_statement(using)


@dataclass
class Decided:
    """What the database saw and did. `booking` is None when nothing was inserted."""

    found: bool  # the event exists
    # The event's fields the rules read, and `now`, the database's clock: when nothing was
    # inserted (all None otherwise).
    state: dict[str, Any]
    existing: str | None  # the status of the person's active booking, when nothing was inserted
    booking: Booking | None


def book(
    *, actor, event: Event, person, authority_id: int | None, task: DBTaskResult | None
) -> Decided:
    """Book `person` on `event` as `_book_before_release` would. `task`: the email's task row
    (`tasks.queued_row`), inserted with the booking, its `args_kwargs` filled in here."""
    actor_id = _actor_id(actor)
    template = Booking(event=event, person=person, authority_id=authority_id, booked_by_id=actor_id)
    row = _send(template, object_repr=str(template)[:300], task=task, colleague=False)
    if row is None:
        return Decided(found=False, state={}, existing=None, booking=None)
    state = dict(zip(_STATE, row[: len(_STATE)], strict=True))
    existing = state.pop("existing")
    booking = _booked(template, row[len(_STATE) :], actor, task)
    return Decided(found=True, state=state, existing=existing, booking=booking)


@dataclass
class Colleague:
    booking: Booking  # its event and person not loaded
    name: str  # the person's


def book_colleague(
    *, actor, event_id: int, person_id: int, authority_id: int, task: DBTaskResult | None
) -> Colleague | None:
    """Book the person `person_id` as `book` would, given only the keys: the booking form of an
    authority's places, its busiest caller, then reads nothing before this round trip. The
    decision also checks that the person works for `authority_id` and that it is a member
    authority, whose allocation is then theirs (`_common.booking_authority_id`).

    None, with nothing stored, unless the booking is made: no such event or person, the person
    elsewhere, or any rule refusing it (including the release moment having passed). The
    caller then reads the event and the person and books through `bookings.booking_create`,
    which says what is wrong, or books after the release. Whether `actor` may book for the
    authority is the caller's to check first."""
    actor_id = _actor_id(actor)
    template = Booking(
        event_id=event_id, person_id=person_id, authority_id=authority_id, booked_by_id=actor_id
    )
    # The audit row's `object_repr` is written by the database here, from the names it reads.
    row = _send(template, object_repr="", task=task, colleague=True)
    if row is None:
        return None
    *inserted, name = row[len(_STATE) :]
    booking = _booked(template, inserted, actor, task)
    return None if booking is None else Colleague(booking=booking, name=name)


def _actor_id(actor) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None


def _send(
    template: Booking, *, object_repr: str, task: DBTaskResult | None, colleague: bool
) -> tuple | None:
    """The decision's row for booking `template` (its event, person, authority and booker), or
    None when the event does not exist."""
    using = "default"
    connection = connections[using]
    event_id, authority_id = template.event_id, template.authority_id
    values = [
        event_id,
        template.person_id,
        authority_id,
        template.booked_by_id,
        object_repr,
        json.dumps(snapshot(template)),
        str(task.pk) if task is not None else None,
        ContentType.objects.get_for_model(Booking).pk,  # cached after the first
    ]
    with connection.cursor() as cursor:
        statements = _statements(
            connection.alias, task is not None, cursor.connection, colleague=colleague
        )
        sent: list[tuple[ServerStatement, list[Any]]] = []
        if authority_id is not None:
            sent.append((statements.lock_allocation, [event_id, authority_id]))
        sent.append((statements.lock_event, [event_id, authority_id]))
        sent.append((statements.decide, values))
        last = len(sent) - 1

        def run() -> Any:
            return execute_together(
                cursor, sent, lambda n: cursor.fetchone() if n == last else None
            )[-1]

        if connection.in_atomic_block:
            with transaction.atomic(using=using):
                return run()
        return run()


def _booked(template: Booking, inserted, actor, task: DBTaskResult | None) -> Booking | None:
    """`template` as stored, from the decision's row (None if nothing was inserted)."""
    booking_id, status, source, position, created = inserted
    if booking_id is None:
        return None
    booking = template
    booking.pk = booking_id
    booking.status, booking.source, booking.position = status, source, position
    booking.created = created
    if booking.booked_by_id is not None:
        booking.booked_by = actor
    booking._state.adding = False
    booking._state.db = "default"
    if task is not None:
        task.enqueued_at = created
        task.args_kwargs = {"args": [booking_id, _kind(status)], "kwargs": {}}
        task._state.adding = False
        task._state.db = "default"
    return booking


def _kind(status: str) -> str:
    return "waitlisted" if status == Booking.Status.WAITLISTED else "confirmed"


# The event's fields the rules read, as the decision returns them, then `existing`.
_STATE = (
    "status",
    "starts_at",
    "booking_opens",
    "booking_closes",
    "release_at",
    "now",
    "existing",
)


@dataclass
class _Statements:
    lock_allocation: ServerStatement
    lock_event: ServerStatement
    decide: ServerStatement


_statements_here: dict[tuple[str, bool, bool], _Statements] = {}


def _statements(alias: str, with_task: bool, raw, *, colleague: bool) -> _Statements:
    """The three statements, built once per database and kind (literals are written alike on
    every connection to one database)."""
    statements = _statements_here.get((alias, with_task, colleague))
    if statements is None:
        from psycopg import sql

        def literal(value: Any) -> str:
            return sql.Literal(value).as_string(raw)

        n = _names()
        statements = _statements_here[alias, with_task, colleague] = _Statements(
            lock_allocation=ServerStatement.numbered(
                f"SELECT 1 FROM {n['allocation']} WHERE {n['allocation']}.{n['a_event']} = $1"
                f" AND {n['allocation']}.{n['a_authority']} = $2 FOR NO KEY UPDATE",
                ["int8", "int8"],
            ),
            # The event, unless the authority's allocation has a place left: that booking
            # takes it holding only the allocation's lock.
            lock_event=ServerStatement.numbered(
                f"SELECT 1 FROM {n['event']} WHERE {n['event']}.{n['e_id']} = $1 AND NOT EXISTS"
                f" (SELECT 1 FROM {n['allocation']} r WHERE r.{n['a_event']} = $1"
                f" AND r.{n['a_authority']} = $2 AND r.{n['a_places']} > {_used('$2')})"
                f" FOR NO KEY UPDATE OF {n['event']}",
                ["int8", "int8"],
            ),
            decide=ServerStatement.numbered(
                _decide_sql(alias, with_task, literal, colleague=colleague), _DECIDE_TYPES
            ),
        )
    return statements


# $1 event, $2 person, $3 authority, $4 actor, $5 the audit row's object_repr (not used by the
# colleague's decision, which writes it), $6 its `after` without what the database decides,
# $7 the task row's id, $8 the booking's content type.
_DECIDE_TYPES = ["int8", "int8", "int8", "int8", "text", "jsonb", "uuid", "int8"]


def _names() -> dict[str, str]:
    def col(model, name: str) -> str:
        return f'"{model._meta.get_field(name).column}"'

    return {
        "event": f'"{Event._meta.db_table}"',
        "booking": f'"{Booking._meta.db_table}"',
        "allocation": f'"{Allocation._meta.db_table}"',
        "e_id": col(Event, "id"),
        "e_counter": col(Event, "waitlist_counter"),
        "a_event": col(Allocation, "event"),
        "a_authority": col(Allocation, "authority"),
        "a_places": col(Allocation, "places"),
        "b_event": col(Booking, "event"),
        "b_person": col(Booking, "person"),
        "b_authority": col(Booking, "authority"),
        "b_status": col(Booking, "status"),
        "b_source": col(Booking, "source"),
        "person": f'"{Person._meta.db_table}"',
        "organisation": f'"{Organisation._meta.db_table}"',
        "p_id": col(Person, "id"),
        "p_name": col(Person, "name"),
        "p_organisation": col(Person, "organisation"),
        "o_id": col(Organisation, "id"),
        "o_member": col(Organisation, "is_member"),
        "o_kind": col(Organisation, "kind"),
        "e_title": col(Event, "title"),
    }


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _holding(alias: str, condition: str) -> str:
    """Places taken on event $1 by the bookings `alias` matching `condition`."""
    n = _names()
    return (
        f"(SELECT count(*) FROM {n['booking']} {alias} WHERE {alias}.{n['b_event']} = $1"
        f" AND {alias}.{n['b_status']} IN ({_in(Booking.HOLDING)}) AND {condition})"
    )


def _used(authority: str) -> str:
    """Places the authority `authority` (a parameter) took from its allocation on event $1."""
    n = _names()
    return _holding(
        "u",
        f"u.{n['b_authority']} = {authority} AND u.{n['b_source']} = '{Booking.Source.ALLOCATION}'",
    )


def _insert(model, exprs: dict[str, str], source: str) -> str:
    """`INSERT INTO <model> (<every column>) SELECT <each column's expression> FROM <source>`;
    every concrete field of `model` but an automatic key must have an expression."""
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    missing = [f.name for f in fields if f.name not in exprs]
    unknown = set(exprs) - {f.name for f in fields}
    if missing or unknown:
        raise ValueError(f"{meta.label}: no value for {missing}, unknown {sorted(unknown)}")
    columns = ", ".join(f'"{f.column}"' for f in fields)
    values = ", ".join(exprs[f.name] for f in fields)
    return f'INSERT INTO "{meta.db_table}" ({columns}) SELECT {values} FROM {source}'


def _iso(column: str) -> str:
    """`column` (a timestamptz) as `datetime.isoformat()` writes it in UTC, as audit snapshots
    hold times."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN extract(microseconds FROM {utc})::int % 1000000 = 0 THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00'"
    )


def _decide_sql(alias: str, with_task: bool, literal, *, colleague: bool) -> str:
    """The decision. `colleague`: the person $2 must work for $3, a member authority (else
    nothing is inserted); the audit row's `object_repr` is written from their name and the
    event's title, and the name is sent back last."""
    n = _names()
    S = Booking.Status
    pool_used = _holding("p", f"p.{n['b_source']} = '{Booking.Source.POOL}'")
    booking = _insert(
        Booking,
        {
            "event": "$1",
            "person": "$2",
            "authority": "$3",
            "status": f"CASE WHEN d.source IS NULL THEN '{S.WAITLISTED}' ELSE '{S.CONFIRMED}' END",
            "source": "coalesce(d.source, '')",
            "position": "CASE WHEN d.source IS NULL THEN d.waitlist_counter + 1 END",
            "created": "d.now",
            "booked_by": "$4",
            "offer_expires": "NULL",
            "reserved_until": "NULL",
            "cancelled_at": "NULL",
            "revision": "0",
            "reminder_sent_at": "NULL",
        },
        '"decided" d WHERE d.ok',
    )
    audit = _insert(
        AuditEntry,
        {
            "actor": "$4",
            "action": "'events.booking.created'",
            "created": "n.created",
            "content_type": "$8",
            "object_id": "n.id::text",
            # As `str(booking)[:300]` writes it.
            "object_repr": "left(d.colleague || ' – ' || d.title, 300)" if colleague else "$5",
            "before": "NULL",
            "after": "$6 || jsonb_build_object('status', n.status, 'source', n.source,"
            f" 'position', n.position, 'created', {_iso('n.created')})",
        },
        '"new" n, "decided" d' if colleague else '"new" n',
    )
    # The colleague's name, when they work for the member authority $3; else NULL.
    named = (
        f"""(SELECT c.{n["p_name"]} FROM {n["person"]} c JOIN {n["organisation"]} o
                    ON o.{n["o_id"]} = c.{n["p_organisation"]}
                    WHERE c.{n["p_id"]} = $2 AND c.{n["p_organisation"]} = $3 AND o.{n["o_member"]}
                    AND o.{n["o_kind"]} IN ({_in(sorted(AUTHORITY_KINDS))})) AS colleague,
                e.{n["e_title"]} AS title,"""
        if colleague
        else ""
    )
    works_there = " AND s.colleague IS NOT NULL" if colleague else ""
    clauses = [
        f"""
        "state" AS (
            SELECT e.status, e.starts_at, e.booking_opens, e.booking_closes, e.release_at,
                clock_timestamp() AS now,
                (SELECT x.{n["b_status"]} FROM {n["booking"]} x WHERE x.{n["b_event"]} = $1
                    AND x.{n["b_person"]} = $2 AND x.{n["b_status"]} IN ({_in(Booking.ACTIVE)})
                    LIMIT 1) AS existing,
                e.capacity, e.waitlist_counter,
                (SELECT a.{n["a_places"]} FROM {n["allocation"]} a WHERE a.{n["a_event"]} = $1
                    AND a.{n["a_authority"]} = $3) AS places,
                {_used("$3")} AS used,
                (SELECT coalesce(sum(s.{n["a_places"]}), 0) FROM {n["allocation"]} s
                    WHERE s.{n["a_event"]} = $1) AS allocated,
                {named}
                {pool_used} AS pool_used
            FROM {n["event"]} e WHERE e.{n["e_id"]} = $1
        )""",
        f"""
        "decided" AS (
            SELECT s.*,
                CASE WHEN s.places > s.used THEN '{Booking.Source.ALLOCATION}'
                    WHEN s.capacity - s.allocated - s.pool_used > 0
                    THEN '{Booking.Source.POOL}' END AS source,
                s.status = '{Event.Status.PUBLISHED}'
                    AND (s.starts_at IS NULL OR s.now < s.starts_at)
                    AND (s.booking_opens IS NULL OR s.now >= s.booking_opens)
                    AND (s.booking_closes IS NULL OR s.now < s.booking_closes)
                    AND (s.release_at IS NULL OR s.now < s.release_at)
                    AND s.existing IS NULL{works_there} AS ok
            FROM "state" s
        )""",
        f"""
        "new" AS ({booking} RETURNING id, status, source, position, created)""",
        f"""
        "counted" AS (
            UPDATE {n["event"]} SET "waitlist_counter" = n.position FROM "new" n
            WHERE {n["event"]}.{n["e_id"]} = $1 AND n.position IS NOT NULL
        )""",
        f"""
        "audit" AS ({audit})""",
    ]
    if with_task:
        clauses.append(f'"task" AS ({_task_insert(literal)})')
    head = ", ".join(c.strip() for c in clauses)
    # The event's state is needed only to say why nothing was inserted: sent back only then.
    state = ", ".join(f"CASE WHEN n.id IS NULL THEN d.{name} END" for name in _STATE)
    return (
        f"WITH {head} SELECT {state}, n.id, n.status, n.source, n.position, n.created"
        f"{', d.colleague' if colleague else ''}"
        ' FROM "decided" d LEFT JOIN "new" n ON true'
    )


def _task_insert(literal) -> str:
    """The email's task row, as `tasks.queued_row` builds it: what it holds that is the same
    for every booking written into the statement, the id an argument, the booking's key and
    kind filled in by the database."""
    from .. import tasks

    template = tasks.queued_row(tasks.send_booking_email, 0, "confirmed")
    assert template is not None
    exprs: dict[str, str] = {}
    for field in DBTaskResult._meta.local_concrete_fields:
        value = getattr(template, field.attname)
        if isinstance(value, dict | list) or field.get_internal_type() == "JSONField":
            exprs[field.name] = "NULL" if value is None else f"{literal(json.dumps(value))}::jsonb"
        elif isinstance(value, datetime.datetime):
            exprs[field.name] = f"{literal(value.isoformat())}::timestamptz"
        else:
            exprs[field.name] = "NULL" if value is None else literal(value)
    exprs["id"] = "$7"
    exprs["enqueued_at"] = "n.created"
    exprs["args_kwargs"] = (
        "jsonb_build_object('args', jsonb_build_array(n.id,"
        f" CASE WHEN n.status = '{Booking.Status.WAITLISTED}' THEN 'waitlisted'"
        " ELSE 'confirmed' END), 'kwargs', '{}'::jsonb)"
    )
    return _insert(DBTaskResult, exprs, '"new" n')
