"""The sending worker (`manage.py mailing_worker`): claims deliveries of sending campaigns and
sends them over one reused SMTP connection.

Per campaign, each worker renders the issue once (`emails.issue_email`) and personalises it per
message (`emails.personalise`). Each message is recorded the moment the server accepts it, in
its own commit, and the record's answer is in before the next message's data goes to the server
(`sending.SentRecords`), so a worker killed at any instant leaves at most one message that
another worker will send a second time. Several workers may run at once, on one
machine or many; see `sending` for how they share the work and the rate limit.
"""

import dataclasses
import functools
import logging
import math
import os
import re
import smtplib
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, close_old_connections
from django.db import connection as db_connection
from django.utils import timezone

from regionhub.newsletter.models import Issue

from . import conf, sending
from .models import Campaign

logger = logging.getLogger(__name__)

OK, BOUNCE, REFUSED, RETRY = "ok", "bounce", "refused", "retry"
STATUS_CHECK_SECONDS = 1.0


class SystemClock:
    """Time for the worker; tests pass their own so that nothing waits on the wall clock."""

    def now(self):
        return timezone.now()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class Outcome:
    kind: str
    code: int | None = None
    error: str = ""


@dataclass
class Stats:
    sent: int = 0
    bounced: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    render_s: float = 0.0
    send_s: float = 0.0
    record_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _smtp_error(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_text(error.smtp_error)}".strip()


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _sanitized(address: str, encoding: str) -> str:
    """The address as Django's SMTP backend would send it. A plain ASCII address needs
    nothing done (Django's parser costs more than the rest of the message), and the sender's
    address is the same every time."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return address
    return _sanitized_cached(address, encoding)


@functools.lru_cache(maxsize=64)
def _sanitized_cached(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def _quoted(address: str) -> str:
    """`smtplib.quoteaddr`, which parses the address every time, without the parsing for a
    plain one."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return _quoted_cached(address)


@functools.lru_cache(maxsize=64)
def _quoted_cached(address: str) -> str:
    return smtplib.quoteaddr(address)


def stuff_dots(data: bytes) -> bytes:
    """What smtplib does to a message before DATA (a dot starting a line is doubled), with
    bytes.replace instead of its regular expression: the same bytes, many times quicker, which
    matters at 50 KB a message."""
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\n.", b"\n..")


class _QuickData:
    """Quicker DATA, and one message to one recipient in two round trips instead of four."""

    def send_one(self, sender: str, recipient: str, data: bytes, before_data=None) -> None:
        """`sendmail(sender, [recipient], data)`, raising the same exceptions, but with MAIL,
        RCPT and DATA sent together when the server offers PIPELINING (RFC 2920): the answers
        are read afterwards, in order. Every mail server in use offers it; without it, or for
        an address that needs SMTPUTF8, this is plain `sendmail`.

        `before_data`, when given, is called once the server is ready for the message and
        before any of it is sent (before MAIL for plain `sendmail`). If it raises, the server
        is waiting for data that must not be ended, so the connection is dropped unused."""
        self.ehlo_or_helo_if_needed()  # type: ignore[attr-defined]
        if not (
            self.does_esmtp  # type: ignore[attr-defined]
            and self.has_extn("pipelining")  # type: ignore[attr-defined]
            and sender.isascii()
            and recipient.isascii()
        ):
            if before_data is not None:
                before_data()
            self.sendmail(sender, [recipient], data)  # type: ignore[attr-defined]
            return
        size = f" SIZE={len(data)}" if self.has_extn("size") else ""  # type: ignore[attr-defined]
        envelope = f"MAIL FROM:{_quoted(sender)}{size}\r\nRCPT TO:{_quoted(recipient)}\r\nDATA\r\n"
        self.send(envelope.encode("ascii"))  # type: ignore[attr-defined]
        mail = self.getreply()  # type: ignore[attr-defined]
        rcpt = self.getreply()  # type: ignore[attr-defined]
        code, reply = self.getreply()  # type: ignore[attr-defined]
        if mail[0] != 250 or rcpt[0] not in (250, 251) or code != 354:
            if code == 354:
                # A server that took DATA regardless expects a message: end it empty.
                self.send(b".\r\n")  # type: ignore[attr-defined]
                self.getreply()  # type: ignore[attr-defined]
            self._rset()  # type: ignore[attr-defined]
            if mail[0] != 250:
                raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
            if rcpt[0] not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
            raise smtplib.SMTPDataError(code, reply)
        if before_data is not None:
            try:
                before_data()
            except BaseException:
                self.close()  # type: ignore[attr-defined]
                raise
        code, reply = self._send_data(data)
        if code != 250:
            self._rset()  # type: ignore[attr-defined]
            raise smtplib.SMTPDataError(code, reply)

    def _send_data(self, msg: bytes) -> tuple[int, bytes]:
        quoted = stuff_dots(msg)
        if not quoted.endswith(b"\r\n"):
            quoted += b"\r\n"
        self.send(quoted + b".\r\n")  # type: ignore[attr-defined]
        return self.getreply()  # type: ignore[attr-defined]

    def data(self, msg):
        if not isinstance(msg, bytes):
            return super().data(msg)  # type: ignore[misc]
        self.putcmd("data")  # type: ignore[attr-defined]
        code, reply = self.getreply()  # type: ignore[attr-defined]
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        return self._send_data(msg)


