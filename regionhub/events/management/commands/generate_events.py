"""`manage.py generate_events`: national-scale events and bookings for the benchmark.

Runs after `generate_national`, over its authorities and people. Generated events carry
`partners = "generated"`; a second run at the same scale does nothing, a run at another scale
replaces them, and `--remove` deletes them. Bookings are laid out as the services would have
given them (allocation first, then the pool, then the waiting list), so the data keeps every
rule the services keep, without going through them one booking at a time.
"""

import datetime
import random
import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from regionhub.core.pagecache import data_changed
from regionhub.directory.management.commands.generate_national import MARKER as PEOPLE_MARKER
from regionhub.directory.models import Person
from regionhub.events.models import Allocation, Booking, Event, EventSession

MARKER = "generated"
BATCH = 5000
KINDS = list(Event.Kind.values)
TOPICS = [
    "Participation",
    "Safeguarding",
    "Care leavers",
    "Practice leadership",
    "SEND",
    "Workforce",
    "Fostering",
    "Youth justice",
]


def generated_counts() -> dict[str, int]:
    events = Event.objects.filter(partners=MARKER)
    return {
        "events": events.count(),
        "bookings": Booking.objects.filter(event__partners=MARKER).count(),
    }


def remove_generated() -> None:
    with transaction.atomic():
        # Deleted first, in one statement: left to the events' cascade, half a million
        # bookings would be loaded into memory to be deleted.
        Booking.objects.filter(event__partners=MARKER).delete()
        Event.objects.filter(partners=MARKER).delete()


class Command(BaseCommand):
    help = "Generate national-scale events and bookings over the generated directory."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=5_000)
        parser.add_argument("--bookings", type=int, default=500_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--remove", action="store_true", help="Remove them and stop.")

    def handle(self, *args, events, bookings, seed, remove, **options):
        if remove:
            remove_generated()
            data_changed("events")
            self.stdout.write("Removed the generated events.")
            return
        if events < 1 or bookings < 0:
            raise CommandError("Give at least one event and zero or more bookings.")
        wanted = {"events": events, "bookings": bookings}
        existing = generated_counts()
        if existing == wanted:
            self.stdout.write(
                f"Generated events already present ({events:,} events, {bookings:,} bookings): "
                "skipping."
            )
            return
        if any(existing.values()):
            self.stdout.write(f"Generated events at another scale ({existing}): replacing them.")
            remove_generated()
        people: dict[int, list[int]] = {}
        for pk, org_id in Person.objects.filter(
            notes=PEOPLE_MARKER, organisation__is_member=True
        ).values_list("pk", "organisation_id"):
            people.setdefault(org_id, []).append(pk)
        if not people:
            raise CommandError("No generated people: run generate_national first.")
        started = time.perf_counter()
        with transaction.atomic():
            self._generate(events, bookings, people, random.Random(seed))
        data_changed("events")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE events_event, events_booking, events_allocation")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {events:,} events and {bookings:,} bookings in "
                f"{time.perf_counter() - started:.1f}s."
            )
        )

    def _generate(self, n_events: int, n_bookings: int, people, rng: random.Random) -> None:
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        authority_ids = sorted(people)
        everyone = [(pk, org) for org, pks in people.items() for pk in pks]
        per_event = [n_bookings // n_events + (i < n_bookings % n_events) for i in range(n_events)]
        # Two in five upcoming, the rest over the past three years.
        starts = [
            now
            + datetime.timedelta(days=rng.randint(-1095, -1) if i % 5 >= 2 else rng.randint(1, 365))
            for i in range(n_events)
        ]
        created = Event.objects.bulk_create(
            [
                Event(
                    kind=rng.choice(KINDS),
                    title=f"{rng.choice(TOPICS)} {KINDS[i % len(KINDS)].replace('_', ' ')} {i + 1}",
                    status=Event.Status.PUBLISHED,
                    venue="Regional venue",
                    # Every tenth event is over-subscribed, so that some people wait.
                    capacity=per_event[i] - 5 if i % 10 == 9 else per_event[i] + 20,
                    partners=MARKER,
                    starts_at=start.replace(hour=9),
                    ends_at=start.replace(hour=16),
                )
                for i, start in enumerate(starts)
            ],
            batch_size=BATCH,
        )
        EventSession.objects.bulk_create(
            [EventSession(event=e, start=e.starts_at, end=e.ends_at) for e in created],
            batch_size=BATCH,
        )
        allocations: list[Allocation] = []
        rows: list[Booking] = []
        waited: list[Event] = []
        for event, wanted in zip(created, per_event, strict=True):
            places = dict.fromkeys(rng.sample(authority_ids, min(10, len(authority_ids))), 3)
            allocations += [
                Allocation(event=event, authority_id=a, places=n) for a, n in places.items()
            ]
            pool = event.capacity - sum(places.values())
            used: Counter = Counter()
            past = event.starts_at < now
            position = 0
            for person_id, org_id in rng.sample(everyone, min(wanted, len(everyone))):
                booking = Booking(
                    event=event,
                    person_id=person_id,
                    authority_id=org_id,
                    created=event.starts_at - datetime.timedelta(days=rng.randint(1, 60)),
                )
                if used[org_id] < places.get(org_id, 0):
                    used[org_id] += 1
                    booking.source = Booking.Source.ALLOCATION
                elif pool > 0:
                    pool -= 1
                    booking.source = Booking.Source.POOL
                else:
                    position += 1
                    booking.status, booking.position = Booking.Status.WAITLISTED, position
                if not booking.status:
                    if past:
                        no_show = rng.random() < 0.1
                        booking.status = (
                            Booking.Status.NO_SHOW if no_show else Booking.Status.ATTENDED
                        )
                    else:
                        booking.status = Booking.Status.CONFIRMED
                rows.append(booking)
            if position:
                event.waitlist_counter = position
                waited.append(event)
            if len(rows) >= BATCH:
                Booking.objects.bulk_create(rows, batch_size=BATCH)
                rows = []
        Booking.objects.bulk_create(rows, batch_size=BATCH)
        Allocation.objects.bulk_create(allocations, batch_size=BATCH)
        Event.objects.bulk_update(waited, ["waitlist_counter"], batch_size=BATCH)
