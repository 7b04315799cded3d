"""The booking form: a fixed number of queries however many bookings an event has, decisions
taken on the event as committed once the lock is held, and the compiled statements it uses."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import task_enqueued
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.models import AuditEntry
from regionhub.core.prepared import Prepared, PreparedInsert, PreparedUpdate
from regionhub.directory.models import Person
from regionhub.events import forms, selectors, services, tasks
from regionhub.events.models import Booking, Event
from regionhub.events.services import bookings as booking_services
from regionhub.events.services import decided
from tests.events.conftest import make_event
from tests.factories import OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Booking.Status

# What a booking POST costs, in statements, by where the place comes from. On PostgreSQL the
# database decides (`services.decided`), whatever the outcome, and the form reads nothing
# before it (`services.booking_create_colleague`): the session with its user, then, sent
# together, the allocation's lock (when the person has an authority), the event's lock unless
# the allocation has room, and the decision with the booking, its audit row and (when tasks are
# queued in the database, as they are not in these tests) the email's task row. Elsewhere:
# the session with its user, the event, the colleague with their authority; then the
# allocation's lock and a count; the event's lock and a count when the pool or the waiting list
# is needed (and the waiting list's counter); the booking and its audit row. Either way inside
# a transaction. The email's task is enqueued after the commit here, so it is not counted:
# these tests run inside a transaction that never commits.
TRANSACTION = 2  # BEGIN and COMMIT; SAVEPOINT and RELEASE inside these tests' transaction
if connection.vendor == "postgresql":
    BEFORE_LOCK = 1
    ALLOCATION = POOL = WAITING_LIST = BEFORE_LOCK + TRANSACTION + 3
    NO_AUTHORITY = BEFORE_LOCK + TRANSACTION + 2
else:
    BEFORE_LOCK = 3
    ALLOCATION = BEFORE_LOCK + TRANSACTION + 2 + 2
    POOL = ALLOCATION + 2
    WAITING_LIST = POOL + 1
    NO_AUTHORITY = BEFORE_LOCK + TRANSACTION + 2 + 2  # no allocation: the event's lock at once


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="only on PostgreSQL")


def _statements(queries) -> list[str]:
    """The first word of every statement run; on PostgreSQL a lock and the read after it go to
    the server together (`prepared.lock_then_read`), in one logged query. A statement is
    prepared on the server in the round trip of its first run on a connection (see
    `TestPreparedOnTheServer`): such a PREPARE is not one more statement a booking costs."""
    return [
        first
        for q in queries
        for statement in q["sql"].split(";\n")
        if (first := statement.split()[0].upper()) != "PREPARE"
    ]


def _count(queries) -> int:
    return len(_statements(queries.captured_queries))


@pytest.fixture(autouse=True)
def _content_types_cached(db):
    """Audit rows name the booking's content type, cached after the first lookup."""
    ContentType.objects.get_for_model(Booking)


@pytest.fixture
def places(admin_user, authority, other_authority):
    """Two places for `authority`, one in the pool, and a crowd of its colleagues."""
    event = make_event(admin_user, capacity=3)
    services.allocations_set(
        actor=admin_user, event=event, per_authority={authority.pk: 2, other_authority.pk: 0}
    )
    return event


def _book(client, event, authority, person):
    return client.post(
        reverse("events:authority-places", args=[event.pk, authority.pk]),
        {"action": "book", "book-person": person.pk},
    )


def test_booking_form_costs_the_same_however_many_bookings(client, admin_user, places, authority):
    # Bookings of other people on the event, most of them waiting, must not change the count.
    for _ in range(25):
        services.booking_create(
            actor=admin_user, event=places, person=PersonFactory(organisation=None)
        )
    colleagues = [PersonFactory(organisation=authority) for _ in range(6)]
    client.force_login(admin_user)
    counts = []
    for person in colleagues:
        with CaptureQueriesContext(connection) as queries:
            response = _book(client, places, authority, person)
        assert response.status_code == 302
        counts.append(_count(queries))
        statements = _statements(queries.captured_queries)
        # The lock is taken after everything that can be read without it.
        assert statements.index("SAVEPOINT") == BEFORE_LOCK, statements
    # Two from the allocation; the pool is already full (an outsider took its place and 24
    # wait), so four go to the waiting list, at a fixed cost.
    assert places.bookings.filter(person__in=colleagues, status=S.CONFIRMED).count() == 2
    assert counts[:2] == [ALLOCATION] * 2
    assert counts[2:] == [WAITING_LIST] * 4


