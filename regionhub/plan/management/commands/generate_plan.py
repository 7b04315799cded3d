"""National-scale regional priority plans for `make bench`: 400 initiatives across the
directory's generated regions, with their milestones and a status update about every month.

Sponsors are the generated networks' officer posts or an authority's director post, boards the
generated networks' groups when `generate_networks` has run, lead officers generated people.
Rows are written with `bulk_create`; generated initiatives carry `summary = MARKER`, so a second
run at the same scale does nothing, a run at another scale replaces them, and `--remove`
deletes them.
"""

import datetime
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from regionhub.core.pagecache import data_changed
from regionhub.directory.management.commands.generate_national import MARKER
from regionhub.directory.models import Organisation, Person, Post, today
from regionhub.networks.models import Group
from regionhub.plan.apps import CACHE_NAMESPACE
from regionhub.plan.models import Initiative, Milestone, Rag, StatusUpdate

BATCH = 5000
TOPICS = [
    "Regional Care Leaver Offer",
    "Safe Centre",
    "Agency social worker MoU",
    "Child sexual abuse response pathway",
    "Collective work on AI",
    "Foster carer recruitment hub",
    "Residential sufficiency",
    "Leadership development",
    "Shared practice standards",
    "Family help pathfinder",
    "Unaccompanied children dispersal",
    "Secure welfare beds",
    "SEND transport review",
    "Regional data observatory",
    "Exploitation response",
]
MILESTONES = [
    "Business case agreed",
    "Funding secured",
    "Project manager appointed",
    "Partners signed up",
    "Pilot launched",
    "Evaluation published",
    "Rolled out across the region",
    "Handed over to business as usual",
]
NARRATIVES = {
    Rag.GREEN: ["On track.", "Milestone reached as planned.", "Partners engaged and on schedule."],
    Rag.AMBER: [
        "Some delay; a recovery plan is agreed.",
        "Waiting on a funding decision.",
        "Capacity is stretched; the board is asked for support.",
    ],
    Rag.RED: [
        "Blocked: the site fell through.",
        "No project lead since the last update.",
        "Funding withdrawn; options go to the board.",
    ],
}


