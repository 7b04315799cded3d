"""The sending worker against a real SMTP server (aiosmtpd in a thread): one connection, one
render per campaign, each delivery recorded as the server answered it, skips at claim time,
bounces, retries, the automatic pause, the rate limit on a clock the test controls."""

import datetime
import email
import email.policy
import smtplib
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regionhub.mailing import sending, services
from regionhub.mailing.models import Campaign, Delivery, Subscription, Suppression
from regionhub.mailing.tasks import SendingBackend, Transport, Worker, stuff_dots

from .sending_helpers import FakeClock, FakeRenderer, started, subscribe
from .smtp_sink import Sink, free_port

D = Delivery.Status
S = Campaign.Status


def smtp(port: int) -> Transport:
    """The worker's own connection (what `sending_connection` makes for Django's SMTP
    backend), to the test's server."""
    return Transport(SendingBackend(host="127.0.0.1", port=port, timeout=5))


@pytest.fixture
def sink():
    with Sink() as running:
        yield running


def test_sends_each_message_once_over_one_connection(admin_user, published_issue, main_list, sink):
    subscribers = subscribe(main_list, 30)
    campaign = started(admin_user, published_issue, main_list)
    renderer = FakeRenderer()
    worker = Worker(
        name="w1", batch_size=7, renderer=renderer, transport=smtp(sink.port), clock=FakeClock()
    )

    stats = worker.run(exit_when_done=True)

    assert stats.sent == 30
    assert sink.received == {s.email: 1 for s in subscribers}
    assert sink.handler.connections == 1
    assert renderer.rendered == [published_issue.pk]  # rendered once, personalised 30 times
    assert renderer.personalised == 30
    for raw in sink.handler.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        delivery = Delivery.objects.get(email=message["To"])
        assert message["X-Subscriber"] == str(delivery.subscriber_id)
        assert message["X-List"] == str(main_list.pk)
        assert message["Subject"] == published_issue.title
    rows = campaign.deliveries.all()
    assert {r.status for r in rows} == {D.SENT}
    assert all(r.sent_at and r.smtp_code == 250 and r.attempts == 1 for r in rows)
    assert {r.claimed_by for r in rows} == {"w1"}
    campaign.refresh_from_db()
    assert campaign.status == S.FINISHED
    assert campaign.finished_at is not None


def test_the_real_email_carries_the_unsubscribe_headers(
    admin_user, published_issue, main_list, sink
):
    (subscriber,) = subscribe(main_list, 1)
    started(admin_user, published_issue, main_list, subject="July's Regional Update")
    Worker(transport=smtp(sink.port), clock=FakeClock()).run(exit_when_done=True)

    (raw,) = sink.handler.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"] == subscriber.email
    assert message["Subject"] == "July's Regional Update"
    assert message["List-Unsubscribe"].strip().startswith("<http")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds


def test_refusals_bounce_retry_or_fail_as_the_server_said(
    admin_user, published_issue, main_list, sink, settings
):
    settings.MAILING_RETRY_SECONDS = 60
    fine = subscribe(main_list, 3)
    (bounces,) = subscribe(main_list, 1, prefix="bounce")
    (later,) = subscribe(main_list, 1, prefix="later")
    (rejected,) = subscribe(main_list, 1, prefix="reject")
    campaign = started(admin_user, published_issue, main_list)
    clock = FakeClock()
    worker = Worker(renderer=FakeRenderer(), transport=smtp(sink.port), clock=clock)

    worker.run_once()

    status = dict(campaign.deliveries.values_list("subscriber_id", "status"))
    assert status == {
        **{s.pk: D.SENT for s in fine},
        bounces.pk: D.BOUNCED,
        later.pk: D.PENDING,
        rejected.pk: D.FAILED,
    }
    assert sink.received == {s.email: 1 for s in fine}
    bounces.refresh_from_db()
    assert bounces.bounced_at is not None
    assert Suppression.objects.filter(
        email=bounces.email, reason=Suppression.Reason.BOUNCED
    ).exists()
    # Refused after DATA: that message failed, but the address is not suppressed.
    assert not Suppression.objects.filter(email=rejected.email).exists()
    waiting = campaign.deliveries.get(subscriber=later)
    assert (waiting.attempts, waiting.smtp_code, waiting.claimed_by) == (1, 451, "")
    assert waiting.retry_at == clock.now() + datetime.timedelta(seconds=60)
    assert sink.handler.connections == 1  # a refused recipient does not cost the connection
    # Not finished while a retry is due.
    worker.run_once()
    campaign.refresh_from_db()
    assert campaign.status == S.SENDING


