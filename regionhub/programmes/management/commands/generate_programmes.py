"""National-scale programmes for `make bench`: 2,000 cohorts and 100,000 applications over the
directory's generated people. Idempotent: a second run at the same scale does nothing."""

import datetime
import decimal
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from regionhub.directory.management.commands.generate_national import MARKER
from regionhub.directory.models import Organisation, Person
from regionhub.programmes.models import Application, Cohort, Programme

PREFIX = "Generated programme "
STATUSES = [
    Application.Status.APPLIED,
    Application.Status.ENDORSED,
    Application.Status.CONFIRMED,
    Application.Status.ACCEPTED,
    Application.Status.WITHDRAWN,
]


class Command(BaseCommand):
    help = "Generate national-scale programmes, cohorts and applications for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--cohorts", type=int, default=2000)
        parser.add_argument("--applications", type=int, default=100_000)
        parser.add_argument("--remove", action="store_true")

    def handle(self, *args, cohorts: int, applications: int, remove: bool, **options):
        generated = Programme.objects.filter(title__startswith=PREFIX)
        if remove:
            Application.objects.filter(cohort__programme__in=generated).delete()
            generated.delete()
            self.stdout.write("Generated programmes removed.")
            return
        have = (
            Cohort.objects.filter(programme__in=generated).count(),
            Application.objects.filter(cohort__programme__in=generated).count(),
        )
        if have == (cohorts, applications):
            self.stdout.write(f"{cohorts} cohorts and {applications} applications already there.")
            return
        Application.objects.filter(cohort__programme__in=generated).delete()
        generated.delete()
        self._generate(cohorts, applications)
        self.stdout.write(f"Generated {cohorts} cohorts and {applications} applications.")

    @transaction.atomic
    def _generate(self, cohorts: int, applications: int) -> None:
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
        made = Cohort.objects.bulk_create(
            Cohort(
                programme=programmes[n % len(programmes)],
                name=f"Cohort {n // len(programmes) + 1}",
                starts=today + datetime.timedelta(days=rng.randint(-5 * 365, 180)),
                places=60,
                deadline=now + datetime.timedelta(days=rng.randint(-400, 60)),
                rule=rng.choice(Cohort.Rule.values),
            )
            for n in range(cohorts)
        )
        per_cohort = applications // len(made)
        rows = []
        for index, cohort in enumerate(made):
            count = per_cohort + (1 if index < applications % len(made) else 0)
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
