"""Every write to campaigns and their deliveries.

Regional admins create, start, pause, resume and cancel a campaign and send its failed messages
again; each of those checks permission first and writes an audit row. The worker
(`regionhub.mailing.tasks.Worker`) claims deliveries and records what the mail server said
through the functions in the second half of this module, which have no actor.

How a message is sent at most once more than it should be, whatever happens to a worker:

- Starting a campaign freezes its audience: one `Delivery` row per confirmed, never-bounced,
  unsuppressed subscriber, inserted by one `INSERT … SELECT` in the start's transaction. The
  unique (issue, subscriber) constraint means a second campaign of the same issue skips everyone
  the first one already has.
- A worker claims a small batch (`deliveries_claim`): on PostgreSQL `SELECT … FOR UPDATE SKIP
  LOCKED`, so two workers never claim the same rows; on SQLite every transaction begins
  IMMEDIATE (see settings), which makes the select-then-update a single writer's. A claim lasts a
  lease; a claim older than that is taken over, which is how a killed worker's batch gets sent.
- Each message is recorded SENT in its own commit right after the server accepts it
  (`delivery_sent`, or `SentRecords` in the worker). A worker killed between the two leaves
  exactly one message that will be sent again. On PostgreSQL the worker does not wait for the
  record before going on to the next message, but it has the record's answer before the next
  message's final dot goes to the server, so the bound holds.
- On PostgreSQL the worker's commits do not wait for the database's write-ahead log to reach
  disk (`commits_without_waiting`): a commit the server has acknowledged survives any worker
  crash, and only a crash of the database server itself could lose the last fraction of a
  second of SENT records, whose messages would then be sent once more. Waiting for the disk
  instead would double what recording costs per message.
"""

import datetime
import functools
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import is_regional_admin, require
from regionhub.newsletter.models import Issue

from . import conf
from .models import Campaign, Delivery, MailingList, Subscriber, Subscription, Suppression

S = Campaign.Status
D = Delivery.Status
STATE_FIELDS = ["status", "paused_reason", "started_at", "finished_at"]
MAX_RATE_PER_MINUTE = 1_000_000
MAX_ERROR_THRESHOLD = 100_000


class SendingError(Exception):
    """A campaign change that is refused, with a message a person can read."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _require_admin(actor) -> None:
    require(is_regional_admin(actor), "Only regional admins can send the Regional Update.")


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now if now is not None else timezone.now()


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _audit_state(actor, action: str, campaign: Campaign, before: dict, **after) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=campaign,
        before=before,
        after={**snapshot(campaign, STATE_FIELDS), **after},
    )


# Admin actions ---------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor,
    issue: Issue,
    mailing_list: MailingList,
    subject: str = "",
    rate_per_minute: int | None = None,
    error_threshold: int | None = None,
) -> Campaign:
    """A campaign not yet started: nothing is sent and the audience is not fixed until
    `campaign_start`."""
    _require_admin(actor)
    if issue.status != Issue.Status.PUBLISHED:
        raise SendingError(
            f"{issue.title} is not published yet. Publish it before sending it.", field="issue"
        )
    defaults = Campaign()
    rate = defaults.rate_per_minute if rate_per_minute is None else rate_per_minute
    threshold = defaults.error_threshold if error_threshold is None else error_threshold
    if not 0 <= rate <= MAX_RATE_PER_MINUTE:
        raise SendingError(
            f"Enter a rate between 0 (no limit) and {MAX_RATE_PER_MINUTE:,} messages a minute.",
            field="rate_per_minute",
        )
    if not 1 <= threshold <= MAX_ERROR_THRESHOLD:
        raise SendingError(
            f"Enter a number of failures between 1 and {MAX_ERROR_THRESHOLD:,}.",
            field="error_threshold",
        )
    campaign = Campaign.objects.create(
        issue=issue,
        mailing_list=mailing_list,
        subject=(subject.strip() or issue.title)[:200],
        rate_per_minute=rate,
        error_threshold=threshold,
        created_by=actor,
    )
    audit_record(
        actor=actor, action="mailing.campaign.created", obj=campaign, after=snapshot(campaign)
    )
    return campaign


def _freeze_audience(campaign: Campaign) -> int:
    """Insert one pending delivery per subscriber who should receive the issue now, in one
    statement; anyone any campaign already has for this issue is left out by the unique
    (subscriber, issue) constraint and ON CONFLICT DO NOTHING, one index probe per row. (A NOT
    EXISTS over the deliveries instead could be planned, for a table believed empty, as a scan
    of the deliveries per subscriber — while the statement itself fills the table.)"""
    q = connection.ops.quote_name

    def col(model, name: str) -> str:
        return q(model._meta.get_field(name).column)

    delivery, subscriber = q(Delivery._meta.db_table), q(Subscriber._meta.db_table)
    subscription, suppression = q(Subscription._meta.db_table), q(Suppression._meta.db_table)
    columns = ", ".join(
        col(Delivery, name)
        for name in (
            "campaign",
            "issue",
            "subscriber",
            "email",
            "name",
            "status",
            "claimed_by",
            "attempts",
            "error",
        )
    )
    sql = f"""
        INSERT INTO {delivery} ({columns})
        SELECT %s, %s, s.{col(Subscriber, "id")}, s.{col(Subscriber, "email")},
               s.{col(Subscriber, "name")}, %s, '', 0, ''
        FROM {subscription} m
        JOIN {subscriber} s ON s.{col(Subscriber, "id")} = m.{col(Subscription, "subscriber")}
        WHERE m.{col(Subscription, "mailing_list")} = %s
          AND m.{col(Subscription, "status")} = %s
          AND s.{col(Subscriber, "bounced_at")} IS NULL
          AND NOT EXISTS (
            SELECT 1 FROM {suppression} x
            WHERE x.{col(Suppression, "email")} = s.{col(Subscriber, "email")}
          )
        ON CONFLICT DO NOTHING
    """
    params: list[Any] = [
        campaign.pk,
        campaign.issue_id,
        D.PENDING,
        campaign.mailing_list_id,
        Subscription.Status.CONFIRMED,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _analyse(*models) -> None:
    """PostgreSQL: fresh planner statistics for these tables. A list imported minutes ago may
    not have been analysed by autovacuum yet, and a plan made for a table believed nearly empty
    can turn the freeze of a large list into a scan per subscriber."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@transaction.atomic