def test_unsubscribing_after_the_start_stops_a_queued_message(
    admin_user, published_issue, main_list, sink
):
    stays, leaves, leaves_everything = subscribe(main_list, 3)
    campaign = started(admin_user, published_issue, main_list)
    services.subscription_unsubscribe(subscriber_id=leaves.pk, list_id=main_list.pk)
    services.subscriber_unsubscribe_all(subscriber=leaves_everything)

    Worker(renderer=FakeRenderer(), transport=smtp(sink.port), clock=FakeClock()).run(
        exit_when_done=True
    )

    assert sink.received == {stays.email: 1}
    status = dict(campaign.deliveries.values_list("subscriber_id", "status"))
    assert status == {stays.pk: D.SENT, leaves.pk: D.SKIPPED, leaves_everything.pk: D.SKIPPED}
    campaign.refresh_from_db()
    assert campaign.status == S.FINISHED


def test_a_server_that_is_down_pauses_the_campaign(admin_user, published_issue, main_list):
    subscribe(main_list, 20)
    campaign = started(admin_user, published_issue, main_list, error_threshold=5)
    worker = Worker(
        batch_size=8, renderer=FakeRenderer(), transport=smtp(free_port()), clock=FakeClock()
    )

    worker.run_once()

    campaign.refresh_from_db()
    assert campaign.status == S.PAUSED
    assert "5 failures in a row" in campaign.paused_reason
    tried = campaign.deliveries.filter(attempts=1)
    assert tried.count() == 5
    assert set(tried.values_list("status", flat=True)) == {D.PENDING}
    assert all(d.retry_at is not None for d in tried)
    # The rest of the batch was given back, not left claimed until the lease runs out.
    assert not campaign.deliveries.filter(attempts=0).exclude(claimed_by="").exists()
    assert worker.run_once() == 0  # a paused campaign is left alone


def test_a_lost_connection_is_opened_again(admin_user, published_issue, main_list, sink):
    subscribe(main_list, 6)
    campaign = started(admin_user, published_issue, main_list)
    transport = smtp(sink.port)

    class Dropping(FakeRenderer):
        def personalise(self, rendered, **kw):
            if self.personalised == 3:
                transport.backend.connection.sock.shutdown(socket.SHUT_RDWR)
            return super().personalise(rendered, **kw)

    Worker(renderer=Dropping(), transport=transport, clock=FakeClock()).run_once()

    assert sink.handler.connections == 2
    assert campaign.deliveries.filter(status=D.SENT).count() == 5
    retry = campaign.deliveries.get(status=D.PENDING)
    assert retry.attempts == 1 and retry.retry_at is not None


def test_pausing_stops_a_worker_within_its_batch(admin_user, published_issue, main_list, sink):
    subscribe(main_list, 10)
    campaign = started(admin_user, published_issue, main_list)
    clock = FakeClock()

    class Slow(FakeRenderer):
        def personalise(self, rendered, **kw):
            clock.advance(0.6)
            return super().personalise(rendered, **kw)

    class PausedDuringTheFourth(Transport):
        """An admin pauses the campaign while the fourth message goes out. (The worker's
        database connection is the test's, so the pause waits for the record before it.)"""

        sends = 0

        def send(self, message, *, before_data=None):
            self.sends += 1

            def then_pause():
                before_data()
                if self.sends == 4:
                    sending.campaign_pause(actor=admin_user, campaign=campaign)

            return super().send(message, before_data=then_pause)

    transport = PausedDuringTheFourth(SendingBackend(host="127.0.0.1", port=sink.port, timeout=5))
    Worker(renderer=Slow(), transport=transport, clock=clock).run_once()

    # The worker looks at the campaign's status every second, so at most one more goes.
    sent = campaign.deliveries.filter(status=D.SENT).count()
    assert 4 <= sent <= 5
    pending = campaign.deliveries.filter(status=D.PENDING)
    assert pending.count() == 10 - sent
    assert set(pending.values_list("claimed_by", flat=True)) == {""}