class Generator:
    def __init__(self, *, initiatives: int, seed: int):
        self.n = initiatives
        self.rng = random.Random(seed)
        self.today = today()

    def regions(self) -> list[tuple[str, list[int], list[int], list[int]]]:
        """(region, sponsor posts, boards, lead officers) for each generated region."""
        networks = list(
            Organisation.objects.filter(notes=MARKER, kind=Organisation.Kind.NETWORK).order_by(
                "name"
            )
        )
        if not networks:
            raise CommandError("Run generate_national first: there are no generated regions.")
        found = []
        for network in networks:
            region = network.name.split("(", 1)[-1].rstrip(")")
            authorities = Organisation.objects.filter(
                notes=MARKER, is_member=True, name__endswith=f"({region})"
            )
            sponsors = list(
                Post.objects.filter(organisation=network, title__startswith="DCS Sponsor")
                .values_list("pk", flat=True)
                .order_by("pk")
            ) + list(
                Post.objects.filter(organisation__in=authorities, category=Post.Category.DIRECTOR)
                .values_list("pk", flat=True)
                .order_by("pk")
            )
            boards = list(
                Group.objects.filter(name__endswith=f"({region})", children__isnull=False)
                .distinct()
                .values_list("pk", flat=True)
                .order_by("pk")
            )
            leads = list(
                Person.objects.filter(organisation__in=authorities)
                .values_list("pk", flat=True)
                .order_by("pk")[:300]
            )
            found.append((region, sponsors, boards, leads))
        return found

    @transaction.atomic
    def run(self) -> dict[str, int]:
        rng = self.rng
        regions = self.regions()
        specs = []
        for n in range(self.n):
            region, sponsors, boards, leads = regions[n % len(regions)]
            k = n // len(regions)
            topic = TOPICS[k % len(TOPICS)]
            phase = k // len(TOPICS)
            start = self.today - datetime.timedelta(days=rng.randint(60, 5 * 365))
            planned_end = start + datetime.timedelta(days=rng.randint(365, 5 * 365))
            specs.append(
                Initiative(
                    title=f"{topic}{f', phase {phase + 1}' if phase else ''} ({region})",
                    summary=MARKER,
                    sponsor_post_id=rng.choice(sponsors) if sponsors else None,
                    board_id=rng.choice(boards) if boards else None,
                    lead_officer_id=rng.choice(leads) if leads else None,
                    start=start,
                    planned_end=planned_end,
                )
            )
        initiatives = Initiative.objects.bulk_create(specs, batch_size=BATCH)
        milestones, updates = [], []
        for initiative in initiatives:
            span = (initiative.planned_end - initiative.start).days
            count = rng.randint(3, len(MILESTONES))
            for i, title in enumerate(MILESTONES[:count]):
                due = initiative.start + datetime.timedelta(days=span * (i + 1) // (count + 1))
                late = rng.choice([0, 0, 0, 14, 45, 120])
                done = due + datetime.timedelta(days=late)
                milestones.append(
                    Milestone(
                        initiative=initiative,
                        title=title,
                        due=due,
                        done=done if done <= self.today else None,
                    )
                )
            rag = rng.choice([Rag.GREEN, Rag.GREEN, Rag.AMBER])
            day = initiative.start + datetime.timedelta(days=rng.randint(20, 45))
            last = min(self.today, initiative.planned_end)
            while day <= last:
                # Ratings drift: mostly unchanged, sometimes a step better or worse.
                roll = rng.random()
                if roll < 0.12:
                    rag = {Rag.GREEN: Rag.AMBER, Rag.AMBER: Rag.RED, Rag.RED: Rag.RED}[rag]
                elif roll < 0.3:
                    rag = {Rag.RED: Rag.AMBER, Rag.AMBER: Rag.GREEN, Rag.GREEN: Rag.GREEN}[rag]
                updates.append(
                    StatusUpdate(
                        initiative=initiative,
                        date=day,
                        rag=rag,
                        narrative=rng.choice(NARRATIVES[rag]),
                    )
                )
                day += datetime.timedelta(days=rng.randint(25, 40))
        Milestone.objects.bulk_create(milestones, batch_size=BATCH)
        StatusUpdate.objects.bulk_create(updates, batch_size=BATCH)
        return {
            "initiatives": len(initiatives),
            "milestones": len(milestones),
            "status updates": len(updates),
        }


def generated() -> int:
    return Initiative.objects.filter(summary=MARKER).count()


@transaction.atomic
def remove_generated() -> None:
    """Plain DELETEs: a queryset delete would load every update to send its signal. The cache is
    invalidated once, by the caller."""
    ids = f"SELECT id FROM {Initiative._meta.db_table} WHERE summary = %s"
    with connection.cursor() as cursor:
        for model in (StatusUpdate, Milestone):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE initiative_id IN ({ids})", [MARKER]
            )
        cursor.execute(f"DELETE FROM {Initiative._meta.db_table} WHERE summary = %s", [MARKER])


class Command(BaseCommand):
    help = (
        "Generate national-scale regional priority plans for benchmarks: initiatives, milestones "
        f"and status updates, marked summary='{MARKER}'. Skips when already there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--initiatives", type=int, default=400)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--remove", action="store_true", help="Remove the generated data.")

    def handle(self, *args, initiatives, seed, remove, **options):
        if remove:
            remove_generated()
            data_changed(CACHE_NAMESPACE)
            self.stdout.write("Removed the generated plan.")
            return
        if initiatives < 1:
            raise CommandError("There must be at least one initiative.")
        existing = generated()
        if existing == initiatives:
            self.stdout.write(f"{initiatives} generated initiatives already present: skipping.")
            return
        if existing:
            self.stdout.write(f"{existing} generated initiatives at another scale: replacing them.")
            remove_generated()
        started = time.perf_counter()
        counts = Generator(initiatives=initiatives, seed=seed).run()
        # bulk_create sends no signals, so the cached overview is invalidated here.
        data_changed(CACHE_NAMESPACE)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Initiative, Milestone, StatusUpdate):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.stdout.write(
            self.style.SUCCESS(
                "Generated "
                + ", ".join(f"{n:,} {what}" for what, n in counts.items())
                + f" in {time.perf_counter() - started:.1f}s."
            )
        )