def campaign_start(*, actor, campaign: Campaign, now: datetime.datetime | None = None) -> int:
    """Freeze the audience and hand the campaign to the workers; returns the audience size.
    Subscribers who confirm later are not added."""
    _require_admin(actor)
    campaign = _locked(campaign)
    if campaign.status != S.DRAFT:
        raise SendingError("This campaign has already been started.", code="started")
    issue = Issue.objects.get(pk=campaign.issue_id)
    if issue.status != Issue.Status.PUBLISHED:
        raise SendingError(f"{issue.title} is not published, so it cannot be sent.")
    before = snapshot(campaign, STATE_FIELDS)
    _analyse(Subscription, Subscriber, Suppression)
    audience = _freeze_audience(campaign)
    _analyse(Delivery)
    now = _now(now)
    campaign.status = S.SENDING
    campaign.started_at = now
    campaign.audience = audience
    campaign.rate_tokens = 0
    campaign.rate_refilled_at = None
    update = ["status", "started_at", "audience", "rate_tokens", "rate_refilled_at"]
    if not audience:
        campaign.status = S.FINISHED
        campaign.finished_at = now
        update.append("finished_at")
    campaign.save(update_fields=update)
    _audit_state(actor, "mailing.campaign.started", campaign, before, audience=audience)
    return audience


@transaction.atomic
def campaign_pause(*, actor, campaign: Campaign, reason: str = "") -> Campaign:
    _require_admin(actor)
    campaign = _locked(campaign)
    if campaign.status != S.SENDING:
        raise SendingError("Only a campaign that is sending can be paused.", code="state")
    before = snapshot(campaign, STATE_FIELDS)
    campaign.status = S.PAUSED
    campaign.paused_reason = (reason.strip() or f"Paused by {actor.name or actor.email}.")[:300]
    campaign.save(update_fields=["status", "paused_reason"])
    _audit_state(actor, "mailing.campaign.paused", campaign, before)
    return campaign


