"""Demo events: the region's past events with attendance, and upcoming ones to try booking on.

Runs after the directory demo and uses its authorities and people. Upcoming events are dated
from today, so the demo always has something to book.
"""

import datetime
import decimal
import zoneinfo

from django.db import transaction
from django.utils import timezone

from regionhub.accounts.models import User
from regionhub.directory import services as directory_services
from regionhub.directory.demo import ADMIN_EMAIL
from regionhub.directory.models import Organisation, Person

from . import services
from .models import Booking, Event, FeedbackAnswer, FeedbackQuestion, FeedbackSubmission

LONDON = zoneinfo.ZoneInfo("Europe/London")
MARKER = "Participation Leads Conference"


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def _day(date: datetime.date, start: tuple[int, int], end: tuple[int, int]):
    return (_at(date, *start), _at(date, *end))


PAST = [
    {
        "title": "PSW conference: trauma-informed practice and supervision",
        "kind": Event.Kind.CONFERENCE,
        "audience": "Principal social workers and practice leads",
        "venue": "Birmingham",
        "capacity": 80,
        "date": datetime.date(2023, 6, 22),
    },
    {
        "title": MARKER,
        "kind": Event.Kind.CONFERENCE,
        "audience": "Participation leads and managers",
        "venue": "Worcestershire County Cricket Club, New Road, Worcester",
        "capacity": 120,
        "date": datetime.date(2024, 9, 24),
        "host": "Worcestershire",
    },
    {
        "title": "Big Thinking 24",
        "kind": Event.Kind.CONFERENCE,
        "audience": "Leaders across children's services; limited places per authority",
        "venue": "Birmingham",
        "capacity": 96,
        "allocation": 6,
        "date": datetime.date(2024, 11, 12),
    },
    {
        "title": "Safeguarding Conference",
        "kind": Event.Kind.CONFERENCE,
        "audience": "IROs and CP chairs",
        "venue": "Birmingham",
        "capacity": 100,
        "date": datetime.date(2024, 11, 28),
    },
    {
        "title": "Parents' voice co-production event",
        "kind": Event.Kind.WORKSHOP,
        "audience": "Practitioners working with parents, and parents with lived experience",
        "venue": "Telford",
        "capacity": 60,
        "date": datetime.date(2025, 4, 1),
        "host": "Telford & Wrekin",
    },
    {
        "title": "Participation training (online)",
        "kind": Event.Kind.TRAINING,
        "audience": "Practitioners new to participation work",
        "online_url": "https://meet.example.org/participation-training",
        "capacity": 40,
        "date": datetime.date(2025, 4, 2),
    },
]

DEMO_STAFF = ["Practitioner A (demo)", "Practitioner B (demo)", "Practitioner C (demo)"]


def _org(short_name: str) -> Organisation:
    return Organisation.objects.get(short_name=short_name)


def _staff(admin: User, authority: Organisation) -> list[Person]:
    people = list(authority.people.order_by("pk")[:6])
    for name in DEMO_STAFF:
        if len(people) >= 4:
            break
        people.append(
            directory_services.person_create(
                actor=admin,
                data={
                    "name": f"{name}, {authority.short_name or authority.name}",
                    "organisation": authority,
                },
                allow_duplicate=True,
            )
        )
    return people


def _past_event(admin: User, spec: dict, authorities: list[Organisation]) -> Event:
    start, end = _day(spec["date"], (9, 30), (16, 0))
    data = {k: v for k, v in spec.items() if k not in {"date", "allocation", "host"}}
    if "host" in spec:
        data["host"] = _org(spec["host"])
    event = services.event_create(actor=admin, data=data, sessions=[(start, end)])
    services.event_publish(actor=admin, event=event)
    if "allocation" in spec:
        services.allocations_set(actor=admin, event=event, same_for_all=spec["allocation"])
    # Past events are history: their bookings are recorded as they stood after the day, which
    # the booking services rightly refuse for an event that has already happened.
    bookings = []
    for n, authority in enumerate(authorities):
        for m, person in enumerate(authority.demo_staff[:3]):
            status = Booking.Status.NO_SHOW if (n + m) % 7 == 3 else Booking.Status.ATTENDED
            bookings.append(
                Booking(
                    event=event,
                    person=person,
                    authority=authority,
                    status=status,
                    source=Booking.Source.ALLOCATION
                    if "allocation" in spec
                    else Booking.Source.POOL,
                    booked_by=admin,
                    created=start - datetime.timedelta(days=30 - n),
                )
            )
    Booking.objects.bulk_create(bookings)
    rating = FeedbackQuestion.objects.create(
        event=event, kind=FeedbackQuestion.Kind.RATING, text="How useful was the day?", order=1
    )
    text = FeedbackQuestion.objects.create(
        event=event,
        kind=FeedbackQuestion.Kind.TEXT,
        text="One thing you will do differently",
        order=2,
    )
    choice = FeedbackQuestion.objects.create(
        event=event,
        kind=FeedbackQuestion.Kind.CHOICE,
        text="Which part helped you most?",
        choices="\n".join(CHOICES),
        order=3,
    )
    _feedback(event, bookings, rating, text, choice)
    return event