@on_postgresql
def test_round_trips_on_postgresql(client, admin_user, places, authority):
    """Statements sent together count once: the locks with the decision and the booking."""
    client.force_login(admin_user)
    person = PersonFactory(organisation=authority)
    with CaptureQueriesContext(connection) as queries:
        _book(client, places, authority, person)
    assert places.bookings.get().source == Booking.Source.ALLOCATION
    assert len(queries.captured_queries) == ALLOCATION - 2


def test_each_form_keeps_its_own_colleagues(authority):
    person = PersonFactory(organisation=authority)
    first, second = (
        forms.ColleagueForm({"book-person": person.pk}, prefix="book", authority_id=authority.pk)
        for _ in range(2)
    )
    first.fields["person"].looked_up[person.pk] = None  # as if not found with the event
    assert not first.is_valid()
    assert second.is_valid() and second.cleaned_data["person"] == person


def test_pool_booking_cost(client, admin_user, places, other_authority):
    """`other_authority` has no allocation of its own: its lock is looked for and not found
    (the count that would follow it is run all the same, and ignored)."""
    client.force_login(admin_user)
    person = PersonFactory(organisation=other_authority)
    with CaptureQueriesContext(connection) as queries:
        _book(client, places, other_authority, person)
    assert places.bookings.get().source == Booking.Source.POOL
    assert _count(queries) == POOL


def test_pool_after_the_allocation_cost(client, admin_user, places, authority):
    for _ in range(2):
        services.booking_create(
            actor=admin_user, event=places, person=PersonFactory(organisation=authority)
        )
    client.force_login(admin_user)
    person = PersonFactory(organisation=authority)
    with CaptureQueriesContext(connection) as queries:
        _book(client, places, authority, person)
    assert places.bookings.get(person=person).source == Booking.Source.POOL
    assert _count(queries) == POOL


def test_booking_someone_outside_the_authorities_goes_straight_to_the_pool(admin_user, places):
    person = PersonFactory(organisation=OrganisationFactory(kind="partner", is_member=False))
    with CaptureQueriesContext(connection) as queries:
        booking = services.booking_create(actor=admin_user, event=places, person=person)
    assert booking.source == Booking.Source.POOL and booking.authority_id is None
    assert _count(queries) == NO_AUTHORITY - BEFORE_LOCK


def test_a_coordinator_costs_one_query_more(client, places, coordinator, authority):
    client.force_login(coordinator)
    person = PersonFactory(organisation=authority)
    with CaptureQueriesContext(connection) as queries:
        _book(client, places, authority, person)
    assert places.bookings.get().status == S.CONFIRMED
    assert _count(queries) == ALLOCATION + 1


def test_booking_writes_its_audit_row(client, admin_user, places, authority):
    client.force_login(admin_user)
    _book(client, places, authority, PersonFactory(organisation=authority, name="Ann Lee"))
    booking = places.bookings.get()
    entry = AuditEntry.objects.get(action="events.booking.created", object_id=str(booking.pk))
    assert entry.actor == admin_user
    assert entry.after["status"] == S.CONFIRMED and entry.after["source"] == "allocation"
    assert entry.object_repr == f"Ann Lee – {places.title}"