def test_stopping_gives_back_the_rest_of_the_batch(admin_user, published_issue, main_list, sink):
    subscribe(main_list, 10)
    campaign = started(admin_user, published_issue, main_list)
    worker = Worker(transport=smtp(sink.port), clock=FakeClock())

    class StopAfterTwo(FakeRenderer):
        def personalise(self, rendered, **kw):
            if self.personalised == 2:
                worker.stop()
            return super().personalise(rendered, **kw)

    worker.renderer = StopAfterTwo()
    worker.run()

    assert len(sink.received) == 3
    pending = campaign.deliveries.filter(status=D.PENDING)
    assert pending.count() == 7
    assert set(pending.values_list("claimed_by", flat=True)) == {""}
    assert worker.transport.backend.connection is None  # closed on the way out


def test_the_worker_keeps_to_the_rate_limit(admin_user, published_issue, main_list, sink, settings):
    settings.MAILING_RATE_BURST_SECONDS = 1
    subscribe(main_list, 12)
    campaign = started(admin_user, published_issue, main_list, rate_per_minute=120)  # 2 a second
    clock = FakeClock()
    began = clock.now()

    Worker(renderer=FakeRenderer(), transport=smtp(sink.port), clock=clock, poll=5).run(
        exit_when_done=True
    )

    times = sorted(
        (t - began).total_seconds() for t in campaign.deliveries.values_list("sent_at", flat=True)
    )
    assert len(times) == 12
    # A burst of 2, then 2 a second: the nth message no earlier than (n - 2) / 2 seconds in.
    for n, t in enumerate(times, start=1):
        assert t >= (n - 2) / 2 - 1e-6, (n, t, times)
    assert times[-1] <= 5 + 0.5  # and no slower than the limit needs
    assert sum(clock.slept) > 4


def test_an_issue_that_will_not_render_pauses_its_campaign(
    admin_user, published_issue, main_list, sink
):
    subscribe(main_list, 3)
    campaign = started(admin_user, published_issue, main_list)

    class Broken(FakeRenderer):
        def issue_email(self, issue):
            raise ValueError("template missing")

    Worker(renderer=Broken(), transport=smtp(sink.port), clock=FakeClock()).run_once()

    campaign.refresh_from_db()
    assert campaign.status == S.PAUSED
    assert "template missing" in campaign.paused_reason
    assert not sink.received
    assert set(campaign.deliveries.values_list("status", "claimed_by")) == {(D.PENDING, "")}


def test_other_backends_get_the_message_object(admin_user, published_issue, main_list, mailoutbox):
    subscribers = subscribe(main_list, 2)
    started(admin_user, published_issue, main_list)
    Worker(renderer=FakeRenderer(), clock=FakeClock()).run(exit_when_done=True)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(s.email for s in subscribers)
    assert Subscription.objects.count() == 2


@given(st.lists(st.sampled_from([b"\r\n", b"\n", b".", b"..", b"a", b"\r", b" "])).map(b"".join))
def test_dots_are_stuffed_exactly_as_smtplib_stuffs_them(data):
    assert stuff_dots(data) == smtplib._quote_periods(data)


def test_the_worker_claims_on_from_where_it_left_off(admin_user, published_issue, main_list):
    subscribe(main_list, 12)
    campaign = started(admin_user, published_issue, main_list)
    first = sending.deliveries_claim(campaign=campaign, worker="a", limit=4)
    after = sending.deliveries_claim(campaign=campaign, worker="a", limit=4, after_id=first.last_id)
    assert first.last_id == max(d.id for d in first.deliveries)
    assert min(d.id for d in after.deliveries) > first.last_id
    # A row below the cursor that became claimable again is found by a claim from the start.
    Delivery.objects.filter(pk=first.deliveries[0].id).update(claimed_by="", claimed_at=None)
    assert (
        sending.deliveries_claim(campaign=campaign, worker="a", limit=4, after_id=after.last_id)
        .deliveries[0]
        .id
        > after.last_id
    )
    again = sending.deliveries_claim(campaign=campaign, worker="b", limit=1)
    assert [d.id for d in again.deliveries] == [first.deliveries[0].id]