CHOICES = ["The keynote", "The workshops", "Time with colleagues from other authorities"]
DEMO_ANSWERS = [
    "Book reflective supervision into the team diary",
    "Share the slides with my team and try the tools in supervision",
    "Ask young people to help plan our next review meetings",
    "",
    "Link up with colleagues in a neighbouring authority",
]


def _feedback(event, bookings, rating, text, choice) -> None:
    """Anonymous answers from about two in three of those who attended."""
    attended = [b for b in bookings if b.status == Booking.Status.ATTENDED]
    answered = [b for n, b in enumerate(attended) if n % 3 != 2]
    FeedbackSubmission.objects.bulk_create(
        FeedbackSubmission(event=event, person=b.person) for b in answered
    )
    answers = []
    for n, _ in enumerate(answered):
        answers.append(FeedbackAnswer(question=rating, rating=(5, 4, 4, 3, 5, 2)[n % 6]))
        answers.append(FeedbackAnswer(question=choice, value=CHOICES[(n * 2) % 3 if n % 4 else 1]))
        if DEMO_ANSWERS[n % len(DEMO_ANSWERS)]:
            answers.append(FeedbackAnswer(question=text, value=DEMO_ANSWERS[n % len(DEMO_ANSWERS)]))
    FeedbackAnswer.objects.bulk_create(answers)


def _upcoming(admin: User, authorities: list[Organisation]) -> list[Event]:
    today = timezone.localdate()
    events = []
    # A small workshop: one place per authority and two in the pool. Dudley's place and the
    # pool are already taken, so the demo member joins the waiting list, and the Dudley
    # coordinator can cancel a place and watch it move.
    workshop = services.event_create(
        actor=admin,
        data={
            "title": "Care leavers' offer workshop",
            "kind": Event.Kind.WORKSHOP,
            "audience": "Leaving care managers and personal advisers",
            "venue": "Council House, Telford",
            "capacity": len(authorities) + 2,
            "price": decimal.Decimal("0"),
            "host": _org("Telford & Wrekin"),
        },
        sessions=[_day(today + datetime.timedelta(days=14), (10, 0), (13, 0))],
    )
    services.event_publish(actor=admin, event=workshop)
    services.allocations_set(actor=admin, event=workshop, same_for_all=1)
    dudley = next(a for a in authorities if a.short_name == "Dudley")
    dudley_staff = [p for p in dudley.demo_staff if p.name != "Karen Graham"]
    services.booking_create(actor=admin, event=workshop, person=dudley_staff[0])
    for authority in authorities:
        if authority.short_name in {"Walsall", "Solihull"}:
            for person in authority.demo_staff[:2]:
                services.booking_create(actor=admin, event=workshop, person=person)
    events.append(workshop)

    bite_sized = services.event_create(
        actor=admin,
        data={
            "title": "IROC bite-sized sessions",
            "kind": Event.Kind.TRAINING,
            "audience": "IROs and CP chairs",
            "online_url": "https://meet.example.org/iroc-bite-sized",
            "capacity": 200,
        },
        sessions=[
            (
                *_day(today + datetime.timedelta(days=7 * (i + 1)), (12, 30), (12, 45)),
                f"Part {i + 1}",
            )
            for i in range(4)
        ],
    )
    services.event_publish(actor=admin, event=bite_sized)
    events.append(bite_sized)

    masterclass = services.event_create(
        actor=admin,
        data={
            "title": "Leadership masterclass series",
            "kind": Event.Kind.MASTERCLASS,
            "audience": "Assistant directors and heads of service",
            "venue": "Birmingham",
            "capacity": 48,
            "price": decimal.Decimal("95.00"),
            "release_at": _at(today + datetime.timedelta(days=20), 0),
        },
        sessions=[
            (
                *_day(today + datetime.timedelta(days=30 * (i + 1)), (9, 30), (12, 30)),
                f"Masterclass {i + 1}",
            )
            for i in range(3)
        ],
    )
    services.event_publish(actor=admin, event=masterclass)
    services.allocations_set(actor=admin, event=masterclass, same_for_all=3)
    events.append(masterclass)
    return events


@transaction.atomic
def load_demo_data() -> str:
    """Load the events demo unless it is there already; returns a one-line summary."""
    if Event.objects.filter(title=MARKER).exists():
        return "Events demo already loaded; nothing changed."
    admin = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if admin is None:
        return "Events demo not loaded: load the directory demo first."
    authorities = list(services.member_authorities())
    for authority in authorities:
        authority.demo_staff = _staff(admin, authority)
    for spec in PAST:
        _past_event(admin, spec, authorities)
    upcoming = _upcoming(admin, authorities)
    bookings = Booking.objects.count()
    return (
        f"Events demo loaded: {len(PAST)} past and {len(upcoming)} upcoming events, "
        f"{bookings} bookings."
    )
