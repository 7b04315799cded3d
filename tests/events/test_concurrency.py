"""Many people booking the last places at once, on PostgreSQL with real connections."""

import threading

import pytest
from django.db import connection

from regionhub.events import services
from regionhub.events.availability import event_availability
from regionhub.events.models import Booking
from tests.events.conftest import make_event, member_of
from tests.factories import OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
S = Booking.Status


def run_at_once(jobs) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait()
            result = job()
            outcome = result.status
        except services.BookingError as error:
            outcome = f"refused: {error.message}"
        except Exception as error:  # noqa: BLE001 - every other failure is reported below
            outcome = f"error: {error!r}"
        finally:
            # Each thread has its own connection; close it so that 60 of them do not linger.
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_sixty_people_booking_the_last_places(require_postgres):
    admin = UserFactory(role="regional_admin")
    dudley, sandwell = OrganisationFactory(), OrganisationFactory()
    outsiders = OrganisationFactory(kind="partner", is_member=False)
    event = make_event(admin, capacity=20)
    services.allocations_set(
        actor=admin, event=event, per_authority={dudley.pk: 10, sandwell.pk: 5}
    )
    # Dudley has 3 of its 10 left and the open pool 2 of its 5.
    for _ in range(7):
        services.booking_create(actor=admin, event=event, person=PersonFactory(organisation=dudley))
    for _ in range(3):
        services.booking_create(
            actor=admin, event=event, person=PersonFactory(organisation=outsiders)
        )
    people = [PersonFactory(organisation=dudley) for _ in range(40)]
    people += [PersonFactory(organisation=outsiders) for _ in range(20)]
    users = [UserFactory(role="member", person=p, organisation=p.organisation) for p in people]
    jobs = [
        (lambda u=u: services.booking_create(actor=u, event=event, person=u.person)) for u in users
    ]

    outcomes = run_at_once(jobs)

    assert len(outcomes) == 60
    assert not [o for o in outcomes if o.startswith(("error", "refused"))], outcomes
    assert outcomes.count(S.CONFIRMED) == 5
    assert outcomes.count(S.WAITLISTED) == 55
    mine = Booking.objects.filter(event=event, person__in=people)
    assert mine.count() == 60
    confirmed = mine.filter(status=S.CONFIRMED)
    assert confirmed.filter(source="allocation", authority=dudley).count() == 3
    assert confirmed.filter(source="pool").count() == 2
    positions = sorted(mine.filter(status=S.WAITLISTED).values_list("position", flat=True))
    assert positions == list(range(1, 56))
    availability = event_availability(event)
    assert availability.taken == 15
    assert availability.authorities[dudley.pk].allocation_left == 0
    assert availability.authorities[sandwell.pk].allocation_left == 5
    assert availability.pool_left == 0


def test_a_double_submitted_booking_makes_one_booking(require_postgres):
    admin = UserFactory(role="regional_admin")
    authority = OrganisationFactory()
    event = make_event(admin, capacity=5)
    user = member_of(authority)
    outcomes = run_at_once(
        [lambda: services.booking_create(actor=user, event=event, person=user.person)] * 10
    )
    assert outcomes.count(S.CONFIRMED) == 1
    refused = [o for o in outcomes if o != S.CONFIRMED]
    assert len(refused) == 9
    assert all("already" in o for o in refused), refused
    assert Booking.objects.filter(event=event).count() == 1


def test_cancellations_and_bookings_at_once_never_overbook(require_postgres):
    admin = UserFactory(role="regional_admin")
    authority, other = OrganisationFactory(), OrganisationFactory()
    event = make_event(admin, capacity=10)
    services.allocations_set(actor=admin, event=event, per_authority={authority.pk: 4, other.pk: 4})
    holders = [member_of(authority) for _ in range(6)] + [member_of(other) for _ in range(4)]
    bookings = [services.booking_create(actor=u, event=event, person=u.person) for u in holders]
    newcomers = [member_of(authority) for _ in range(25)] + [member_of(other) for _ in range(25)]
    jobs = [
        (lambda u=u: services.booking_create(actor=u, event=event, person=u.person))
        for u in newcomers
    ]
    jobs += [
        (lambda b=b, u=u: services.booking_cancel(actor=u, booking=b))
        for b, u in zip(bookings[:5], holders[:5], strict=True)
    ]
    outcomes = run_at_once(jobs)
    assert not [o for o in outcomes if o.startswith(("error", "refused"))], outcomes
    availability = event_availability(event)
    assert availability.taken == 10
    assert availability.authorities[authority.pk].used_allocation <= 4
    assert availability.authorities[other.pk].used_allocation <= 4
    assert Booking.objects.filter(event=event, status=S.CONFIRMED).count() == 10


