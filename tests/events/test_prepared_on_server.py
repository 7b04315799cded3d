"""The booking path's statements prepared on the PostgreSQL server (`core.prepared`): once per
connection, in the round trip of their first run, and prepared again on a new connection."""

import contextlib
import re
import tempfile

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from regionhub.core import prepared as prepared_module
from regionhub.core.prepared import Prepared, PreparedInsert, rows_together
from regionhub.events.models import Booking, Event
from tests.events.conftest import make_event
from tests.factories import PersonFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="only on PostgreSQL"),
]
S = Booking.Status


def _titles():
    # A fixed value with a % in it, written into the prepared statement as a literal.
    return Prepared(
        lambda pk: Event.objects.filter(pk=pk).exclude(title__contains="100%").values("title"),
        "pk",
    )


def _capacity():
    return Prepared(lambda pk: Event.objects.filter(pk=pk).values("capacity"), "pk")


def _on_server() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'rh%%'")
        return sorted(name for (name,) in cursor.fetchall())


def _sent(queries) -> list[list[str]]:
    """The first word of each statement, per round trip."""
    return [[s.split()[0] for s in q["sql"].split(";\n")] for q in queries.captured_queries]


@contextlib.contextmanager
def _wire():
    """The queries the client sends to the server, each a list of its statements' first words,
    as libpq traces them (Django's query log also lists the COMMIT it did not need to send)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    sent: list[list[str]] = []
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        try:
            yield sent
        finally:
            pgconn.untrace()
        trace.seek(0)
        messages = re.split(r"\n(?=\S+ \S+\t[FB]\t)", trace.read())
    for message in messages:
        query = re.match(r"\S+ \S+\tF\t\d+\tQuery\t \"(.*)\"$", message, re.S)
        if query:
            sent.append([s.split()[0] for s in query.group(1).split(";\n")])


def _runs(sent: list[list[str]]) -> list[list[str]]:
    """`sent` but for the PREPAREs of statements run for the first time on the connection."""
    return [[word for word in trip if word != "PREPARE"] for trip in sent]


def test_prepared_in_the_round_trip_of_its_first_run_and_only_then(admin_user):
    events = [make_event(admin_user, title=f"Event {n}") for n in range(2)]
    make_event(admin_user, title="Giving 100%")
    titles = _titles()
    with CaptureQueriesContext(connection) as queries:
        for event in events:
            assert titles.rows(pk=event.pk) == [{"title": event.title}]
    assert _sent(queries) == [["PREPARE", "EXECUTE"], ["EXECUTE"]]
    assert len(_on_server()) == 1
    # The same statement built again shares what is prepared.
    with CaptureQueriesContext(connection) as queries:
        assert _titles().rows(pk=events[0].pk) == [{"title": "Event 0"}]
    assert _sent(queries) == [["EXECUTE"]]


def test_a_rollback_keeps_what_was_prepared(admin_user):
    event = make_event(admin_user, capacity=7)
    capacity = _capacity()

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        assert capacity.rows(pk=event.pk) == [{"capacity": 7}]
        raise Refused
    with CaptureQueriesContext(connection) as queries:
        assert capacity.rows(pk=event.pk) == [{"capacity": 7}]
    assert _sent(queries) == [["EXECUTE"]]


def test_prepared_again_on_a_new_connection(admin_user):
    event = make_event(admin_user, capacity=7)
    capacity = _capacity()
    assert capacity.rows(pk=event.pk) == [{"capacity": 7}]
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert capacity.rows(pk=event.pk) == [{"capacity": 7}]
        assert capacity.rows(pk=event.pk) == [{"capacity": 7}]
    assert _sent(queries) == [["PREPARE", "EXECUTE"], ["EXECUTE"]]


def test_a_failed_first_run_prepares_under_another_name_next_time(admin_user):
    """Whether the PREPARE of a failed round trip took effect is not known: a second PREPARE
    under the same name could fail, so the next run prepares under another name."""
    event = make_event(admin_user, capacity=4)
    person = PersonFactory()
    insert = PreparedInsert(Booking)
    insert.save(Booking(event=event, person=person, status=S.CONFIRMED))
    connection.close()  # the next insert is the first on its connection
    with pytest.raises(IntegrityError), transaction.atomic():
        insert.save(Booking(event=event, person=person, status=S.CONFIRMED))
    prepared_there = _on_server()
    assert len(prepared_there) == 1  # it took effect, the insert after it failed
    booking = Booking(event=event, person=PersonFactory(), status=S.CONFIRMED)
    insert.save(booking)
    assert Booking.objects.get(pk=booking.pk).person_id == booking.person_id
    assert len(_on_server()) == 2
    another = Booking(event=event, person=PersonFactory(), status=S.CONFIRMED)
    with CaptureQueriesContext(connection) as queries:
        insert.save(another)
    assert _sent(queries) == [["EXECUTE"]]


def test_statements_sent_together_are_prepared_together(admin_user):
    event = make_event(admin_user, title="Together", capacity=9)
    titles, capacity = _titles(), _capacity()
    assert titles.rows(pk=event.pk) == [{"title": "Together"}]
    with CaptureQueriesContext(connection) as queries:
        assert rows_together(titles, capacity, pk=event.pk) == (
            [{"title": "Together"}],
            [{"capacity": 9}],
        )
        assert rows_together(titles, capacity, pk=0) == ([], [])
    assert _sent(queries) == [["EXECUTE", "PREPARE", "EXECUTE"], ["EXECUTE", "EXECUTE"]]


def test_a_statement_deallocated_behind_its_back_is_prepared_again(admin_user):
    event = make_event(admin_user, capacity=5)
    capacity = _capacity()
    assert capacity.rows(pk=event.pk) == [{"capacity": 5}]
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(DatabaseError, match="does not exist"):
        capacity.rows(pk=event.pk)
    with CaptureQueriesContext(connection) as queries:
        assert capacity.rows(pk=event.pk) == [{"capacity": 5}]
    assert _sent(queries) == [["PREPARE", "EXECUTE"]]


@pytest.mark.parametrize(
    "options", [{"server_side_binding": True}, {"prepare_threshold": 5}], ids=str
)
def test_with_server_side_binding_the_sql_is_sent_as_it_is(admin_user, monkeypatch, options):
    """Also when psycopg prepares statements itself: it would DEALLOCATE ALL on a rollback."""
    event = make_event(admin_user, capacity=3)
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    assert not prepared_module._on_server(connection)
    monkeypatch.setattr(prepared_module, "_on_server", lambda connection: False)
    with CaptureQueriesContext(connection) as queries:
        assert _capacity().rows(pk=event.pk) == [{"capacity": 3}]
    assert _sent(queries) == [["SELECT"]]


def _waiting(event_id: int):
    from regionhub.core.prepared import PreparedUpdate

    return PreparedUpdate(
        lambda pk, n: (Event.objects.filter(pk=pk), {"waitlist_counter": n}), "pk", "n"
    )


def test_the_commit_goes_with_the_last_insert_of_the_outermost_block(admin_user):
    event = make_event(admin_user, capacity=4)
    person = PersonFactory()
    committed = []
    booking = Booking(event=event, person=person, status=S.WAITLISTED, position=3)
    with _wire() as sent, transaction.atomic():
        transaction.on_commit(lambda: committed.append(True))
        PreparedInsert(Booking).save_with(
            booking, first=(_waiting(event.pk), {"pk": event.pk, "n": 3}), commit=True
        )
    # BEGIN, then the counter, the insert and the COMMIT together; nothing after.
    assert _runs(sent) == [["BEGIN"], ["EXECUTE", "EXECUTE", "COMMIT"]]
    assert committed == [True]
    assert Booking.objects.get(pk=booking.pk).position == 3
    event.refresh_from_db()
    assert event.waitlist_counter == 3
    assert not connection.in_atomic_block and connection.get_autocommit()


def test_inside_an_outer_block_the_commit_is_left_to_it(admin_user):
    event = make_event(admin_user, capacity=4)

    class Refused(Exception):
        pass

    with _wire() as sent, pytest.raises(Refused), transaction.atomic():
        with transaction.atomic():
            PreparedInsert(Booking).save_with(
                Booking(event=event, person=PersonFactory(), status=S.CONFIRMED),
                first=(_waiting(event.pk), {"pk": event.pk, "n": 9}),
                commit=True,
            )
        raise Refused
    assert not any("COMMIT" in trip for trip in sent)
    assert sent[-1] == ["ROLLBACK"]
    assert not event.bookings.exists()
    event.refresh_from_db()
    assert event.waitlist_counter == 0


def test_a_failed_insert_before_its_commit_rolls_everything_back(admin_user):
    event = make_event(admin_user, capacity=4)
    person = PersonFactory()
    PreparedInsert(Booking).save(Booking(event=event, person=person, status=S.CONFIRMED))
    committed = []
    with pytest.raises(IntegrityError), transaction.atomic():
        transaction.on_commit(lambda: committed.append(True))
        PreparedInsert(Booking).save_with(
            Booking(event=event, person=person, status=S.WAITLISTED, position=1),
            first=(_waiting(event.pk), {"pk": event.pk, "n": 1}),
            commit=True,
        )
    assert committed == []
    assert event.bookings.count() == 1
    event.refresh_from_db()
    assert event.waitlist_counter == 0
    # The connection carries on.
    assert _capacity().rows(pk=event.pk) == [{"capacity": 4}]


def test_a_booking_is_one_round_trip_and_its_own_transaction(admin_user, authority):
    from psycopg.pq import TransactionStatus

    from regionhub.events import services

    event = make_event(admin_user, capacity=0)  # a place on the waiting list
    person = PersonFactory(organisation=authority)
    services.booking_create(actor=admin_user, event=event, person=PersonFactory())
    with _wire() as sent:
        booking = services.booking_create(actor=admin_user, event=event, person=person)
        idle = connection.connection.info.transaction_status == TransactionStatus.IDLE
    # The allocation's lock, the event's, and the decision with the booking, its audit row and
    # the counter: one query, which is its own transaction, committed as it ends; no BEGIN, no
    # COMMIT. After it, only the email (sent at once in these tests).
    assert _runs(sent)[:1] == [["EXECUTE", "EXECUTE", "EXECUTE"]]
    assert [trip for trip in sent[1:] if trip != ["SELECT"]] == []
    assert idle
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.status, stored.position) == (S.WAITLISTED, 2)
