"""Generate 20 years of inspections for every generated authority, for benchmarks.

Rows are written with `bulk_create` rather than through the services (as `generate_national`
does for the directory): tens of thousands of audited, validated writes one by one would take
minutes, and the generator builds valid inspections by construction. Every generated authority
gets the same history whatever the run, so a second run finds it there and skips.
"""

import datetime
import random

from django.core.management.base import BaseCommand
from django.db import transaction

from regionhub.core.pagecache import data_changed
from regionhub.directory.management.commands.generate_national import MARKER
from regionhub.directory.models import Organisation, today
from regionhub.inspections.models import Framework, Grade, Inspection, Judgement, JudgementArea
from regionhub.inspections.services import CACHE_NAMESPACE

GRADES = [Grade.OUTSTANDING, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]
WEIGHTS = [2, 5, 3, 1]


class Command(BaseCommand):
    help = "Generate 20 years of inspections for every generated authority; skips when present."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)

    @transaction.atomic
    def handle(self, *args, years, seed, **options):
        authorities = list(Organisation.objects.filter(notes=MARKER, is_member=True).order_by("pk"))
        done = set(
            Inspection.objects.filter(authority__in=authorities).values_list(
                "authority_id", flat=True
            )
        )
        todo = [a for a in authorities if a.pk not in done]
        if not todo:
            self.stdout.write(f"Inspections already generated for {len(authorities)} authorities.")
            return
        frameworks = list(Framework.objects.filter(family="ilacs").prefetch_related("areas"))
        areas = {a.code: a for a in JudgementArea.objects.all()}
        rng = random.Random(seed)
        first = today().replace(year=today().year - years, month=1, day=1)
        inspections, grades = [], []
        for authority in todo:
            day = first + datetime.timedelta(days=rng.randint(0, 900))
            while day < today():
                framework = max(
                    (f for f in frameworks if f.valid_from <= day), key=lambda f: f.valid_from
                )
                end = day + datetime.timedelta(days=rng.choice([4, 11]))
                published = end + datetime.timedelta(days=rng.randint(35, 70))
                inspection = Inspection(
                    authority=authority,
                    type=Inspection.Type.ILACS_STANDARD,
                    framework=framework,
                    start=day,
                    end=end,
                    published=published if published <= today() else None,
                )
                inspections.append(inspection)
                overall = rng.choices(GRADES, WEIGHTS)[0]
                for area in framework.areas.all():
                    if area.scale != "grade":
                        continue
                    grade = overall if area.code == "overall" else rng.choices(GRADES, WEIGHTS)[0]
                    grades.append((inspection, areas[area.code], grade))
                day = published + datetime.timedelta(days=rng.randint(700, 1400))
        Inspection.objects.bulk_create(inspections, batch_size=2000)
        Judgement.objects.bulk_create(
            (Judgement(inspection=i, area=a, grade=g) for i, a, g in grades), batch_size=5000
        )
        data_changed(CACHE_NAMESPACE)
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {len(inspections):,} inspections and {len(grades):,} judgements "
                f"for {len(todo)} authorities."
            )
        )
