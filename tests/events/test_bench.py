"""The events bench data: the right size, every booking rule kept, idempotent, removable."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from regionhub.events import bench
from regionhub.events.availability import events_availability
from regionhub.events.models import Booking, Event

pytestmark = pytest.mark.django_db


def generate(**scale) -> str:
    out = StringIO()
    call_command("generate_events", stdout=out, **scale)
    return out.getvalue()


@pytest.fixture
def national(db):
    call_command(
        "generate_national",
        people=600,
        appointments=600,
        authorities=12,
        regions=3,
        stdout=StringIO(),
        stderr=StringIO(),
    )


def test_generates_at_scale_keeping_the_rules(national):
    generate(events=30, bookings=900)
    events = list(Event.objects.filter(partners="generated"))
    assert len(events) == 30
    assert Booking.objects.count() == 900
    availability = events_availability(events)
    waited = 0
    for event in events:
        places = availability[event.pk]
        assert places.taken <= event.capacity
        for authority in places.authorities.values():
            assert authority.used_allocation <= authority.allocated
        waiting = list(event.bookings.waiting().values_list("position", flat=True))
        assert waiting == list(range(1, len(waiting) + 1))
        assert event.waitlist_counter == len(waiting)
        waited += len(waiting)
    assert waited > 0
    assert "skipping" in generate(events=30, bookings=900)
    assert "replacing" in generate(events=10, bookings=100)
    assert Booking.objects.count() == 100
    generate(remove=True)
    assert not Event.objects.exists() and not Booking.objects.exists()


def test_needs_the_national_directory(db):
    with pytest.raises(Exception, match="generate_national first"):
        generate(events=2, bookings=4)


def test_targets_are_signed_in_pages_with_goals(national):
    generate(events=10, bookings=100)
    assert bench.generate_commands({}) == [["generate_events"]]
    found = {t["name"]: t for t in bench.targets()}
    assert set(found) == {"event-list", "event-page"}
    busiest = Event.objects.get(pk=int(found["event-page"]["path"].strip("/").split("/")[-1]))
    assert busiest.starts_at > busiest.created
    assert all(t["user"] == bench.BENCH_USER and t["p95_goal_ms"] == 50 for t in found.values())


def test_booking_bench_prepares_an_event_and_checks_what_the_run_left(national, client):
    from regionhub.events.management.commands import bench_bookings

    call_command("bench_users", stdout=StringIO())
    plan = bench_bookings.prepare(clients=4, capacity=20)
    assert len(plan["work"]) == 4 and plan["allocated"] == 4
    event = Event.objects.get(pk=plan["event"])
    # The coordinator's booking form, as the load driver sends it: session, CSRF, form fields.
    client.cookies.load(plan["cookie"])
    job = plan["work"][0]
    for person in job["people"][:3]:
        response = client.post(
            f"/events/{event.pk}/places/{job['authority']}/",
            {"action": "book", "book-person": person},
            HTTP_X_CSRFTOKEN=plan["csrf"],
        )
        assert response.status_code == 302
    state = bench_bookings.check(plan["event"], plan["floor"])
    assert state["bookings"] == 3 and state["overbooked"] == 0 and state["duplicates"] == 0
    # Over capacity is caught.
    Event.objects.filter(pk=event.pk).update(capacity=2)
    assert bench_bookings.check(plan["event"], plan["floor"])["overbooked"] == 1
    # A second prepare starts afresh.
    again = bench_bookings.prepare(clients=2, capacity=20)
    assert not Event.objects.filter(pk=event.pk).exists()
    assert Event.objects.filter(pk=again["event"]).exists()


@pytest.mark.urls("regionhub.bench_urls")
def test_booking_floor_inserts_one_row(client, admin_user):
    from tests.events.conftest import make_event

    event = make_event(admin_user)
    assert client.get(f"/bench/events/floor/{event.pk}/").status_code == 405
    response = client.post(f"/bench/events/floor/{event.pk}/")
    assert response.status_code == 200
    assert event.bookings.get().status == Booking.Status.RESERVED
    # Served through the same middleware as every page, so the comparison is fair.
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_booking_bench_counts_cpu_of_processes_alive_at_the_end():
    from regionhub.events.management.commands.bench_bookings import (
        _cpu_seconds,
        _database_backends,
        _used_since,
    )

    # 7 started in between and counts from zero; 9 ended and is lost.
    assert _used_since({5: 1.0, 9: 4.0}, {5: 1.5, 7: 0.25}) == 0.75
    assert _database_backends("sqlite:///var/bench.sqlite3")() == []
    assert _database_backends("postgres://db.example/regionhub")() == []
    import os

    mine = _cpu_seconds([os.getpid()])
    assert set(mine) <= {os.getpid()}


def test_booking_bench_clients_carry_on_across_slices():
    from urllib.parse import parse_qs

    from regionhub.events.management.commands.bench_bookings import booking_requests

    job = {"authority": 7, "people": [11, 12, 13]}
    on_event, on_warmup = booking_requests(5, {"Cookie": "x"}), booking_requests(6, {})
    first_slice = [on_event(job, n) for n in range(2)]
    assert on_warmup(job, 0)[1] == "action=book&book-person=11"  # each event has its own turn
    # A new slice starts counting its requests from 0 again; the client still goes on.
    path, body, headers, expected = on_event(job, 0)
    assert [parse_qs(r[1])["book-person"] for r in first_slice] == [["11"], ["12"]]
    assert (path, parse_qs(body)["book-person"], expected) == ("/events/5/places/7/", ["13"], 302)
    assert headers == {"Cookie": "x"}
    assert on_event(job, 1) is None


def test_booking_bench_adds_up_slices_of_a_phase():
    from collections import Counter

    from regionhub.events.management.commands.bench_bookings import Run

    phase = Run()
    for ok, seconds, cpu in ((10, 2.0, 0.5), (30, 2.0, 1.5)):
        part = Run()
        part.add([1.0] * ok, ok, Counter({"HTTP 500": 1}))
        part.elapsed_s, part.cpu = seconds, {"server": cpu}
        phase.extend(part)
    assert (phase.ok, phase.elapsed_s, phase.throughput) == (40, 4.0, 10.0)
    assert phase.cpu_ms("server") == 50.0
    assert phase.errors == Counter({"HTTP 500": 2}) and len(phase.latencies_ms) == 40


@pytest.mark.urls("regionhub.bench_urls")
def test_booking_profile_books_through_the_request_handler(national):
    from regionhub.directory.bench import ADMIN_EMAIL
    from regionhub.events.management.commands import bench_bookings

    call_command("bench_users", stdout=StringIO())
    # As Django's test client does: the test's transaction must outlive each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        report = bench_bookings.profile(clients=4, capacity=20, count=10)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    event = Event.objects.get(title=bench_bookings.TITLE)
    # Ten bookings went through the coordinator's form (as many went to the warm-up event
    # first); what the samples name depends on where the clock ticked (cpuprofile's tests).
    assert event.bookings.count() == 10
    assert event.bookings.filter(booked_by__email__iexact=ADMIN_EMAIL).count() == 10
    assert report.startswith("CPU per request in this process, single-threaded: floor ")
    assert "Share in which each function was the one running:" in report
