"""`manage.py generate_subscribers`: one mailing list of confirmed subscribers for benchmarks.

Generated addresses are `bench-000001@bench.regionhub.example` and so on (a reserved domain
that reaches no inbox), all confirmed on the list `bench`. Idempotent: a second run at the same
count does nothing; another count adds or removes generated subscribers to match. `--remove`
deletes them and the list. Touches only the mailing tables.
"""

import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from regionhub.mailing.models import MailingList, Subscriber, Subscription

LIST_SLUG = "bench"
DOMAIN = "bench.regionhub.example"
CHUNK = 5000


def address(n: int) -> str:
    return f"bench-{n:06d}@{DOMAIN}"


def generated():
    return Subscriber.objects.filter(email__endswith=f"@{DOMAIN}")


class Command(BaseCommand):
    help = "Make (or keep) a list of N confirmed subscribers for the mailing benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--remove", action="store_true")

    def handle(self, *args, count: int, remove: bool, **options):
        started = time.perf_counter()
        if remove:
            deleted = generated().delete()[0]
            MailingList.objects.filter(slug=LIST_SLUG, campaigns__isnull=True).delete()
            self.stdout.write(f"Removed {deleted} generated rows.")
            return
        mailing_list, _ = MailingList.objects.get_or_create(
            slug=LIST_SLUG,
            defaults={
                "name": "Benchmark list",
                "public": False,
                "description": "Generated subscribers for the mailing benchmark.",
            },
        )
        existing = generated().count()
        confirmed = Subscription.objects.filter(
            mailing_list=mailing_list,
            status=Subscription.Status.CONFIRMED,
            subscriber__email__endswith=f"@{DOMAIN}",
        ).count()
        if existing == count and confirmed == count:
            self.stdout.write(f"{count} generated subscribers already there; nothing changed.")
            return
        with transaction.atomic():
            if existing > count:
                generated().filter(email__gt=address(count)).delete()
            have = set(generated().values_list("email", flat=True))
            missing = [address(n) for n in range(1, count + 1) if address(n) not in have]
            now = timezone.now()
            for start in range(0, len(missing), CHUNK):
                Subscriber.objects.bulk_create(
                    Subscriber(email=email, name=f"Reader {email[6:12].lstrip('0')}")
                    for email in missing[start : start + CHUNK]
                )
            on_list = Subscription.objects.filter(mailing_list=mailing_list)
            on_list.filter(subscriber__email__endswith=f"@{DOMAIN}").exclude(
                status=Subscription.Status.CONFIRMED
            ).update(status=Subscription.Status.CONFIRMED, confirmed_at=now)
            subscribed = set(on_list.values_list("subscriber_id", flat=True))
            ids = [pk for pk in generated().values_list("pk", flat=True) if pk not in subscribed]
            for start in range(0, len(ids), CHUNK):
                Subscription.objects.bulk_create(
                    Subscription(
                        mailing_list=mailing_list,
                        subscriber_id=pk,
                        status=Subscription.Status.CONFIRMED,
                        source=Subscription.Source.ADMIN,
                        consent_note="Generated for the benchmark.",
                        confirmed_at=now,
                    )
                    for pk in ids[start : start + CHUNK]
                )
        self.stdout.write(
            f"{count} generated subscribers on {mailing_list.name} "
            f"({len(missing)} added) in {time.perf_counter() - started:.1f}s."
        )
