"""Campaign services: who may send, the frozen audience, the admin actions and their audit rows,
claiming (skips at claim time, leases, the shared rate limit) and the automatic pause."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from regionhub.core.models import AuditEntry
from regionhub.mailing import sending
from regionhub.mailing.models import Campaign, Delivery, Subscription, Suppression
from regionhub.newsletter import services as newsletter
from tests.factories import UserFactory

from .factories import MailingListFactory, SubscriberFactory, SubscriptionFactory
from .sending_helpers import FakeClock, publish_issue, started, subscribe

D = Delivery.Status
S = Campaign.Status


def actions(campaign) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(campaign.pk), action__startswith="mailing.campaign")
        .order_by("pk")
        .values_list("action", flat=True)
    )


# Who may send ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_only_regional_admins_create_and_start(role, published_issue, main_list, admin_user):
    user = UserFactory(role=role)
    with pytest.raises(PermissionDenied):
        sending.campaign_create(actor=user, issue=published_issue, mailing_list=main_list)
    campaign = sending.campaign_create(
        actor=admin_user, issue=published_issue, mailing_list=main_list
    )
    for act in (sending.campaign_start, sending.campaign_cancel):
        with pytest.raises(PermissionDenied):
            act(actor=user, campaign=campaign)
    assert not Delivery.objects.exists()


def test_an_unpublished_issue_cannot_be_sent(admin_user, main_list):
    draft = newsletter.issue_create(actor=admin_user, month=datetime.date(2024, 9, 1))
    with pytest.raises(sending.SendingError) as caught:
        sending.campaign_create(actor=admin_user, issue=draft, mailing_list=main_list)
    assert caught.value.field == "issue"
    assert "not published" in caught.value.message
    assert not Campaign.objects.exists()


def test_rate_and_threshold_are_checked(admin_user, published_issue, main_list):
    with pytest.raises(sending.SendingError) as caught:
        sending.campaign_create(
            actor=admin_user, issue=published_issue, mailing_list=main_list, error_threshold=0
        )
    assert caught.value.field == "error_threshold"
    with pytest.raises(sending.SendingError) as caught:
        sending.campaign_create(
            actor=admin_user, issue=published_issue, mailing_list=main_list, rate_per_minute=-1
        )
    assert caught.value.field == "rate_per_minute"


# The frozen audience ---------------------------------------------------------------------------


def test_start_freezes_the_audience(admin_user, published_issue, main_list):
    confirmed = subscribe(main_list, 5)
    pending = SubscriptionFactory(
        mailing_list=main_list, status=Subscription.Status.PENDING
    ).subscriber
    left = SubscriptionFactory(
        mailing_list=main_list, status=Subscription.Status.UNSUBSCRIBED
    ).subscriber
    bounced = SubscriptionFactory(mailing_list=main_list).subscriber
    bounced.bounced_at = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    bounced.save()
    suppressed = SubscriptionFactory(mailing_list=main_list).subscriber
    Suppression.objects.create(email=suppressed.email, reason=Suppression.Reason.UNSUBSCRIBED)
    elsewhere = SubscriptionFactory(mailing_list=MailingListFactory()).subscriber

    campaign = sending.campaign_create(
        actor=admin_user, issue=published_issue, mailing_list=main_list
    )
    assert Delivery.objects.count() == 0  # nothing until it starts
    audience = sending.campaign_start(actor=admin_user, campaign=campaign)
    # Confirmed after the start: not added.
    SubscriptionFactory(mailing_list=main_list)
    pending_sub = Subscription.objects.get(subscriber=pending)
    pending_sub.status = Subscription.Status.CONFIRMED
    pending_sub.save()

    assert audience == 5
    campaign.refresh_from_db()
    assert campaign.status == S.SENDING
    assert campaign.audience == 5
    assert campaign.started_at is not None
    rows = Delivery.objects.filter(campaign=campaign)
    assert set(rows.values_list("subscriber_id", flat=True)) == {s.pk for s in confirmed}
    assert set(rows.values_list("status", flat=True)) == {D.PENDING}
    assert {r.email for r in rows} == {s.email for s in confirmed}
    assert rows.get(subscriber=confirmed[0]).name == confirmed[0].name
    for outsider in (pending, left, bounced, suppressed, elsewhere):
        assert not rows.filter(subscriber=outsider).exists()
    assert actions(campaign) == ["mailing.campaign.created", "mailing.campaign.started"]
    assert AuditEntry.objects.get(action="mailing.campaign.started").after["audience"] == 5


def test_a_second_campaign_of_the_same_issue_skips_those_already_sent_it(
    admin_user, published_issue, main_list
):
    both = subscribe(main_list, 3)
    other_list = MailingListFactory()
    for s in both[:2]:
        SubscriptionFactory(mailing_list=other_list, subscriber=s)
    only_other = SubscriptionFactory(mailing_list=other_list).subscriber

    first = started(admin_user, published_issue, main_list)
    second = started(admin_user, published_issue, other_list)

    assert first.audience == 3
    assert second.audience == 1
    assert list(second.deliveries.values_list("subscriber_id", flat=True)) == [only_other.pk]
    # Every subscriber has the issue once.
    assert Delivery.objects.filter(issue=published_issue).count() == 4
    # The same list again: no one left to send to, so it is finished at once.
    third = started(admin_user, published_issue, main_list)
    assert third.audience == 0
    assert third.status == S.FINISHED


def test_a_campaign_starts_once(admin_user, published_issue, main_list):
    subscribe(main_list, 2)
    campaign = started(admin_user, published_issue, main_list)
    with pytest.raises(sending.SendingError):
        sending.campaign_start(actor=admin_user, campaign=campaign)
    assert Delivery.objects.count() == 2


# Pause, resume, cancel, send the failed again --------------------------------------------------


def test_pause_resume_cancel(admin_user, published_issue, main_list):
    subscribe(main_list, 4)
    campaign = started(admin_user, published_issue, main_list)
    with pytest.raises(sending.SendingError):
        sending.campaign_resume(actor=admin_user, campaign=campaign)

    sending.campaign_pause(actor=admin_user, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == S.PAUSED
    assert campaign.paused_reason.startswith("Paused by")
    # A paused campaign hands out nothing.
    assert sending.deliveries_claim(campaign=campaign, worker="w", limit=10).deliveries == []

    sending.campaign_resume(actor=admin_user, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == S.SENDING
    assert campaign.paused_reason == ""

    first = Delivery.objects.filter(campaign=campaign).order_by("pk").first()
    sending.delivery_sent(delivery_id=first.pk)
    _, cancelled = sending.campaign_cancel(actor=admin_user, campaign=campaign)
    campaign.refresh_from_db()
    assert cancelled == 3
    assert campaign.status == S.CANCELLED
    assert campaign.finished_at is not None
    counts = {s: campaign.deliveries.filter(status=s).count() for s in (D.SENT, D.CANCELLED)}
    assert counts == {D.SENT: 1, D.CANCELLED: 3}
    with pytest.raises(sending.SendingError):
        sending.campaign_cancel(actor=admin_user, campaign=campaign)
    assert actions(campaign) == [
        "mailing.campaign.created",
        "mailing.campaign.started",
        "mailing.campaign.paused",
        "mailing.campaign.resumed",
        "mailing.campaign.cancelled",
    ]


def test_resend_failed_queues_the_failures_again(admin_user, published_issue, main_list):
    subscribe(main_list, 3)
    campaign = started(admin_user, published_issue, main_list)
    with pytest.raises(sending.SendingError, match="no failed messages"):
        sending.campaign_resend_failed(actor=admin_user, campaign=campaign)
    rows = list(campaign.deliveries.order_by("pk"))
    sending.delivery_sent(delivery_id=rows[0].pk)
    for row in rows[1:]:
        Delivery.objects.filter(pk=row.pk).update(status=D.FAILED, attempts=5, error="451 busy")
    assert sending.campaign_finish_if_done(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == S.FINISHED

    assert sending.campaign_resend_failed(actor=admin_user, campaign=campaign) == 2
    campaign.refresh_from_db()
    assert campaign.status == S.SENDING
    assert campaign.finished_at is None
    again = campaign.deliveries.filter(status=D.PENDING)
    assert again.count() == 2
    assert set(again.values_list("attempts", "error")) == {(0, "")}
    assert campaign.deliveries.filter(status=D.SENT).count() == 1
    assert actions(campaign)[-2:] == ["mailing.campaign.finished", "mailing.campaign.resent_failed"]


# Claiming --------------------------------------------------------------------------------------


def test_claim_skips_anyone_who_left_after_the_start(admin_user, published_issue, main_list):
    stays, leaves, everything, bounces = subscribe(main_list, 4)
    campaign = started(admin_user, published_issue, main_list)
    Subscription.objects.filter(subscriber=leaves).update(status=Subscription.Status.UNSUBSCRIBED)
    Suppression.objects.create(email=everything.email, reason=Suppression.Reason.UNSUBSCRIBED)
    bounces.bounced_at = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    bounces.save()

    claim = sending.deliveries_claim(campaign=campaign, worker="w1", limit=10)

    assert [d.subscriber_id for d in claim.deliveries] == [stays.pk]
    assert claim.skipped == 3
    skipped = {d.subscriber_id: d.error for d in campaign.deliveries.filter(status=D.SKIPPED)}
    assert set(skipped) == {leaves.pk, everything.pk, bounces.pk}
    assert "Unsubscribed" in skipped[leaves.pk]
    assert "suppression" in skipped[everything.pk]
    assert "bounced" in skipped[bounces.pk]


def test_a_claim_holds_for_the_lease_then_is_taken_over(admin_user, published_issue, main_list):
    subscribe(main_list, 5)
    campaign = started(admin_user, published_issue, main_list)
    clock = FakeClock()
    first = sending.deliveries_claim(
        campaign=campaign, worker="w1", limit=3, now=clock.now(), lease=60
    )
    second = sending.deliveries_claim(
        campaign=campaign, worker="w2", limit=10, now=clock.now(), lease=60
    )
    assert len(first.deliveries) == 3
    assert len(second.deliveries) == 2
    assert not {d.id for d in first.deliveries} & {d.id for d in second.deliveries}
    clock.advance(30)
    assert (
        sending.deliveries_claim(
            campaign=campaign, worker="w3", limit=10, now=clock.now(), lease=60
        ).deliveries
        == []
    )
    # w1 dies; after the lease its unsent rows are taken over, its sent row is not.
    sending.delivery_sent(delivery_id=first.deliveries[0].id)
    clock.advance(31)
    third = sending.deliveries_claim(
        campaign=campaign, worker="w3", limit=10, now=clock.now(), lease=60
    )
    assert {d.id for d in third.deliveries} == {
        d.id for d in first.deliveries[1:] + second.deliveries
    }
    assert set(
        campaign.deliveries.filter(status=D.PENDING).values_list("claimed_by", flat=True)
    ) == {"w3"}


def test_temporary_failures_wait_then_fail_after_the_last_attempt(
    admin_user, published_issue, main_list, settings
):
    settings.MAILING_MAX_ATTEMPTS = 3
    settings.MAILING_RETRY_SECONDS = 10
    subscribe(main_list, 1)
    campaign = started(admin_user, published_issue, main_list)
    clock = FakeClock()
    waits = []
    for attempt in range(3):
        claim = sending.deliveries_claim(campaign=campaign, worker="w", limit=5, now=clock.now())
        assert len(claim.deliveries) == 1, attempt
        d = claim.deliveries[0]
        assert d.attempts == attempt
        final = sending.delivery_retry_later(
            delivery_id=d.id, attempts=d.attempts, code=451, error="451 busy", now=clock.now()
        )
        row = Delivery.objects.get(pk=d.id)
        if attempt < 2:
            assert not final
            waits.append((row.retry_at - clock.now()).total_seconds())
            # Not before its time, not even by another worker.
            assert (
                sending.deliveries_claim(
                    campaign=campaign, worker="w2", limit=5, now=clock.now()
                ).deliveries
                == []
            )
            clock.advance(waits[-1])
        else:
            assert final
    assert waits == [10, 20]
    row = Delivery.objects.get(campaign=campaign)
    assert (row.status, row.attempts, row.smtp_code) == (D.FAILED, 3, 451)
    assert sending.campaign_finish_if_done(campaign_id=campaign.pk)


def test_a_bounce_suppresses_the_address_for_good(admin_user, published_issue, main_list):
    (subscriber,) = subscribe(main_list, 1)
    campaign = started(admin_user, published_issue, main_list)
    (d,) = sending.deliveries_claim(campaign=campaign, worker="w", limit=5).deliveries
    sending.delivery_bounced(delivery_id=d.id, code=550, error="550 5.1.1 No such mailbox")
    subscriber.refresh_from_db()
    row = Delivery.objects.get(pk=d.id)
    assert (row.status, row.smtp_code) == (D.BOUNCED, 550)
    assert subscriber.bounced_at is not None
    suppression = Suppression.objects.get(email=subscriber.email)
    assert suppression.reason == Suppression.Reason.BOUNCED
    assert AuditEntry.objects.filter(action="mailing.subscriber.bounced").count() == 1
    # The next issue does not go to them.
    later = started(admin_user, publish_issue(admin_user, datetime.date(2024, 8, 1)), main_list)
    assert later.audience == 0


def test_failures_in_a_row_pause_the_campaign(admin_user, published_issue, main_list):
    subscribe(main_list, 5)
    campaign = started(admin_user, published_issue, main_list, error_threshold=3)
    assert not sending.campaign_failure(campaign_id=campaign.pk, error="451 busy")
    assert not sending.campaign_failure(campaign_id=campaign.pk, error="451 busy")
    sending.campaign_failures_reset(campaign_id=campaign.pk)  # one went through
    assert not sending.campaign_failure(campaign_id=campaign.pk, error="451 busy")
    assert not sending.campaign_failure(campaign_id=campaign.pk, error="451 busy")
    assert sending.campaign_failure(campaign_id=campaign.pk, error="Connection refused")
    campaign.refresh_from_db()
    assert campaign.status == S.PAUSED
    assert "3 failures in a row" in campaign.paused_reason
    assert "Connection refused" in campaign.paused_reason
    entry = AuditEntry.objects.get(action="mailing.campaign.paused_automatically")
    assert entry.actor is None
    # Resuming starts the count again.
    sending.campaign_resume(actor=admin_user, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.consecutive_failures == 0


# The rate limit --------------------------------------------------------------------------------


def test_the_rate_limit_is_shared_by_every_worker(admin_user, published_issue, main_list, settings):
    settings.MAILING_RATE_BURST_SECONDS = 1
    subscribe(main_list, 200)
    campaign = started(admin_user, published_issue, main_list, rate_per_minute=600)  # 10/s
    clock = FakeClock()
    taken = 0
    waits = []
    # Three workers claiming as fast as they can for 10 simulated seconds.
    for step in range(100):
        for worker in ("a", "b", "c"):
            claim = sending.deliveries_claim(
                campaign=campaign, worker=worker, limit=50, now=clock.now()
            )
            taken += len(claim.deliveries)
            if claim.wait:
                waits.append(claim.wait)
        clock.advance(0.1)
        # After t seconds at most the burst (10) plus 10 a second have been handed out.
        elapsed = (step + 1) * 0.1
        assert taken <= 10 + 10 * elapsed + 1e-9, (step, taken)
    assert taken >= 10 * 10  # and the limit does not starve them
    assert waits and all(0 < w <= 0.1 + 1e-9 for w in waits)


def test_skipped_rows_do_not_use_up_the_rate(admin_user, published_issue, main_list):
    subscribers = subscribe(main_list, 4)
    campaign = started(admin_user, published_issue, main_list, rate_per_minute=120)  # 2/s
    Subscription.objects.filter(subscriber__in=subscribers[:2]).update(
        status=Subscription.Status.UNSUBSCRIBED
    )
    clock = FakeClock()
    claim = sending.deliveries_claim(campaign=campaign, worker="w", limit=10, now=clock.now())
    assert claim.skipped == 2
    claim2 = sending.deliveries_claim(campaign=campaign, worker="w", limit=10, now=clock.now())
    assert len(claim.deliveries) + len(claim2.deliveries) == 2


def test_nothing_pending_finishes_the_campaign(admin_user, published_issue, main_list):
    SubscriberFactory()
    subscribe(main_list, 2)
    campaign = started(admin_user, published_issue, main_list)
    assert not sending.campaign_finish_if_done(campaign_id=campaign.pk)
    for d in sending.deliveries_claim(campaign=campaign, worker="w", limit=5).deliveries:
        sending.delivery_sent(delivery_id=d.id)
    assert sending.campaign_finish_if_done(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == S.FINISHED
    assert campaign.finished_at is not None
    assert not sending.campaign_finish_if_done(campaign_id=campaign.pk)


def test_sent_records_are_in_the_database_once_confirmed(admin_user, published_issue, main_list):
    subscribe(main_list, 3)
    campaign = started(admin_user, published_issue, main_list)
    first, second, third = sending.deliveries_claim(
        campaign=campaign, worker="w", limit=5
    ).deliveries
    records = sending.SentRecords()
    sent_at = datetime.datetime(2024, 7, 1, 10, 15, 30, 123456, tzinfo=datetime.UTC)

    records.record(delivery_id=first.id, now=sent_at)
    records.record(delivery_id=second.id)  # the first is confirmed before the second goes
    records.confirm()
    records.confirm()  # nothing left to confirm

    rows = {d.pk: d for d in campaign.deliveries.all()}
    assert [rows[d.id].status for d in (first, second, third)] == [D.SENT, D.SENT, D.PENDING]
    assert rows[first.id].sent_at == sent_at
    assert (rows[first.id].smtp_code, rows[first.id].attempts) == (250, 1)


def test_delivery_pages_keep_room_for_claims_on_postgresql(require_postgres):
    # Stamping a claim changes no indexed column; with room left in the page it is a heap-only
    # update, which writes no index entry (migration 0004).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s", [Delivery._meta.db_table]
        )
        (options,) = cursor.fetchone()
    assert "fillfactor=60" in (options or [])