def test_the_audit_row_is_the_one_audit_record_writes(admin_user, places, authority):
    booking = services.booking_create(
        actor=admin_user, event=places, person=PersonFactory(organisation=authority)
    )
    written = AuditEntry.objects.get(action="events.booking.created")
    expected = audit_record(
        actor=admin_user, action="events.booking.created", obj=booking, after=snapshot(booking)
    )
    expected.refresh_from_db()
    fields = [
        f.attname for f in AuditEntry._meta.concrete_fields if f.name not in ("id", "created")
    ]
    assert [getattr(written, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert written.created is not None


def test_booking_for_an_unknown_authority_is_404(client, admin_user, places, authority):
    client.force_login(admin_user)
    person = PersonFactory(organisation=authority)
    response = client.post(
        reverse("events:authority-places", args=[places.pk, 999_999]),
        {"action": "book", "book-person": person.pk},
    )
    assert response.status_code == 404
    assert not places.bookings.exists()


def test_a_colleague_from_elsewhere_is_refused_keeping_the_page(
    client, admin_user, places, authority, other_authority
):
    client.force_login(admin_user)
    colleague = PersonFactory(organisation=authority, name="Ada Colleague")
    stranger = PersonFactory(organisation=other_authority, name="Sam Stranger")
    response = _book(client, places, authority, stranger)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a colleague from the list" in page
    # The form is shown again with the authority's own people to choose from.
    assert f'value="{colleague.pk}"' in page and "Ada Colleague" in page
    assert "Sam Stranger" not in page
    assert not places.bookings.exists()


@pytest.mark.parametrize("value", ["abc", "-1", "0", "99999999999999999999999", "1.5"])
def test_a_bad_colleague_id_is_a_form_error(client, admin_user, places, authority, value):
    client.force_login(admin_user)
    response = client.post(
        reverse("events:authority-places", args=[places.pk, authority.pk]),
        {"action": "book", "book-person": value},
    )
    assert response.status_code == 200
    assert "Choose a colleague from the list" in response.content.decode()


def test_booking_a_draft_is_404_but_for_admins(client, admin_user, coordinator, authority):
    draft = make_event(admin_user, publish=False)
    person = PersonFactory(organisation=authority)
    client.force_login(coordinator)
    assert _book(client, draft, authority, person).status_code == 404
    client.force_login(admin_user)
    response = _book(client, draft, authority, person)
    assert response.status_code == 200
    assert "not open for booking yet" in response.content.decode()
    assert not draft.bookings.exists()


def test_booking_an_unknown_event_is_404(client, admin_user, authority):
    client.force_login(admin_user)
    response = client.post(
        reverse("events:authority-places", args=[999_999, authority.pk]),
        {"action": "book", "book-person": PersonFactory(organisation=authority).pk},
    )
    assert response.status_code == 404


class TestCompiledReads:
    def test_the_event_to_book_is_the_event(self, admin_user, coordinator, places):
        event = selectors.event_to_book(coordinator, places.pk)
        assert event is not None
        fresh = Event.objects.get(pk=places.pk)
        for field in Event._meta.concrete_fields:
            assert getattr(event, field.attname) == getattr(fresh, field.attname), field.name
        assert not event._state.adding
        assert selectors.event_to_book(coordinator, 999_999) is None
        draft = make_event(admin_user, publish=False)
        assert selectors.event_to_book(coordinator, draft.pk) is None
        assert selectors.event_to_book(admin_user, draft.pk) == draft

    def test_a_colleague_comes_with_their_organisation(self, authority, other_authority):
        person = PersonFactory(organisation=authority, name="Ann Lee")
        with CaptureQueriesContext(connection) as queries:
            found = selectors.colleague(authority.pk, person.pk)
            assert found == person and found.name == "Ann Lee"
            assert found.organisation == authority
            assert found.organisation.name == authority.name
        assert _count(queries) == 1
        assert selectors.colleague(other_authority.pk, person.pk) is None
        assert selectors.colleague(authority.pk, 999_999) is None

    def test_the_event_and_the_colleague_read_together(
        self, admin_user, coordinator, places, authority, other_authority
    ):
        person = PersonFactory(organisation=authority)
        event, found = selectors.event_and_colleague(
            coordinator, places.pk, authority_id=authority.pk, person_id=person.pk
        )
        assert event == selectors.event_to_book(coordinator, places.pk)
        assert event.title == places.title and event.capacity == places.capacity
        assert found == person and found.organisation == authority
        assert selectors.event_and_colleague(
            coordinator, 999_999, authority_id=other_authority.pk, person_id=person.pk
        ) == (None, None)
        draft = make_event(admin_user, publish=False)
        assert selectors.event_and_colleague(
            coordinator, draft.pk, authority_id=authority.pk, person_id=person.pk
        ) == (None, person)


def test_the_event_as_committed_decides_not_the_callers_copy(admin_user, authority):
    """A caller holding an old copy of the event: it was cancelled, or its release moment came,
    after the copy was read. The booking follows the event as it is when the lock is held."""
    event = make_event(admin_user, capacity=3)
    services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 2})
    outsider = PersonFactory(organisation=None)
    services.booking_create(actor=admin_user, event=event, person=outsider)  # the pool's place
    stale = Event.objects.get(pk=event.pk)
    # The release moment passes: the authority's two unused places join the pool.
    Event.objects.filter(pk=event.pk).update(release_at=timezone.now() - datetime.timedelta(1))
    late = services.booking_create(
        actor=admin_user, event=stale, person=PersonFactory(organisation=None)
    )
    assert late.status == S.CONFIRMED and late.source == Booking.Source.POOL
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    with pytest.raises(services.BookingError, match="cancelled"):
        services.booking_create(
            actor=admin_user, event=stale, person=PersonFactory(organisation=authority)
        )