class QuickSMTP(_QuickData, smtplib.SMTP):
    pass


class QuickSMTPSSL(_QuickData, smtplib.SMTP_SSL):
    pass


class SendingBackend(SMTPBackend):
    """Django's SMTP backend, its connection quicker at DATA (see `stuff_dots`)."""

    @property
    def connection_class(self):
        return QuickSMTPSSL if self.use_ssl else QuickSMTP


def sending_connection():
    """The connection the worker sends with: Django's configured backend, or, when that is
    Django's SMTP backend, the same with quicker DATA."""
    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        return SendingBackend(timeout=conf.smtp_timeout())
    return get_connection(timeout=conf.smtp_timeout())


class Transport:
    """One email connection for the life of a worker: opened on first use, closed and opened
    again after an error. With Django's SMTP backend the message is turned into bytes here, so
    that rendering is timed apart from the conversation with the server; any other backend
    (the file backend in development, memory in tests) gets the message object."""

    def __init__(self, backend=None, *, stats: Stats | None = None):
        if backend is None:
            backend = sending_connection()
        self.backend: Any = backend
        self.smtp = isinstance(self.backend, SMTPBackend)
        self.stats = stats if stats is not None else Stats()

    def send(self, message, *, before_data=None) -> Outcome:
        """Send one message and say how the server took it. `before_data`, when given, is
        called before the message's data is sent (see `_QuickData.send_one`); what it raises
        is raised here, with the connection closed."""
        try:
            if self.smtp:
                started = time.perf_counter()
                data = message.message().as_bytes(linesep="\r\n")
                encoding = message.encoding or "utf-8"
                sender = _sanitized(message.from_email, encoding)
                recipients = [_sanitized(a, encoding) for a in message.recipients()]
                self.stats.render_s += time.perf_counter() - started
                started = time.perf_counter()
                if self.backend.connection is None:
                    self.backend.open()
                connection = self.backend.connection
                if len(recipients) == 1 and isinstance(connection, _QuickData):
                    connection.send_one(sender, recipients[0], data, before_data)
                else:
                    if before_data is not None:
                        before_data()
                    connection.sendmail(sender, recipients, data)
                self.stats.send_s += time.perf_counter() - started
            else:
                if before_data is not None:
                    before_data()
                self.backend.send_messages([message])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return Outcome(BOUNCE if 500 <= code < 600 else RETRY, code, f"{code} {_text(text)}")
        except smtplib.SMTPDataError as error:
            kind = REFUSED if 500 <= error.smtp_code < 600 else RETRY
            return Outcome(kind, error.smtp_code, _smtp_error(error))
        except smtplib.SMTPResponseException as error:
            # The sender refused, or the server answered something unexpected: not this
            # recipient's fault, so try again later (and count towards the automatic pause).
            self.reset()
            return Outcome(RETRY, error.smtp_code, _smtp_error(error))
        except (smtplib.SMTPException, OSError) as error:
            self.reset()
            return Outcome(RETRY, None, f"{type(error).__name__}: {error}"[:500])
        except BaseException:
            # `before_data` failed, or something unforeseen: the conversation may be half-way.
            self.reset()
            raise
        return Outcome(OK, 250)

    def reset(self) -> None:
        if not self.smtp:
            return
        try:
            self.backend.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; drop it
            self.backend.connection = None

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception:  # noqa: BLE001 - closing at exit must not hide why we exit
            logger.warning("Closing the email connection failed", exc_info=True)