@transaction.atomic
def campaign_resume(*, actor, campaign: Campaign) -> Campaign:
    _require_admin(actor)
    campaign = _locked(campaign)
    if campaign.status != S.PAUSED:
        raise SendingError("Only a paused campaign can be resumed.", code="state")
    before = snapshot(campaign, STATE_FIELDS)
    campaign.status = S.SENDING
    campaign.paused_reason = ""
    # The count towards the automatic pause starts again, and the rate limit does not let
    # through at once what it saved up during the pause.
    campaign.consecutive_failures = 0
    campaign.rate_tokens = 0
    campaign.rate_refilled_at = None
    campaign.save(
        update_fields=[
            "status",
            "paused_reason",
            "consecutive_failures",
            "rate_tokens",
            "rate_refilled_at",
        ]
    )
    _audit_state(actor, "mailing.campaign.resumed", campaign, before)
    return campaign


@transaction.atomic
def campaign_cancel(
    *, actor, campaign: Campaign, now: datetime.datetime | None = None
) -> tuple[Campaign, int]:
    """Stop for good: every message not yet sent is CANCELLED. Returns how many."""
    _require_admin(actor)
    campaign = _locked(campaign)
    if campaign.status not in (S.DRAFT, S.SENDING, S.PAUSED):
        raise SendingError("This campaign has already ended.", code="state")
    before = snapshot(campaign, STATE_FIELDS)
    cancelled = Delivery.objects.filter(campaign=campaign, status=D.PENDING).update(
        status=D.CANCELLED, claimed_by="", claimed_at=None, retry_at=None
    )
    campaign.status = S.CANCELLED
    campaign.finished_at = _now(now)
    campaign.save(update_fields=["status", "finished_at"])
    _audit_state(actor, "mailing.campaign.cancelled", campaign, before, cancelled=cancelled)
    return campaign, cancelled


@transaction.atomic
def campaign_resend_failed(*, actor, campaign: Campaign) -> int:
    """Queue every FAILED message of the campaign again; returns how many. Anyone who has
    unsubscribed, bounced or been suppressed since is skipped when a worker claims them."""
    _require_admin(actor)
    campaign = _locked(campaign)
    if campaign.status not in (S.SENDING, S.PAUSED, S.FINISHED):
        raise SendingError("Only a started campaign that was not cancelled can send again.")
    before = snapshot(campaign, STATE_FIELDS)
    count = Delivery.objects.filter(campaign=campaign, status=D.FAILED).update(
        status=D.PENDING,
        attempts=0,
        retry_at=None,
        claimed_by="",
        claimed_at=None,
        error="",
        smtp_code=None,
    )
    if not count:
        raise SendingError("There are no failed messages to send again.", code="none")
    if campaign.status == S.FINISHED:
        campaign.status = S.SENDING
        campaign.finished_at = None
        campaign.consecutive_failures = 0
        campaign.save(update_fields=["status", "finished_at", "consecutive_failures"])
    _audit_state(actor, "mailing.campaign.resent_failed", campaign, before, requeued=count)
    return count


# The worker's side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    subscriber_id: int
    email: str
    name: str
    attempts: int


@dataclass
class Claim:
    """What one claim gave a worker: deliveries to send now, how many it found it must skip,
    and, when the rate limit held it back, how long until it allows another message."""

    deliveries: list[Claimed] = field(default_factory=list)
    skipped: int = 0
    wait: float = 0.0
    last_id: int = 0  # the highest delivery id looked at, for the next claim to start after


SKIP_REASONS = {
    "unsubscribed": "Unsubscribed before it was sent.",
    "bounced": "The address bounced before it was sent.",
    "suppressed": "The address is on the suppression list.",
}


