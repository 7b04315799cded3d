"""What the worker says to the mail server: one message in two round trips when the server offers
PIPELINING, the same exceptions as `smtplib.sendmail` when something is refused, plain
`sendmail` when the server does not offer it; and its database session on PostgreSQL."""

import smtplib

import pytest
from django.db import DatabaseError, connection, transaction

from regionhub.mailing import sending
from regionhub.mailing.models import Delivery
from regionhub.mailing.tasks import QuickSMTP, SendingBackend, Transport, Worker

from .sending_helpers import FakeClock, FakeRenderer, started, subscribe
from .smtp_sink import Sink

MESSAGE = b"Subject: hello\r\n\r\n.a line starting with a dot\r\nend\r\n"


class ScriptedSMTP(QuickSMTP):
    """A connection that records what it writes and answers from a script, one reply per
    command, as a pipelining server would."""

    def __init__(self, replies: list[tuple[int, bytes]], *, pipelining: bool = True):
        super().__init__()  # not connected
        self.replies = list(replies)
        self.written: list[bytes] = []
        self.does_esmtp = True
        self.esmtp_features = {"pipelining": ""} if pipelining else {}
        self.ehlo_resp = b"scripted"

    def send(self, s):
        self.written.append(s if isinstance(s, bytes) else s.encode("ascii"))

    def getreply(self):
        return self.replies.pop(0)


def test_envelope_and_data_go_in_two_writes():
    conn = ScriptedSMTP([(250, b"ok"), (250, b"ok"), (354, b"go"), (250, b"queued")])

    conn.send_one("news@hub.example", "reader@example.org", MESSAGE)

    assert conn.written == [
        b"MAIL FROM:<news@hub.example>\r\nRCPT TO:<reader@example.org>\r\nDATA\r\n",
        MESSAGE.replace(b"\r\n.", b"\r\n..") + b".\r\n",
    ]
    assert conn.replies == []


def test_before_data_comes_after_the_envelope_and_before_the_message():
    conn = ScriptedSMTP([(250, b"ok"), (250, b"ok"), (354, b"go"), (250, b"queued")])
    written_then = []

    conn.send_one(
        "news@hub.example",
        "reader@example.org",
        MESSAGE,
        lambda: written_then.append((len(conn.written), len(conn.replies))),
    )

    assert written_then == [(1, 1)]  # the envelope sent and answered, the message not yet sent
    assert len(conn.written) == 2


def test_a_failing_before_data_hangs_up_without_ending_the_message():
    conn = ScriptedSMTP([(250, b"ok"), (250, b"ok"), (354, b"go"), (250, b"queued")])
    closed = []
    conn.close = lambda: closed.append(True)

    def fails():
        raise RuntimeError("the last record failed")

    with pytest.raises(RuntimeError):
        conn.send_one("news@hub.example", "reader@example.org", MESSAGE, fails)

    assert len(conn.written) == 1  # no data and no final dot: the server takes nothing
    assert closed == [True]


def test_a_refused_recipient_raises_as_sendmail_does_and_resets():
    conn = ScriptedSMTP([(250, b"ok"), (550, b"no such user"), (554, b"no recipients"), (250, b"")])

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        conn.send_one("news@hub.example", "gone@example.org", MESSAGE)

    assert refused.value.recipients == {"gone@example.org": (550, b"no such user")}
    assert conn.written[-1] == b"rset\r\n"
    assert not any(MESSAGE in w for w in conn.written)  # the message itself never went


def test_data_taken_after_a_refused_recipient_is_ended_empty():
    conn = ScriptedSMTP(
        [(250, b"ok"), (451, b"busy"), (354, b"go"), (554, b"empty"), (250, b"reset")]
    )

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        conn.send_one("news@hub.example", "later@example.org", MESSAGE)

    assert conn.written[1:] == [b".\r\n", b"rset\r\n"]


def test_a_refused_sender_and_a_refused_message():
    conn = ScriptedSMTP([(553, b"bad sender"), (503, b"no mail"), (503, b"no rcpt"), (250, b"")])
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        conn.send_one("news@hub.example", "reader@example.org", MESSAGE)
    assert refused.value.smtp_code == 553

    conn = ScriptedSMTP([(250, b"ok"), (250, b"ok"), (354, b"go"), (554, b"spam"), (250, b"")])
    with pytest.raises(smtplib.SMTPDataError) as refused:
        conn.send_one("news@hub.example", "reader@example.org", MESSAGE)
    assert refused.value.smtp_code == 554
    assert conn.written[-1] == b"rset\r\n"


