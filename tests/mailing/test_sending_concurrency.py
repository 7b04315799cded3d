"""Several workers at once on PostgreSQL, each with its own connection: no delivery is claimed
by two of them, and with a real SMTP server every recipient gets the issue exactly once."""

import threading
import time

import pytest
from django.core.mail import get_connection
from django.db import connection

from regionhub.mailing import sending
from regionhub.mailing.models import Campaign, Delivery
from regionhub.mailing.tasks import Transport, Worker
from tests.factories import UserFactory

from .factories import MailingListFactory
from .sending_helpers import FakeRenderer, publish_issue, subscribe
from .smtp_sink import Sink

pytestmark = pytest.mark.django_db(transaction=True)
D = Delivery.Status


def in_threads(count: int, job) -> list:
    """Run job(n) in `count` threads started together; return their results or errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(n):
        try:
            barrier.wait()
            results[n] = job(n)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def campaign_with(count: int, **options) -> Campaign:
    import datetime

    admin = UserFactory(role="regional_admin")
    mailing_list = MailingListFactory()
    subscribe(mailing_list, count)
    issue = publish_issue(admin, datetime.date(2024, 7, 1))
    campaign = sending.campaign_create(
        actor=admin, issue=issue, mailing_list=mailing_list, **options
    )
    sending.campaign_start(actor=admin, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


@pytest.mark.parametrize("rate", [0, 600_000])
def test_concurrent_claims_never_overlap(require_postgres, rate):
    campaign = campaign_with(400, rate_per_minute=rate)

    def claimer(n):
        mine = []
        while True:
            claim = sending.deliveries_claim(campaign=campaign, worker=f"w{n}", limit=7)
            if not claim.deliveries and not claim.wait:
                return mine
            for d in claim.deliveries:
                mine.append(d.id)
                sending.delivery_sent(delivery_id=d.id)

    claimed = in_threads(6, claimer)

    everything = [pk for mine in claimed for pk in mine]
    assert len(everything) == len(set(everything)) == 400
    assert sum(1 for mine in claimed if mine) >= 2  # they really did share the work
    assert set(campaign.deliveries.values_list("status", flat=True)) == {D.SENT}
    # Each row was claimed by the worker that sent it.
    owner = dict(campaign.deliveries.values_list("pk", "claimed_by"))
    for n, mine in enumerate(claimed):
        assert {owner[pk] for pk in mine} <= {f"w{n}"}


def test_three_workers_send_each_message_exactly_once(require_postgres):
    campaign = campaign_with(600)
    with Sink() as sink:

        def work(n):
            transport = Transport(
                get_connection(
                    "django.core.mail.backends.smtp.EmailBackend",
                    host="127.0.0.1",
                    port=sink.port,
                    timeout=10,
                )
            )
            worker = Worker(name=f"w{n}", batch_size=20, renderer=FakeRenderer(), poll=0.05)
            worker.transport = transport
            worker.transport.stats = worker.stats
            return worker.run(exit_when_done=True)

        stats = in_threads(3, work)

    emails = set(campaign.deliveries.values_list("email", flat=True))
    assert dict(sink.received) == dict.fromkeys(emails, 1)
    assert sum(s.sent for s in stats) == 600
    assert sink.handler.connections == 3  # one each, reused for every message
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FINISHED


def test_a_sent_record_is_confirmed_only_once_committed_and_the_wait_is_asleep(require_postgres):
    campaign = campaign_with(1)
    (delivery,) = campaign.deliveries.all()
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        # Another session holds the row, so the record's UPDATE waits for it.
        from django.db import transaction

        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().get(pk=delivery.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    assert locked.wait(10)
    records = sending.SentRecords()
    records.record(delivery_id=delivery.pk)  # returns at once, the UPDATE still waiting
    threading.Timer(0.5, release.set).start()
    wall, cpu = time.monotonic(), time.process_time()
    records.confirm()
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    holder.join()

    assert wall >= 0.3  # it waited for the holder to let go
    assert cpu < 0.15  # asleep meanwhile, not polling
    delivery.refresh_from_db()
    assert delivery.status == D.SENT