def test_waiting_list_positions_follow_the_counter(admin_user):
    event = make_event(admin_user, capacity=0)
    Event.objects.filter(pk=event.pk).update(waitlist_counter=F("waitlist_counter") + 5)
    first, second = (
        services.booking_create(actor=admin_user, event=event, person=PersonFactory())
        for _ in range(2)
    )
    assert (first.position, second.position) == (6, 7)
    event.refresh_from_db()
    assert event.waitlist_counter == 7


def test_a_duplicate_the_checks_miss_is_refused_by_the_database(admin_user, authority, monkeypatch):
    # The checks in Python, which SQLite runs (on PostgreSQL the database decides).
    monkeypatch.setattr(decided, "available", lambda using="default": False)
    event = make_event(admin_user, capacity=5)
    person = PersonFactory(organisation=authority)
    services.booking_create(actor=admin_user, event=event, person=person)
    # As if a second request had read the event before the first one's booking was there.
    monkeypatch.setattr(booking_services, "_refuse_duplicate", lambda person, status: None)
    with pytest.raises(services.BookingError, match="already has a booking") as refused:
        services.booking_create(actor=admin_user, event=event, person=person)
    assert refused.value.code == "duplicate"
    assert event.bookings.count() == 1
    assert AuditEntry.objects.filter(action="events.booking.created").count() == 1
    # The surrounding transaction is still usable.
    assert Booking.objects.filter(event=event).exists()