def test_the_read_after_a_lock_sees_what_committed_while_waiting(require_postgres):
    """What makes `prepared.lock_then_read` safe even when both statements go to the server at
    once: the count runs after the lock is granted, on what the lock's holder committed."""
    from django.db import transaction

    from regionhub.core.prepared import lock_then_read
    from regionhub.events.services.bookings import _LOCK_EVENT, _POOL_STATE, _event_state

    admin = UserFactory(role="regional_admin")
    event = make_event(admin, capacity=5)
    person = PersonFactory()
    holding, counted, failed = threading.Event(), [], []

    def holder():
        try:
            with transaction.atomic():
                lock_then_read(_LOCK_EVENT, _POOL_STATE, event_id=event.pk, person_id=person.pk)
                Booking.objects.create(
                    event=event, person=PersonFactory(), status=S.CONFIRMED, source="pool"
                )
                holding.set()
                # Long enough for the other to be waiting on the lock before this commits.
                threading.Event().wait(0.5)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failed.append(repr(error))
        finally:
            holding.set()
            connection.close()

    def reader():
        holding.wait(timeout=30)
        try:
            with transaction.atomic():
                _, rows = lock_then_read(
                    _LOCK_EVENT, _POOL_STATE, event_id=event.pk, person_id=person.pk
                )
                counted.append(_event_state(rows).pool_used)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failed.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed, failed
    assert counted == [1]


def _form_posts(admin, event, authority, people) -> list:
    """One job per person: the coordinator's booking form POSTed for them, each from a client
    of its own; the outcome is the answer's status code."""
    from types import SimpleNamespace

    from django.test import Client
    from django.urls import reverse

    url = reverse("events:authority-places", args=[event.pk, authority.pk])
    jobs = []
    for person in people:
        client = Client()
        client.force_login(admin)

        def post(client=client, person=person):
            response = client.post(url, {"action": "book", "book-person": person.pk})
            page = response.content.decode() if response.status_code == 200 else ""
            return SimpleNamespace(status=f"{response.status_code} {'already' in page}")

        jobs.append(post)
    return jobs


@pytest.fixture
def booked_at_once(monkeypatch) -> list:
    """The bookings the quick way made (`decided.book_colleague`), one entry each."""
    from regionhub.events.services import decided

    made: list = []
    book = decided.book_colleague

    def counting(**kwargs):
        booked = book(**kwargs)
        if booked is not None:
            made.append(booked.booking.pk)
        return booked

    monkeypatch.setattr(decided, "book_colleague", counting)
    return made


def test_the_places_form_books_the_last_places_at_once(require_postgres, booked_at_once):
    """Through the form as it runs, one round trip from the keys (`booking_create_colleague`):
    40 colleagues of one authority at once for its last 3 places and the pool's last 2."""
    admin = UserFactory(role="regional_admin")
    dudley, outsiders = OrganisationFactory(), OrganisationFactory(kind="partner", is_member=False)
    event = make_event(admin, capacity=20)
    services.allocations_set(actor=admin, event=event, per_authority={dudley.pk: 10})
    for _ in range(7):
        services.booking_create(actor=admin, event=event, person=PersonFactory(organisation=dudley))
    for _ in range(8):
        services.booking_create(
            actor=admin, event=event, person=PersonFactory(organisation=outsiders)
        )
    people = [PersonFactory(organisation=dudley) for _ in range(40)]

    outcomes = run_at_once(_form_posts(admin, event, dudley, people))

    assert outcomes == ["302 False"] * 40
    assert len(booked_at_once) == 40
    mine = Booking.objects.filter(event=event, person__in=people)
    assert mine.count() == 40
    confirmed = mine.filter(status=S.CONFIRMED)
    assert confirmed.filter(source="allocation", authority=dudley).count() == 3
    assert confirmed.filter(source="pool").count() == 2
    positions = sorted(mine.filter(status=S.WAITLISTED).values_list("position", flat=True))
    assert positions == list(range(1, 36))
    assert event_availability(event).taken == 20


def test_the_places_form_submitted_ten_times_at_once_books_once(require_postgres, booked_at_once):
    admin = UserFactory(role="regional_admin")
    authority = OrganisationFactory()
    event = make_event(admin, capacity=5)
    person = PersonFactory(organisation=authority)

    outcomes = run_at_once(_form_posts(admin, event, authority, [person] * 10))

    # One booked; the nine others shown the form again, saying the person already has a place.
    assert sorted(outcomes) == ["200 True"] * 9 + ["302 False"]
    assert len(booked_at_once) == 1
    assert Booking.objects.filter(event=event).count() == 1