def _unwelcome(list_id: int, rows: list[tuple]) -> dict[int, str]:
    """Which of the claimed rows must not be sent now, and why: three lookups by key on the
    batch (never a scan of the list, whatever the planner thinks of its size)."""
    subscriber_ids = {row[1] for row in rows}
    confirmed = set(
        Subscription.objects.filter(
            mailing_list_id=list_id,
            subscriber_id__in=subscriber_ids,
            status=Subscription.Status.CONFIRMED,
        ).values_list("subscriber_id", flat=True)
    )
    bounced = set(
        Subscriber.objects.filter(pk__in=subscriber_ids, bounced_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    suppressed = set(
        Suppression.objects.filter(email__in={row[2] for row in rows}).values_list(
            "email", flat=True
        )
    )
    reasons = {}
    for pk, subscriber_id, email, *_ in rows:
        if subscriber_id in bounced:
            reasons[pk] = "bounced"
        elif email in suppressed:
            reasons[pk] = "suppressed"
        elif subscriber_id not in confirmed:
            reasons[pk] = "unsubscribed"
    return reasons


def _take_tokens(campaign: Campaign, wanted: int, now: datetime.datetime) -> tuple[int, float]:
    """Take up to `wanted` messages from the campaign's token bucket (the caller holds the
    campaign row lock and saves it). Returns (taken, seconds until one more is allowed)."""
    per_second = campaign.rate_per_minute / 60.0
    capacity = max(1.0, per_second * conf.rate_burst_seconds())
    if campaign.rate_refilled_at is None:
        tokens = capacity
    else:
        elapsed = max((now - campaign.rate_refilled_at).total_seconds(), 0.0)
        tokens = min(capacity, campaign.rate_tokens + elapsed * per_second)
    taken = min(wanted, int(tokens))
    campaign.rate_tokens = tokens - taken
    campaign.rate_refilled_at = now
    wait = 0.0 if taken else (1.0 - campaign.rate_tokens) / per_second
    return taken, wait


def deliveries_claim(
    *,
    campaign: Campaign,
    worker: str,
    limit: int,
    now: datetime.datetime | None = None,
    lease: float | None = None,
    after_id: int = 0,
) -> Claim:
    """Claim up to `limit` pending deliveries of a sending campaign for `worker`, in id order
    from after `after_id`.

    Rows claimed by another worker within the lease, and rows waiting to be retried, are left
    alone. A row whose subscription is no longer confirmed, whose subscriber has bounced or
    whose address is suppressed is marked SKIPPED here instead of being handed out. A campaign
    with a rate limit is locked while its shared token bucket is drawn from, so the limit holds
    across every worker.

    Rows sent since the last VACUUM leave dead entries in the pending index, which a claim
    from the start of the campaign has to step over; a worker therefore carries on from where
    its last claim ended, and only now and then starts from the beginning again (for retries
    and lapsed claims).
    """
    now = _now(now)
    lease = conf.lease_seconds() if lease is None else lease
    stale = now - _seconds(lease)
    if campaign.rate_per_minute <= 0 and connection.vendor == "postgresql":
        # One statement, atomic on its own: no transaction to open and commit around it.
        return _claim_in_one_statement(campaign, worker, limit, now, stale, after_id)
    locked: Campaign | None = None
    with transaction.atomic():
        if campaign.rate_per_minute > 0:
            locked = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
            if locked is None or locked.status != S.SENDING:
                return Claim()
            limit, wait = _take_tokens(locked, limit, now)
            if not limit:
                locked.save(update_fields=["rate_tokens", "rate_refilled_at"])
                return Claim(wait=wait)
        if connection.vendor == "postgresql":
            claim = _claim_in_one_statement(campaign, worker, limit, now, stale, after_id)
        else:
            claim = _claim_step_by_step(campaign, worker, limit, now, stale, after_id)
        if locked is not None:
            # What was taken but not handed out (too few rows, or skipped) goes back.
            locked.rate_tokens += limit - len(claim.deliveries)
            locked.save(update_fields=["rate_tokens", "rate_refilled_at"])
    return claim


def _claim_step_by_step(campaign, worker, limit, now, stale, after_id) -> Claim:
    """The claim with the ORM, in the caller's transaction (SQLite, where every transaction
    is IMMEDIATE, so nobody else writes between the select and the updates)."""
    rows = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(campaign_id=campaign.pk, status=D.PENDING, pk__gt=after_id)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .order_by("pk")
        .values_list("pk", "subscriber_id", "email", "name", "attempts")[:limit]
    )
    unwelcome = _unwelcome(campaign.mailing_list_id, rows) if rows else {}
    claim = Claim(last_id=max((row[0] for row in rows), default=0))
    skip: dict[str, list[int]] = {}
    for pk, subscriber_id, email, name, attempts in rows:
        reason = unwelcome.get(pk)
        if reason:
            skip.setdefault(reason, []).append(pk)
        else:
            claim.deliveries.append(Claimed(pk, subscriber_id, email, name, attempts))
    for reason, ids in skip.items():
        Delivery.objects.filter(pk__in=ids).update(
            status=D.SKIPPED, error=SKIP_REASONS[reason], claimed_by=worker, claimed_at=now
        )
        claim.skipped += len(ids)
    if claim.deliveries:
        Delivery.objects.filter(pk__in=[d.id for d in claim.deliveries]).update(
            claimed_by=worker, claimed_at=now
        )
    return claim


def _claim_in_one_statement(campaign, worker, limit, now, stale, after_id) -> Claim:
    """The same claim as `_claim_step_by_step` in one PostgreSQL statement: pick the rows
    (SKIP LOCKED), judge each by key (bounced, suppressed, no longer confirmed), stamp them all
    and mark the unwelcome SKIPPED. It runs once per batch of every worker, and the ORM's seven
    round trips cost more than the rows."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = _binding_cursor(connection.connection)
        cursor.execute(
            _CLAIM_SQL,
            {
                "campaign": campaign.pk,
                "after": after_id,
                "stale": stale,
                "now": now,
                "limit": limit,
                "list": campaign.mailing_list_id,
                "worker": worker,
                "pending": D.PENDING,
                "skipped": D.SKIPPED,
                "confirmed": Subscription.Status.CONFIRMED,
                **{f"why_{reason}": text for reason, text in SKIP_REASONS.items()},
            },
        )
        rows = sorted(cursor.fetchall())
    claim = Claim(last_id=rows[-1][0] if rows else 0)
    for pk, subscriber_id, email, name, attempts, reason in rows:
        if reason:
            claim.skipped += 1
        else:
            claim.deliveries.append(Claimed(pk, subscriber_id, email, name, attempts))
    return claim


def _claim_sql() -> str:
    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    # The rows are picked first and judged afterwards: judged in the same query, the check
    # of the subscription was planned as one scan of the whole list per claim.
    return f"""
WITH picked AS (
    SELECT d.id, d.subscriber_id, d.email
    FROM {table(Delivery)} d
    WHERE d.campaign_id = %(campaign)s AND d.status = %(pending)s AND d.id > %(after)s
        AND (d.claimed_at IS NULL OR d.claimed_at < %(stale)s)
        AND (d.retry_at IS NULL OR d.retry_at <= %(now)s)
    ORDER BY d.id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), judged AS (
    SELECT p.id,
        CASE
            WHEN s.bounced_at IS NOT NULL THEN 'bounced'
            WHEN x.email IS NOT NULL THEN 'suppressed'
            WHEN m.subscriber_id IS NULL THEN 'unsubscribed'
        END AS reason
    FROM picked p
    JOIN {table(Subscriber)} s ON s.id = p.subscriber_id
    LEFT JOIN {table(Suppression)} x ON x.email = p.email
    LEFT JOIN {table(Subscription)} m ON m.mailing_list_id = %(list)s
        AND m.subscriber_id = p.subscriber_id AND m.status = %(confirmed)s
)
UPDATE {table(Delivery)} d
SET claimed_by = %(worker)s, claimed_at = %(now)s,
    status = CASE WHEN j.reason IS NULL THEN d.status ELSE %(skipped)s END,
    error = CASE j.reason
        WHEN 'bounced' THEN %(why_bounced)s
        WHEN 'suppressed' THEN %(why_suppressed)s
        WHEN 'unsubscribed' THEN %(why_unsubscribed)s
        ELSE d.error
    END
FROM judged j
WHERE d.id = j.id
RETURNING d.id, d.subscriber_id, d.email, d.name, d.attempts, j.reason
"""


_CLAIM_SQL = _claim_sql()


def _seconds(value: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=value)


def commits_without_waiting() -> bool:
    """PostgreSQL: let this connection's commits return before the write-ahead log is flushed
    (`synchronous_commit = off`; see the module's docstring). Set once per connection, outside
    any transaction. Returns True when it was set now."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    connection.ensure_connection()
    raw = connection.connection
    if raw is None or raw in _relaxed_connections:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    _relaxed_connections.add(raw)
    return True


_relaxed_connections: "weakref.WeakSet[Any]" = weakref.WeakSet()


def delivery_sent(*, delivery_id: int, now: datetime.datetime | None = None) -> None:
    """The server accepted the message: record it at once, in its own commit. Recorded whatever
    happened to the row meanwhile (a cancel, another worker's claim): it was sent.

    One fixed statement rather than the ORM's update: this runs once per message. On
    PostgreSQL it is sent with its values apart (bound on the server), which costs this process
    less than inlining them. It is not prepared through psycopg: Django turns that off, and
    psycopg answers any rollback on a connection where it prepared something with DEALLOCATE
    ALL, which would also drop what `core.prepared` prepared there."""
    sent_at = _now(now)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.wrap_database_errors:
            _binding_cursor(connection.connection).execute(
                _SENT_SQL, [D.SENT, sent_at, delivery_id]
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _SENT_SQL, [D.SENT, connection.ops.adapt_datetimefield_value(sent_at), delivery_id]
        )


_cursor_here = threading.local()


def _binding_cursor(raw):
    """A cursor binding parameters on the server, whatever cursor class Django gives the
    connection; kept while this thread's connection is the same."""
    cursor = getattr(_cursor_here, "cursor", None)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        import psycopg

        cursor = _cursor_here.cursor = psycopg.Cursor(raw)
    return cursor


_DELIVERY_TABLE = Delivery._meta.db_table
_SENT_SQL = (
    f"UPDATE {_DELIVERY_TABLE} SET status = %s, sent_at = %s, smtp_code = 250, error = '', "
    "attempts = attempts + 1, retry_at = NULL WHERE id = %s"
)
_SENT_SQL_LIBPQ = (
    _SENT_SQL.replace("%s", "$1", 1).replace("%s", "$2", 1).replace("%s", "$3", 1).encode()
)
_SENT_STATUS = str(D.SENT).encode()


class SentRecords:
    """One worker's SENT records (what `delivery_sent` writes, each in its own commit), with
    the wait for each overlapped with the next message.

    On PostgreSQL `record` sends the UPDATE through libpq and returns at once; `confirm` reads
    its answer, raising a `DatabaseError` as `delivery_sent` would. The worker confirms before
    the next message's data goes to the mail server (the data ends with the dot that has it
    accepted) and before it asks anything else of the database, so at any instant at most one
    accepted message is unrecorded: a worker killed then sends it again, as before. Meanwhile
    the database commits the record while the worker personalises the next message and the
    server answers its envelope. The statement goes with its values apart and unprepared, as
    in `delivery_sent`, and its values are written as text here, which costs less than
    psycopg's cursor. Elsewhere `record` is `delivery_sent` and `confirm` has nothing to do.
    """

    def __init__(self):
        self._waiting = None  # the connection whose answer is still to be read

    def record(self, *, delivery_id: int, now: datetime.datetime | None = None) -> None:
        """Record the delivery SENT; the previous record is confirmed first."""
        self.confirm()
        sent_at = _now(now)
        if connection.vendor != "postgresql":
            delivery_sent(delivery_id=delivery_id, now=sent_at)
            return
        connection.ensure_connection()
        raw = connection.connection
        with connection.wrap_database_errors:
            raw.pgconn.send_query_params(
                _SENT_SQL_LIBPQ,
                [_SENT_STATUS, sent_at.isoformat().encode(), str(delivery_id).encode()],
            )
            # The connection's own wait, which sleeps until the socket is ready.
            raw.wait(_psycopg().generators.send(raw.pgconn))
        self._waiting = raw

    def confirm(self) -> None:
        """Wait for the last record's answer, if it has not been read yet."""
        raw, self._waiting = self._waiting, None
        if raw is None:
            return
        psycopg = _psycopg()
        with connection.wrap_database_errors:
            for result in raw.wait(psycopg.generators.fetch_many(raw.pgconn)):
                if result.status != psycopg.pq.ExecStatus.COMMAND_OK:
                    raise psycopg.errors.error_from_result(result, encoding="utf-8")


@functools.cache
def _psycopg():
    """psycopg with the modules `SentRecords` uses (its own steps for sending a query and
    reading the answer on a non-blocking connection), imported where PostgreSQL is used."""
    import psycopg.errors
    import psycopg.generators
    import psycopg.pq

    return psycopg


@transaction.atomic
def delivery_bounced(
    *, delivery_id: int, code: int, error: str, now: datetime.datetime | None = None
) -> None:
    """A permanent refusal of the address (SMTP 5xx to RCPT): the delivery is BOUNCED, the
    subscriber marked bounced and the address suppressed, so nothing is sent to it again."""
    now = _now(now)
    delivery = Delivery.objects.select_related("subscriber").get(pk=delivery_id)
    Delivery.objects.filter(pk=delivery_id).update(
        status=D.BOUNCED,
        smtp_code=code,
        error=error[:500],
        attempts=F("attempts") + 1,
        retry_at=None,
    )
    subscriber = delivery.subscriber
    if subscriber.bounced_at is None:
        before = snapshot(subscriber, ["bounced_at"])
        subscriber.bounced_at = now
        subscriber.save(update_fields=["bounced_at"])
        audit_record(
            actor=None,
            action="mailing.subscriber.bounced",
            obj=subscriber,
            before=before,
            after={**snapshot(subscriber, ["bounced_at"]), "smtp_code": code, "error": error},
        )
    Suppression.objects.get_or_create(
        email=delivery.email.lower(),
        defaults={
            "reason": Suppression.Reason.BOUNCED,
            "note": f"{code} {error}"[:1000],
        },
    )


def delivery_refused(
    *, delivery_id: int, code: int, error: str, now: datetime.datetime | None = None
) -> None:
    """A permanent refusal of the message rather than the address (a 5xx after DATA): FAILED,
    not retried, the address left alone."""
    Delivery.objects.filter(pk=delivery_id).update(
        status=D.FAILED,
        smtp_code=code,
        error=error[:500],
        attempts=F("attempts") + 1,
        retry_at=None,
    )


def delivery_retry_later(
    *,
    delivery_id: int,
    attempts: int,
    code: int | None,
    error: str,
    now: datetime.datetime | None = None,
) -> bool:
    """A temporary failure (4xx, lost connection). The delivery is released to be tried again
    after a wait that doubles each time, or FAILED after the last attempt; `attempts` is how
    many tries it had before this one. Returns True when it failed for good."""
    now = _now(now)
    tried = attempts + 1
    final = tried >= conf.max_attempts()
    Delivery.objects.filter(pk=delivery_id).update(
        status=D.FAILED if final else D.PENDING,
        attempts=tried,
        smtp_code=code,
        error=error[:500],
        claimed_by="",
        claimed_at=None,
        retry_at=None if final else now + _seconds(conf.retry_seconds() * 2 ** (tried - 1)),
    )
    return final


def deliveries_release(*, worker: str, ids: list[int]) -> int:
    """Give back claimed deliveries a worker will not send (it is stopping, or the campaign
    was paused), so that another worker need not wait for the lease."""
    return Delivery.objects.filter(pk__in=ids, claimed_by=worker, status=D.PENDING).update(
        claimed_by="", claimed_at=None
    )


@transaction.atomic
def campaign_failure(*, campaign_id: int, error: str) -> bool:
    """Count one more failure in a row; at the campaign's threshold it pauses itself. Returns
    True when this failure paused it."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    campaign.consecutive_failures += 1
    update = ["consecutive_failures"]
    paused = campaign.status == S.SENDING and (
        campaign.consecutive_failures >= campaign.error_threshold
    )
    if paused:
        before = snapshot(campaign, STATE_FIELDS)
        campaign.status = S.PAUSED
        campaign.paused_reason = (
            f"Paused automatically after {campaign.consecutive_failures} failures in a row. "
            f"The last: {error}"
        )[:300]
        update += ["status", "paused_reason"]
    campaign.save(update_fields=update)
    if paused:
        _audit_state(None, "mailing.campaign.paused_automatically", campaign, before)
    return paused


def campaign_failures_reset(*, campaign_id: int) -> None:
    """A message went through: the failures are no longer in a row."""
    Campaign.objects.filter(pk=campaign_id, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )


@transaction.atomic
def campaign_pause_on_error(*, campaign_id: int, reason: str) -> bool:
    """Pause a campaign the worker cannot send at all (its issue would not render)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status != S.SENDING:
        return False
    before = snapshot(campaign, STATE_FIELDS)
    campaign.status = S.PAUSED
    campaign.paused_reason = reason[:300]
    campaign.save(update_fields=["status", "paused_reason"])
    _audit_state(None, "mailing.campaign.paused_automatically", campaign, before)
    return True


@transaction.atomic
def campaign_finish_if_done(*, campaign_id: int, now: datetime.datetime | None = None) -> bool:
    """Mark a sending campaign FINISHED once nothing is pending (not even a retry). The row
    lock orders this against "resend to failed", which queues messages again."""
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None or campaign.status != S.SENDING:
        return False
    if Delivery.objects.filter(campaign_id=campaign_id, status=D.PENDING).exists():
        return False
    before = snapshot(campaign, STATE_FIELDS)
    campaign.status = S.FINISHED
    campaign.finished_at = _now(now)
    campaign.save(update_fields=["status", "finished_at"])
    _audit_state(None, "mailing.campaign.finished", campaign, before)
    return True