class TestPrepared:
    def test_runs_like_the_queryset_it_compiles(self, admin_user):
        events = [make_event(admin_user, title=f"Event {n}", capacity=n) for n in range(3)]
        prepared = Prepared(
            lambda pk, capacity: (
                Event.objects.filter(pk=pk, capacity__gte=capacity)
                .order_by()
                .values("title", "starts_at", "capacity")
            ),
            "pk",
            "capacity",
        )
        for event in events:
            for capacity in (0, 2):
                expected = list(
                    Event.objects.filter(pk=event.pk, capacity__gte=capacity)
                    .order_by()
                    .values("title", "starts_at", "capacity")
                )
                assert prepared.rows(pk=event.pk, capacity=capacity) == expected
        # Values come back converted as a queryset gives them, on every database.
        row = prepared.rows(pk=events[1].pk, capacity=0)[0]
        assert isinstance(row["starts_at"], datetime.datetime) and row["starts_at"].tzinfo

    def test_an_update_changes_what_the_queryset_update_would(self, admin_user):
        events = [make_event(admin_user, capacity=n) for n in (1, 2)]
        update = PreparedUpdate(
            lambda pk, n: (Event.objects.filter(pk=pk), {"waitlist_counter": n}), "pk", "n"
        )
        update.run(pk=events[0].pk, n=7)
        update.run(pk=events[0].pk, n=8)
        counters = dict(
            Event.objects.filter(pk__in=[e.pk for e in events]).values_list(
                "pk", "waitlist_counter"
            )
        )
        assert counters == {events[0].pk: 8, events[1].pk: 0}

    def test_an_argument_the_query_does_not_use_is_an_error(self):
        prepared = Prepared(
            lambda pk, unused: Event.objects.filter(pk=pk).values("pk"), "pk", "unused"
        )
        with pytest.raises(ValueError, match="unused"):
            prepared.rows(pk=1, unused=2)

    def test_an_insert_stores_what_save_would(self, admin_user, authority):
        event = make_event(admin_user, capacity=4)
        person = PersonFactory(organisation=authority)
        insert = PreparedInsert(Booking)
        for n in range(2):
            booking = Booking(event=event, person=person if n else None, status=S.RESERVED)
            insert.save(booking)
            assert booking.pk is not None and not booking._state.adding
            stored = Booking.objects.get(pk=booking.pk)
            for field in Booking._meta.concrete_fields:
                assert getattr(stored, field.attname) == getattr(booking, field.attname)
        entry = AuditEntry(action="a.b", object_id="1", object_repr="x", after={"n": [1, "a"]})
        entry.content_type = ContentType.objects.get_for_model(Booking)
        PreparedInsert(AuditEntry).save(entry)
        stored_entry = AuditEntry.objects.get(pk=entry.pk)
        # auto_now_add is filled in as save() fills it.
        assert stored_entry.created == entry.created and entry.created is not None
        assert stored_entry.after == {"n": [1, "a"]}

    def test_an_insert_is_a_plain_save_when_saves_are_listened_to(self, admin_user):
        from django.db.models.signals import post_save

        event = make_event(admin_user, capacity=4)
        heard = []

        def listener(sender, instance, created, **kwargs):
            heard.append((instance.pk, created))

        post_save.connect(listener, sender=Booking)
        try:
            booking = Booking(event=event, status=S.RESERVED)
            PreparedInsert(Booking).save(booking)
        finally:
            post_save.disconnect(listener, sender=Booking)
        assert heard == [(booking.pk, True)]

    def test_booking_state_counts_what_is_committed(self, admin_user, authority):
        event = make_event(admin_user, capacity=4)
        services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 3})
        booker = UserFactory(role="regional_admin")
        people = [PersonFactory(organisation=authority) for _ in range(2)]
        for person in people:
            services.booking_create(actor=booker, event=event, person=person)
        services.booking_create(actor=booker, event=event, person=PersonFactory(organisation=None))
        other = OrganisationFactory()
        state = booking_services._event_state(
            booking_services._ALLOCATION_STATE.rows(
                event_id=event.pk, person_id=people[0].pk, authority_id=authority.pk
            )
        )
        assert (state.existing, state.used) == (S.CONFIRMED, 2)
        stranger = PersonFactory(organisation=other)
        state = booking_services._event_state(
            booking_services._POOL_STATE.rows(event_id=event.pk, person_id=stranger.pk)
        )
        assert (state.existing, state.allocated, state.pool_used, state.pool_left) == (
            None,
            3,
            1,
            0,
        )