def test_without_pipelining_each_command_waits_for_its_answer():
    conn = ScriptedSMTP(
        [(250, b"ok"), (250, b"ok"), (354, b"go"), (250, b"queued")], pipelining=False
    )

    conn.send_one("news@hub.example", "reader@example.org", MESSAGE)

    assert [w.split(b":")[0] for w in conn.written[:3]] == [b"mail FROM", b"rcpt TO", b"data\r\n"]
    assert conn.written[3].endswith(b"end\r\n.\r\n")


@pytest.mark.django_db
@pytest.mark.parametrize("pipelining", [True, False])
def test_a_campaign_goes_out_whether_or_not_the_server_pipelines(
    admin_user, published_issue, main_list, pipelining
):
    subscribers = subscribe(main_list, 5)
    (bounces,) = subscribe(main_list, 1, prefix="bounce")
    campaign = started(admin_user, published_issue, main_list)
    with Sink(pipelining=pipelining) as sink:
        transport = Transport(SendingBackend(host="127.0.0.1", port=sink.port, timeout=5))
        Worker(renderer=FakeRenderer(), transport=transport, clock=FakeClock()).run_once()

    assert sink.received == {s.email: 1 for s in subscribers}
    statuses = dict(campaign.deliveries.values_list("subscriber_id", "status"))
    assert statuses == {
        **{s.pk: Delivery.Status.SENT for s in subscribers},
        bounces.pk: Delivery.Status.BOUNCED,
    }
    assert sink.handler.connections == 1


@pytest.mark.django_db(transaction=True)
def test_each_message_is_recorded_before_the_next_one_is_sent(
    admin_user, published_issue, main_list
):
    subscribe(main_list, 6)
    campaign = started(admin_user, published_issue, main_list)
    sent_before_data: list[set[str]] = []

    class Watching(Transport):
        def send(self, message, *, before_data=None):
            def then_look():
                before_data()
                # The same connection the records use: on PostgreSQL a record still in flight
                # would make this query fail.
                sent = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENT)
                sent_before_data.append(set(sent.values_list("email", flat=True)))

            return super().send(message, before_data=then_look)

    with Sink() as sink:
        transport = Watching(SendingBackend(host="127.0.0.1", port=sink.port, timeout=5))
        Worker(
            renderer=FakeRenderer(), transport=transport, clock=FakeClock(), batch_size=4
        ).run_once()
        Worker(renderer=FakeRenderer(), transport=transport, clock=FakeClock()).run_once()

    emails = list(campaign.deliveries.order_by("pk").values_list("email", flat=True))
    assert sent_before_data == [set(emails[:n]) for n in range(6)]
    assert set(campaign.deliveries.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert sink.received == dict.fromkeys(emails, 1)


@pytest.mark.django_db(transaction=True)
def test_a_record_that_fails_stops_the_worker_before_the_next_message_is_accepted(
    admin_user, published_issue, main_list
):
    subscribe(main_list, 3)
    started(admin_user, published_issue, main_list)

    class Failing(Transport):
        """The record of the message before fails when it is confirmed."""

        def send(self, message, *, before_data=None):
            def fails():
                before_data()
                if sink.received:
                    raise DatabaseError("the record was lost")

            return super().send(message, before_data=fails)

    with Sink() as sink:
        transport = Failing(SendingBackend(host="127.0.0.1", port=sink.port, timeout=5))
        worker = Worker(renderer=FakeRenderer(), transport=transport, clock=FakeClock())
        with pytest.raises(DatabaseError):
            worker.run_once()
        received = dict(sink.received)

    assert sum(received.values()) == 1  # the second message was never ended
    assert transport.backend.connection is None  # hung up in the middle of its data


@pytest.mark.django_db(transaction=True)
def test_the_worker_session_does_not_wait_for_the_disk_on_postgresql():
    if connection.vendor != "postgresql":
        assert sending.commits_without_waiting() is False
        return
    connection.close()
    with transaction.atomic():
        assert sending.commits_without_waiting() is False  # never inside a transaction
    assert sending.commits_without_waiting() is True
    assert sending.commits_without_waiting() is False  # once per connection
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
    connection.close()  # a new connection is set again
    assert sending.commits_without_waiting() is True
    connection.close()
