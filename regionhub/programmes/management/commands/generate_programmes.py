"""National-scale programmes for `make bench`: 2,000 cohorts and 100,000 applications over the
directory's generated people, plus registrations of interest. Idempotent: a second run at the
same scale does nothing.

Cohorts are not all alike: a few popular ones, still open, draw a thousand applications each, so
that the busiest cohort page shows what paging its applications is worth; the rest share what is
left (about 45 each)."""

import datetime
import decimal
import random

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from regionhub.directory.management.commands.generate_national import MARKER
from regionhub.directory.models import Organisation, Person
from regionhub.programmes.apps import programmes_changed
from regionhub.programmes.models import Application, Cohort, CohortPlaces, Interest, Programme

PREFIX = "Generated programme "
STATUSES = [
    Application.Status.APPLIED,
    Application.Status.ENDORSED,
    Application.Status.CONFIRMED,
    Application.Status.ACCEPTED,
    Application.Status.WITHDRAWN,
]
BUSY_COHORTS = 10
BUSY_SIZE = 1000
TABLES = [Programme, Cohort, Application, Interest]


class Command(BaseCommand):
    help = "Generate national-scale programmes, cohorts and applications for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--cohorts", type=int, default=2000)
        parser.add_argument("--applications", type=int, default=100_000)
        parser.add_argument("--interest", type=int, default=10_000)
        parser.add_argument("--remove", action="store_true")

    def handle(self, *args, cohorts: int, applications: int, interest: int, remove: bool, **o):
        generated = Programme.objects.filter(title__startswith=PREFIX)
        if remove:
            self._remove(generated)
            self.stdout.write("Generated programmes removed.")
            return
        busy = self._busy_size(cohorts, applications)
        if self._signature(generated) == (cohorts, applications, interest, busy):
            self.stdout.write(f"{cohorts} cohorts and {applications} applications already there.")
            return
        self._remove(generated)
        self._generate(cohorts, applications, interest, busy)
        self._analyze()
        self.stdout.write(
            f"Generated {cohorts} cohorts, {applications} applications (the busiest {busy}) "
            f"and {interest} registrations of interest."
        )

    @staticmethod
    def _busy_size(cohorts: int, applications: int) -> int:
        """Busy cohorts only when the others still get a fair share."""
        if cohorts <= BUSY_COHORTS or applications < 2 * BUSY_COHORTS * BUSY_SIZE:
            return 0
        return BUSY_SIZE

    @staticmethod
    def _signature(generated) -> tuple[int, int, int, int]:
        mine = Application.objects.filter(cohort__programme__in=generated)
        busiest = mine.values("cohort_id").annotate(n=Count("pk")).aggregate(m=Max("n"))["m"] or 0
        return (
            Cohort.objects.filter(programme__in=generated).count(),
            mine.count(),
            Interest.objects.filter(programme__in=generated).count(),
            busiest if busiest >= BUSY_SIZE else 0,
        )

    @transaction.atomic
    def _remove(self, generated) -> None:
        """One DELETE per table: through the ORM, every row deleted would send its own signal."""
        ids = list(generated.values_list("pk", flat=True))
        if not ids:
            return
        cohort = Cohort._meta.db_table
        with connection.cursor() as cursor:
            for model, where in (
                (
                    Application,
                    f'cohort_id IN (SELECT id FROM "{cohort}" WHERE programme_id = ANY(%s))',
                ),
                (
                    CohortPlaces,
                    f'cohort_id IN (SELECT id FROM "{cohort}" WHERE programme_id = ANY(%s))',
                ),
                (Interest, "programme_id = ANY(%s)"),
                (Cohort, "programme_id = ANY(%s)"),
                (Programme, "id = ANY(%s)"),
            ):
                if connection.vendor != "postgresql":
                    where = where.replace("= ANY(%s)", f"IN ({', '.join(['%s'] * len(ids))})")
                    params = ids
                else:
                    params = [ids]
                cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE {where}', params)
        programmes_changed()

    @transaction.atomic
    def _generate(self, cohorts: int, applications: int, interest: int, busy: int) -> None:
        rng = random.Random(5)
        provider = Organisation.objects.filter(notes=MARKER).first() or Organisation.objects.first()
        people = list(
            Person.objects.filter(notes=MARKER).values_list("pk", "organisation_id")[:50_000]
        )
        if not people or provider is None:
            raise SystemExit("Run generate_national first.")
        programmes = Programme.objects.bulk_create(
            Programme(
                title=f"{PREFIX}{n + 1}",
                provider=provider,
                audience="Leaders across children's services",
                regional_price=decimal.Decimal(rng.choice([0, 600, 950, 1584])),
                direct_price=decimal.Decimal(1950),
            )
            for n in range(max(cohorts // 10, 1))
        )
        today = timezone.localdate()
        now = timezone.now()
        n_busy = BUSY_COHORTS if busy else 0
        made = Cohort.objects.bulk_create(
            Cohort(
                programme=programmes[n % len(programmes)],
                name=f"Cohort {n // len(programmes) + 1}",
                starts=today + datetime.timedelta(days=rng.randint(-5 * 365, 180)),
                places=60,
                # The popular cohorts are still taking applications.
                deadline=now
                + datetime.timedelta(
                    days=rng.randint(20, 60) if n < n_busy else rng.randint(-400, 60)
                ),
                rule=rng.choice(Cohort.Rule.values),
            )
            for n in range(cohorts)
        )
        rest = applications - n_busy * busy
        quiet = len(made) - n_busy
        rows = []
        for index, cohort in enumerate(made):
            if index < n_busy:
                count = busy
            else:
                q = index - n_busy
                count = rest // quiet + (1 if q < rest % quiet else 0)
            for person_id, org_id in rng.sample(people, min(count, len(people))):
                rows.append(
                    Application(
                        cohort=cohort,
                        person_id=person_id,
                        authority_id=org_id,
                        status=rng.choice(STATUSES),
                    )
                )
            if len(rows) >= 10_000:
                Application.objects.bulk_create(rows)
                rows = []
        Application.objects.bulk_create(rows)
        roles = [code for code, _ in Interest.Role.choices]
        per_programme = interest // len(programmes)
        interests = []
        for index, programme in enumerate(programmes):
            count = per_programme + (1 if index < interest % len(programmes) else 0)
            for person_id, org_id in rng.sample(people, min(count, len(people))):
                interests.append(
                    Interest(
                        programme=programme,
                        person_id=person_id,
                        authority_id=org_id,
                        role=rng.choice(roles),
                    )
                )
        Interest.objects.bulk_create(interests, batch_size=10_000)
        # Bulk inserts send no signal: retire every cached programme page.
        programmes_changed()

    @staticmethod
    def _analyze() -> None:
        """Fresh planner statistics, so the first pages measured use the indexes."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in TABLES:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