@pytest.fixture
def queue_in_database(settings):
    """Tasks queued in the database, as in production, instead of run at once."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def _task_fields(row: DBTaskResult) -> dict:
    row.refresh_from_db()
    return {
        f.attname: getattr(row, f.attname)
        for f in DBTaskResult._meta.concrete_fields
        if f.name not in ("id", "enqueued_at")
    }


@pytest.mark.usefixtures("queue_in_database")
class TestEmailQueuedWithTheBooking:
    @on_postgresql
    def test_the_task_row_is_the_one_enqueue_writes(
        self, client, admin_user, places, authority, django_capture_on_commit_callbacks
    ):
        client.force_login(admin_user)
        person = PersonFactory(organisation=authority)
        heard = []

        def listener(sender, task_result, **kwargs):
            heard.append(task_result)

        task_enqueued.connect(listener)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                with CaptureQueriesContext(connection) as queries:
                    _book(client, places, authority, person)
                assert DBTaskResult.objects.count() == 1  # before the commit
        finally:
            task_enqueued.disconnect(listener)
        booking = places.bookings.get()
        # In the booking's own statement, and nothing enqueued again after the commit.
        assert _count(queries) == ALLOCATION
        (row,) = DBTaskResult.objects.all()
        assert row.enqueued_at is not None and row.status == "READY"
        assert [(r.id, r.args) for r in heard] == [(str(row.id), [booking.pk, "confirmed"])]
        expected = tasks.send_booking_email.enqueue(booking.pk, "confirmed").db_result
        assert _task_fields(row) == _task_fields(expected)
        assert row.args_kwargs == {"args": [booking.pk, "confirmed"], "kwargs": {}}

    @on_postgresql
    def test_the_worker_sends_the_email(self, admin_user, places, authority, mailoutbox):
        person = PersonFactory(organisation=authority, email="ann@example.org")
        services.booking_create(actor=admin_user, event=places, person=person)
        row = DBTaskResult.objects.ready().get_locked()
        row.claim("worker")
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="worker",
            excluded_queue_names=[],
        ).run_task(row)
        row.refresh_from_db()
        assert row.status == "SUCCESSFUL" and row.return_value is True
        (message,) = mailoutbox
        assert message.to == ["ann@example.org"] and places.title in message.subject

    @pytest.mark.parametrize("in_the_database", [False, True])
    def test_a_refused_booking_queues_nothing(
        self, admin_user, places, authority, monkeypatch, in_the_database
    ):
        if in_the_database and not decided.available():
            pytest.skip("the database decides only on PostgreSQL")
        if not in_the_database:
            monkeypatch.setattr(decided, "available", lambda using="default": False)
        person = PersonFactory(organisation=authority)
        with transaction.atomic():
            services.booking_create(actor=admin_user, event=places, person=person)
        queued = DBTaskResult.objects.count()
        if not in_the_database:
            # As if the checks had missed it: the database's constraint refuses it.
            monkeypatch.setattr(booking_services, "_refuse_duplicate", lambda *args: None)
        with pytest.raises(services.BookingError, match="already has"):
            services.booking_create(actor=admin_user, event=places, person=person)
        assert DBTaskResult.objects.count() == queued
        assert AuditEntry.objects.filter(action="events.booking.created").count() == 1

    def test_elsewhere_the_task_is_enqueued_after_the_commit(
        self, admin_user, places, authority, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            booking = services.booking_create(
                actor=admin_user, event=places, person=PersonFactory(organisation=authority)
            )
        (row,) = DBTaskResult.objects.all()
        assert row.args_kwargs == {"args": [booking.pk, "confirmed"], "kwargs": {}}
        entry = AuditEntry.objects.get(action="events.booking.created")
        assert entry.object_id == str(booking.pk)


def test_without_a_database_queue_the_email_waits_for_the_commit(
    admin_user, places, authority, django_capture_on_commit_callbacks, mailoutbox
):
    person = PersonFactory(organisation=authority, email="bo@example.org")
    with django_capture_on_commit_callbacks() as callbacks:
        services.booking_create(actor=admin_user, event=places, person=person)
    assert not mailoutbox and not DBTaskResult.objects.exists()
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [["bo@example.org"]]


def _two_events_alike(admin_user, authority, other_authority, capacity, **data) -> list[Event]:
    """Two events of `capacity` places, half of them for `authority` and one for the other."""
    events = []
    for _ in range(2):
        event = make_event(admin_user, capacity=capacity, **data)
        if capacity:
            services.allocations_set(
                actor=admin_user,
                event=event,
                per_authority={authority.pk: capacity // 2, other_authority.pk: 1},
            )
        events.append(event)
    return events


@on_postgresql
@pytest.mark.parametrize("capacity", [0, 2, 5])
def test_the_database_decides_as_python_does(admin_user, authority, other_authority, capacity):
    """The same bookings, in the same order, on two events alike: one decided by the database
    (`services.decided`), one by `_book_before_release`. Every outcome is the same."""
    third = OrganisationFactory(kind="council", is_member=True)  # no allocation at all
    people = [
        *(PersonFactory(organisation=authority) for _ in range(4)),
        *(PersonFactory(organisation=other_authority) for _ in range(2)),
        PersonFactory(organisation=third),
        PersonFactory(organisation=None),
    ]
    order = [0, 4, 6, 1, 7, 2, 5, 3, 0, 7]  # two of them a second time

    def outcomes(event, in_the_database: bool) -> list[tuple]:
        results = []
        for n in order:
            with pytest.MonkeyPatch.context() as patch:
                if not in_the_database:
                    patch.setattr(decided, "available", lambda using="default": False)
                try:
                    booking = services.booking_create(
                        actor=admin_user, event=event, person=people[n]
                    )
                except services.BookingError as error:
                    results.append(("refused", error.code, error.message))
                else:
                    results.append((booking.status, booking.source, booking.position))
        stored = list(
            event.bookings.order_by("pk").values_list(
                "person_id", "authority_id", "status", "source", "position", "booked_by_id"
            )
        )
        event.refresh_from_db()
        return [results, stored, event.waitlist_counter]

    events = _two_events_alike(admin_user, authority, other_authority, capacity)
    assert decided.available()
    assert outcomes(events[0], True) == outcomes(events[1], False)


@on_postgresql
def test_the_database_refuses_as_python_does(admin_user, authority):
    """Closed, not yet open, started, cancelled: the same error either way."""
    now = timezone.now()
    cases = [
        {"booking_closes": now - datetime.timedelta(hours=1)},
        {"booking_opens": now + datetime.timedelta(days=1)},
        {"status": Event.Status.CANCELLED},
        {"status": Event.Status.DRAFT},
    ]
    for changes in cases:
        messages = []
        for in_the_database in (True, False):
            event = make_event(admin_user, capacity=3)
            Event.objects.filter(pk=event.pk).update(**changes)
            with pytest.MonkeyPatch.context() as patch:
                if not in_the_database:
                    patch.setattr(decided, "available", lambda using="default": False)
                with pytest.raises(services.BookingError) as refused:
                    services.booking_create(
                        actor=admin_user, event=event, person=PersonFactory(organisation=authority)
                    )
            messages.append((refused.value.code, refused.value.message))
            assert not event.bookings.exists()
        assert messages[0] == messages[1], changes


def _without(values: dict, *names: str) -> dict:
    return {k: v for k, v in values.items() if k not in names}


def _stored(event) -> list:
    """Everything a booking stores, but keys and times: the bookings, their audit rows, the
    waiting list's counter."""
    bookings = list(
        event.bookings.order_by("pk").values_list(
            "person_id", "authority_id", "status", "source", "position", "booked_by_id"
        )
    )
    audit = [
        (
            entry.actor_id,
            entry.object_repr,
            _without(entry.after, "created", "event"),
        )
        for entry in AuditEntry.objects.filter(
            action="events.booking.created",
            object_id__in=[str(pk) for pk in event.bookings.values_list("pk", flat=True)],
        ).order_by("pk")
    ]
    event.refresh_from_db()
    return [bookings, audit, event.waitlist_counter]