def default_renderer():
    from regionhub.mailing import emails

    return emails


@dataclass
class Worker:
    """One sending worker. `run` loops until `stop` is called; `run_once` makes one pass over
    the sending campaigns (one batch each) and returns how many deliveries it dealt with."""

    name: str = ""
    batch_size: int = field(default_factory=conf.batch_size)
    lease: float = field(default_factory=conf.lease_seconds)
    poll: float = field(default_factory=conf.poll_seconds)
    clock: Any = field(default_factory=SystemClock)
    renderer: Any = None
    transport: Any = None  # a Transport; made in __post_init__ when not given
    stats: Stats = field(default_factory=Stats)

    def __post_init__(self):
        if not self.name:
            host = socket.gethostname()[:60]
            self.name = f"{host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        if self.renderer is None:
            self.renderer = default_renderer()
        if self.transport is None:
            self.transport = Transport(stats=self.stats)
        else:
            self.transport.stats = self.stats
        self.stopping = False
        self.records = sending.SentRecords()
        self._sending = 0
        self._seen_sending = False
        self._rendered: dict[int, Any] = {}
        self._wait = 0.0
        # Per campaign: where the next claim starts, and when it last started from the start.
        self._cursor: dict[int, int] = {}
        self._rescanned: dict[int, float] = {}

    def stop(self, *_args) -> None:
        self.stopping = True

    def run(self, *, exit_when_done: bool = False) -> Stats:
        """Send until stopped. With `exit_when_done`, return once no campaign is sending any
        more, having seen one sending (for benchmarks and tests)."""
        try:
            while not self.stopping:
                try:
                    handled = self.run_once()
                except DatabaseError:
                    logger.exception("Database error; trying again shortly")
                    db_connection.close()
                    handled = 0
                if handled:
                    continue
                if exit_when_done and self._seen_sending and not self._sending:
                    break
                self._sleep(min(self._wait, self.poll) if self._wait else self.poll)
                if not db_connection.in_atomic_block:
                    # Drop a connection past its age or broken while idle (never inside a
                    # transaction the caller holds, as in tests).
                    close_old_connections()
        finally:
            self.transport.close()
        return self.stats

    def _sleep(self, seconds: float) -> None:
        # In short steps, so that a stop request is honoured promptly.
        end = self.clock.monotonic() + seconds
        while not self.stopping:
            left = end - self.clock.monotonic()
            if left <= 0:
                break
            self.clock.sleep(min(left, 0.2))

    def run_once(self) -> int:
        self._wait = 0.0
        handled = 0
        sending.commits_without_waiting()
        campaigns = list(
            Campaign.objects.filter(status=Campaign.Status.SENDING)
            .only(
                "pk",
                "issue_id",
                "mailing_list_id",
                "subject",
                "status",
                "rate_per_minute",
                "error_threshold",
                "consecutive_failures",
            )
            .order_by("pk")
        )
        self._sending = len(campaigns)
        self._seen_sending = self._seen_sending or bool(campaigns)
        for campaign in campaigns:
            if self.stopping:
                break
            handled += self.send_batch(campaign)
        return handled

    def _rendered_for(self, campaign: Campaign):
        rendered = self._rendered.get(campaign.pk)
        if rendered is None:
            issue = Issue.objects.get(pk=campaign.issue_id)
            rendered = self.renderer.issue_email(issue)
            if campaign.subject and campaign.subject != rendered.subject:
                rendered = dataclasses.replace(rendered, subject=campaign.subject)
            self._rendered[campaign.pk] = rendered
        return rendered

    def _still_sending(self, campaign_id: int) -> bool:
        return Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).exists()

    def _claim(self, campaign: Campaign) -> sending.Claim:
        """Claim from where this worker's last claim ended; from the start when that finds
        nothing, and at least once a lease (for retries and lapsed claims)."""
        clock = self.clock
        cursor = self._cursor.get(campaign.pk, 0)
        if clock.monotonic() - self._rescanned.get(campaign.pk, -math.inf) >= self.lease:
            cursor = 0
        while True:
            if not cursor:
                self._rescanned[campaign.pk] = clock.monotonic()
            claim = sending.deliveries_claim(
                campaign=campaign,
                worker=self.name,
                limit=self.batch_size,
                now=clock.now(),
                lease=self.lease,
                after_id=cursor,
            )
            if claim.last_id:
                self._cursor[campaign.pk] = claim.last_id
                return claim
            if not cursor or claim.wait:
                return claim
            cursor = 0

    def send_batch(self, campaign: Campaign) -> int:
        clock = self.clock
        claim = self._claim(campaign)
        self.stats.skipped += claim.skipped
        if claim.wait:
            self._wait = claim.wait if not self._wait else min(self._wait, claim.wait)
        if not claim.deliveries:
            if not claim.wait:
                sending.campaign_finish_if_done(campaign_id=campaign.pk, now=clock.now())
            return claim.skipped
        claimed_at = clock.monotonic()
        try:
            rendered = self._rendered_for(campaign)
        except Exception as error:  # noqa: BLE001 - any rendering failure stops this campaign
            logger.exception("Campaign %s: the issue could not be rendered", campaign.pk)
            sending.deliveries_release(worker=self.name, ids=[d.id for d in claim.deliveries])
            sending.campaign_pause_on_error(
                campaign_id=campaign.pk,
                reason=f"Paused: the issue could not be turned into an email ({error}).",
            )
            return claim.skipped
        # The shared failure count is reset by the first success after a failure anyone saw.
        failures_counted = campaign.consecutive_failures > 0
        try:
            done = self._send_claimed(campaign, claim, rendered, claimed_at, failures_counted)
        finally:
            # The last record's answer, before anything else is asked of the database.
            self.records.confirm()
        left = [d.id for d in claim.deliveries[done:]]
        if left:
            sending.deliveries_release(worker=self.name, ids=left)
        return claim.skipped + done

    def _send_claimed(self, campaign, claim, rendered, claimed_at, failures_counted) -> int:
        """Send the claimed deliveries in order until done, stopped, paused or out of lease;
        returns how many were dealt with. Each SENT record is sent without waiting for it and
        confirmed before the next message's data, or before any other use of the database."""
        clock = self.clock
        records = self.records
        checked = claimed_at
        done = 0
        for delivery in claim.deliveries:
            now_mono = clock.monotonic()
            if self.stopping or now_mono - claimed_at > self.lease / 2:
                # Stopping, or half the lease gone (a send may take up to the SMTP timeout):
                # leave the rest to be claimed again rather than risk another worker sending
                # them too.
                break
            if now_mono - checked >= STATUS_CHECK_SECONDS:
                checked = now_mono
                records.confirm()
                if not self._still_sending(campaign.pk):
                    break
            started = time.perf_counter()
            message = self.renderer.personalise(
                rendered,
                subscriber_id=delivery.subscriber_id,
                list_id=campaign.mailing_list_id,
                email=delivery.email,
                name=delivery.name,
            )
            self.stats.render_s += time.perf_counter() - started
            outcome = self.transport.send(message, before_data=records.confirm)
            done += 1
            started = time.perf_counter()
            if outcome.kind == OK:
                records.record(delivery_id=delivery.id, now=clock.now())
                self.stats.sent += 1
                if failures_counted:
                    records.confirm()
                    sending.campaign_failures_reset(campaign_id=campaign.pk)
                    failures_counted = False
                self.stats.record_s += time.perf_counter() - started
                continue
            records.confirm()
            if outcome.kind == BOUNCE:
                sending.delivery_bounced(
                    delivery_id=delivery.id, code=outcome.code or 550, error=outcome.error
                )
                self.stats.bounced += 1
            elif outcome.kind == REFUSED:
                sending.delivery_refused(
                    delivery_id=delivery.id, code=outcome.code or 554, error=outcome.error
                )
                self.stats.failed += 1
            else:
                final = sending.delivery_retry_later(
                    delivery_id=delivery.id,
                    attempts=delivery.attempts,
                    code=outcome.code,
                    error=outcome.error,
                    now=clock.now(),
                )
                if final:
                    self.stats.failed += 1
                else:
                    self.stats.retried += 1
            failures_counted = True
            paused = sending.campaign_failure(campaign_id=campaign.pk, error=outcome.error)
            self.stats.record_s += time.perf_counter() - started
            if paused:
                break
        return done