@on_postgresql
@pytest.mark.parametrize("capacity", [0, 2, 5])
def test_a_colleague_booked_at_once_is_booked_as_booking_create_would(
    admin_user, authority, other_authority, capacity
):
    """The same colleagues, in the same order, on two events alike: one booked with only the
    keys (`booking_create_colleague`), one with `booking_create`. The same bookings, audit rows
    and waiting list; a booking the quick way cannot make (here, the same person again) is
    left to `booking_create`, with nothing stored."""
    people = [
        *(
            # Names long enough for the audit row to keep only their first 300 characters.
            PersonFactory(organisation=authority, name=f"Colleague {n} " + "x" * 150)
            for n in range(4)
        ),
        *(PersonFactory(organisation=other_authority) for _ in range(2)),
    ]
    order = [0, 4, 1, 2, 5, 3, 0, 4]

    quick: list[bool] = []  # for each booking sent the quick way: was it made so?

    def outcomes(event, at_once: bool) -> list:
        results = []
        for n in order:
            person = people[n]
            booked = None
            if at_once:
                booked = services.booking_create_colleague(
                    actor=admin_user,
                    event_id=event.pk,
                    person_id=person.pk,
                    authority_id=person.organisation_id,
                )
                quick.append(booked is not None)
            if booked is not None:
                assert booked.name == person.name
                booking = booked.booking
            else:
                try:
                    booking = services.booking_create(actor=admin_user, event=event, person=person)
                except services.BookingError as error:
                    results.append(("refused", error.code))
                    continue
            results.append((booking.status, booking.source, booking.position))
        return [results, *_stored(event)]

    events = _two_events_alike(admin_user, authority, other_authority, capacity, title="T" * 200)
    assert outcomes(events[0], True) == outcomes(events[1], False)
    # All but the second booking of the same person were made the quick way.
    assert quick == [True] * 6 + [False] * 2


@on_postgresql
def test_a_colleague_booked_at_once_queues_the_same_email(admin_user, authority, queue_in_database):
    event = make_event(admin_user, capacity=1)
    person = PersonFactory(organisation=authority)
    booked = services.booking_create_colleague(
        actor=admin_user, event_id=event.pk, person_id=person.pk, authority_id=authority.pk
    )
    assert booked is not None
    (row,) = DBTaskResult.objects.all()
    assert row.args_kwargs == {"args": [booked.booking.pk, "confirmed"], "kwargs": {}}
    assert row.task_path == tasks.send_booking_email.module_path


@on_postgresql
class TestWhatBookingAtOnceLeavesToBookingCreate:
    """Each case returns None and stores nothing; `booking_create` then says what is wrong."""

    def _at_once(self, actor, event, person, authority):
        def stored():
            counter = Event.objects.filter(pk=event.pk).values_list("waitlist_counter")
            return Booking.objects.count(), AuditEntry.objects.count(), list(counter)

        before = stored()
        booked = services.booking_create_colleague(
            actor=actor, event_id=event.pk, person_id=person.pk, authority_id=authority.pk
        )
        return booked, before == stored()

    def test_a_person_from_another_authority(self, admin_user, places, authority, other_authority):
        stranger = PersonFactory(organisation=other_authority)
        assert self._at_once(admin_user, places, stranger, authority) == (None, True)

    @pytest.mark.parametrize(
        "organisation",
        [{"kind": "council", "is_member": False}, {"kind": "partner", "is_member": True}],
    )
    def test_an_organisation_that_is_not_a_member_authority(self, admin_user, places, organisation):
        elsewhere = OrganisationFactory(**organisation)
        person = PersonFactory(organisation=elsewhere)
        assert self._at_once(admin_user, places, person, elsewhere) == (None, True)
        # Booked the careful way, they go to the pool with no authority.
        booking = services.booking_create(actor=admin_user, event=places, person=person)
        assert booking.authority_id is None and booking.source == Booking.Source.POOL

    def test_no_such_person_or_event(self, admin_user, places, authority):
        person = PersonFactory(organisation=authority)
        assert self._at_once(admin_user, places, Person(pk=999_999), authority) == (None, True)
        assert self._at_once(admin_user, Event(pk=999_999), person, authority)[0] is None
        assert not Booking.objects.exists()

    @pytest.mark.parametrize(
        "changes",
        [
            {"status": Event.Status.DRAFT},
            {"status": Event.Status.CANCELLED},
            {"booking_closes": "past"},
            {"booking_opens": "future"},
            {"release_at": "past"},
        ],
    )
    def test_an_event_the_rules_refuse_or_released(self, admin_user, places, authority, changes):
        now = timezone.now()
        when = {
            "past": now - datetime.timedelta(hours=1),
            "future": now + datetime.timedelta(days=1),
        }
        Event.objects.filter(pk=places.pk).update(**{k: when.get(v, v) for k, v in changes.items()})
        person = PersonFactory(organisation=authority)
        assert self._at_once(admin_user, places, person, authority) == (None, True)

    def test_a_person_already_booked(self, admin_user, places, authority):
        person = PersonFactory(organisation=authority)
        services.booking_create(actor=admin_user, event=places, person=person)
        assert self._at_once(admin_user, places, person, authority) == (None, True)

    def test_an_actor_who_does_not_manage_the_authority(
        self, places, coordinator, authority, other_authority
    ):
        person = PersonFactory(organisation=other_authority)
        assert self._at_once(coordinator, places, person, other_authority) == (None, True)
        assert self._at_once(UserFactory(role="member"), places, person, other_authority) == (
            None,
            True,
        )
        # Their own authority's colleague is booked.
        colleague = PersonFactory(organisation=authority)
        booked, _ = self._at_once(coordinator, places, colleague, authority)
        assert booked is not None and booked.booking.status == S.CONFIRMED


@pytest.mark.skipif(connection.vendor == "postgresql", reason="elsewhere than PostgreSQL")
def test_elsewhere_nothing_is_booked_at_once(admin_user, places, authority):
    person = PersonFactory(organisation=authority)
    assert (
        services.booking_create_colleague(
            actor=admin_user, event_id=places.pk, person_id=person.pk, authority_id=authority.pk
        )
        is None
    )
    assert not Booking.objects.exists()


def test_the_holding_places_index_covers_exactly_the_statuses_holding_a_place():
    """Every booking counts the places taken through this partial index; a status added to
    `Booking.HOLDING` and not to the index would make those counts read the whole table."""
    (index,) = [i for i in Booking._meta.indexes if i.name == "booking_holding_places"]
    ((lookup, statuses),) = index.condition.children
    assert lookup == "status__in" and set(statuses) == set(Booking.HOLDING)
