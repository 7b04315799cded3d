"""Every write to the mailing lists: subscribe, confirm, unsubscribe, preferences, and the
regional admins' lists, subscribers, suppression list and imports.

Who may receive an issue: a subscriber whose subscription to the list is CONFIRMED, whose
`bounced_at` is empty and whose address is not on the suppression list (`may_send`). Sending
checks this again when it claims each batch, so an unsubscribe or a suppression stops even a
message already queued.

Public actions (subscribe, confirm, unsubscribe, preferences) have no actor: the signed link is
the proof. They are audited with no actor, like every change to personal data.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import is_regional_admin, require

from . import importing
from .emails import send_confirmation
from .models import MailingList, Subscriber, Subscription, Suppression
from .tokens import ConfirmRequest

S = Subscription.Status
# At most one confirmation email per address in this time, however often the form is sent.
RESEND_AFTER = datetime.timedelta(minutes=10)
LIST_FIELDS = ["name", "slug", "description", "public"]


class MailingError(Exception):
    """A change to the mailing lists that is refused, with a message a person can read."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _require_admin(actor) -> None:
    require(is_regional_admin(actor), "Only regional admins manage the mailing lists.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str, *, field: str = "email") -> str:
    """The address in lower case, or MailingError if it is not a valid one."""
    email = normalise_email(email)
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError as error:
        raise MailingError("Enter an email address like name@example.org", field=field) from error
    return email


def when(moment: datetime.datetime) -> str:
    """'3 July 2024 at 10:15' in Europe/London, for consent notes."""
    local = timezone.localtime(moment)
    return f"{local:%-d %B %Y at %H:%M}"


def _suppressed(email: str) -> Suppression | None:
    return Suppression.objects.filter(email=email).first()


def may_send(*, subscriber_id: int, list_id: int) -> bool:
    """Whether the subscriber may receive the list now: confirmed, not bounced, not suppressed.
    One query. Sending in batches uses `selectors.sendable_subscriber_ids` instead."""
    suppressed = Suppression.objects.filter(email=OuterRef("subscriber__email"))
    return (
        Subscription.objects.filter(
            subscriber_id=subscriber_id,
            mailing_list_id=list_id,
            status=S.CONFIRMED,
            subscriber__bounced_at__isnull=True,
        )
        .exclude(Exists(suppressed))
        .exists()
    )


# Subscribing (public) --------------------------------------------------------------------------


@dataclass
class SubscribeOutcome:
    """What a subscribe request did. The page shows the same words whatever happened, so that
    the form cannot be used to find out who is subscribed; this is for tests and logs."""

    emailed: bool = False
    already_subscribed: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    blocked: str = ""


def _subscriber_for_update(email: str, *, name: str, organisation: str) -> Subscriber:
    """The subscriber with this address, created if new, locked so that two requests for the
    same address take turns."""
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is not None:
        return subscriber
    try:
        with transaction.atomic():
            return Subscriber.objects.create(email=email, name=name, organisation=organisation)
    except IntegrityError:
        # Created by a request that ran at the same moment.
        return Subscriber.objects.select_for_update().get(email=email)


@transaction.atomic
def subscription_request(
    *,
    email: str,
    lists: list[MailingList],
    name: str = "",
    organisation: str = "",
    now: datetime.datetime | None = None,
) -> SubscribeOutcome:
    """Someone asks, through the public form, for `email` to receive `lists`: pending
    subscriptions, and one email with a link to confirm them (double opt-in).

    - An address already confirmed on a list stays as it is and gets no email for it.
    - At most one confirmation email per address every ten minutes (`RESEND_AFTER`); a
      request in between adds its lists to the pending ones, which the earlier link confirms.
    - An address that unsubscribed from everything gets a confirmation email: they are asking
      again, and the suppression is lifted only when they confirm.
    - An address that bounced, or is suppressed for a complaint or by an admin, gets nothing
      and nothing changes: mail to it cannot or must not be sent. A regional admin can lift it.
    - The name and organisation typed are stored for a new address; for a known one they are
      carried in the link and applied on confirmation, so nobody can rename someone else.
    """
    now = now or timezone.now()
    email = check_email(email)
    lists = [ml for ml in lists if ml.public]
    if not lists:
        raise MailingError("Choose a mailing list", field="lists")
    name, organisation = name.strip(), organisation.strip()
    outcome = SubscribeOutcome()
    suppression = _suppressed(email)
    if suppression is not None and suppression.reason != Suppression.Reason.UNSUBSCRIBED:
        outcome.blocked = suppression.reason
        return outcome
    subscriber = _subscriber_for_update(email, name=name, organisation=organisation)
    if subscriber.bounced_at is not None:
        outcome.blocked = Suppression.Reason.BOUNCED
        return outcome
    existing = {s.mailing_list_id: s for s in subscriber.subscriptions.all()}
    recently_emailed = any(
        s.status == S.PENDING and s.requested_at > now - RESEND_AFTER for s in existing.values()
    )
    for mailing_list in lists:
        subscription = existing.get(mailing_list.pk)
        if subscription is not None and subscription.status == S.CONFIRMED:
            outcome.already_subscribed.append(mailing_list.name)
            continue
        if subscription is None:
            subscription = Subscription.objects.create(
                mailing_list=mailing_list,
                subscriber=subscriber,
                status=S.PENDING,
                source=Subscription.Source.FORM,
            )
            audit_record(
                actor=None,
                action="mailing.subscription.requested",
                obj=subscription,
                after=snapshot(subscription),
            )
        elif not recently_emailed:
            before = snapshot(subscription)
            subscription.status = S.PENDING
            subscription.requested_at = now
            subscription.save(update_fields=["status", "requested_at"])
            audit_record(
                actor=None,
                action="mailing.subscription.requested",
                obj=subscription,
                before=before,
                after=snapshot(subscription),
            )
        outcome.pending.append(mailing_list.name)
    if outcome.pending and not recently_emailed:
        # Refresh the other pending rows too: the new email is what confirms them.
        subscriber.subscriptions.filter(status=S.PENDING).update(requested_at=now)
        outcome.emailed = True
        transaction.on_commit(lambda: send_confirmation.enqueue(subscriber.pk, name, organisation))
    return outcome


def subscriptions_to_confirm(subscriber_id: int) -> list[Subscription]:
    return list(
        Subscription.objects.filter(subscriber_id=subscriber_id, status=S.PENDING)
        .select_related("mailing_list")
        .order_by("mailing_list__name")
    )


@transaction.atomic
def subscription_confirm(
    *, request: ConfirmRequest, now: datetime.datetime | None = None
) -> list[Subscription]:
    """Confirm every pending subscription of the subscriber the link was made for; the
    consent note says how and when. Returns those confirmed (none if already done)."""
    now = now or timezone.now()
    subscriber = Subscriber.objects.select_for_update().filter(pk=request.subscriber_id).first()
    if subscriber is None:
        raise MailingError(
            "This subscription no longer exists. Fill in the subscribe form again.",
            code="missing",
        )
    suppression = _suppressed(subscriber.email)
    blocked = suppression is not None and suppression.reason != Suppression.Reason.UNSUBSCRIBED
    if subscriber.bounced_at is not None or blocked:
        raise MailingError(
            "We cannot send email to this address. Ask the Regional Team if you think this is "
            "wrong.",
            code="suppressed",
        )
    pending = list(
        subscriber.subscriptions.select_for_update()
        .filter(status=S.PENDING)
        .select_related("mailing_list")
    )
    if not pending:
        return []
    for subscription in pending:
        before = snapshot(subscription)
        subscription.status = S.CONFIRMED
        subscription.source = Subscription.Source.FORM
        subscription.confirmed_at = now
        subscription.unsubscribed_at = None
        subscription.consent_note = (
            f"Double opt-in via the subscribe form: requested {when(subscription.requested_at)}, "
            f"confirmed {when(now)} through the link emailed to this address."
        )
        subscription.save(
            update_fields=["status", "source", "confirmed_at", "unsubscribed_at", "consent_note"]
        )
        audit_record(
            actor=None,
            action="mailing.subscription.confirmed",
            obj=subscription,
            before=before,
            after=snapshot(subscription),
        )
    _update_details(subscriber, name=request.name, organisation=request.organisation)
    if suppression is not None:
        audit_record(
            actor=None,
            action="mailing.suppression.lifted",
            obj=suppression,
            before=snapshot(suppression),
        )
        suppression.delete()
    return pending


def _update_details(subscriber: Subscriber, *, name: str, organisation: str) -> None:
    before = snapshot(subscriber, ["name", "organisation"])
    subscriber.name = name.strip() or subscriber.name
    subscriber.organisation = organisation.strip() or subscriber.organisation
    after = snapshot(subscriber, ["name", "organisation"])
    if before != after:
        subscriber.save(update_fields=["name", "organisation"])
        audit_record(
            actor=None,
            action="mailing.subscriber.updated",
            obj=subscriber,
            before=before,
            after=after,
        )


# Unsubscribing and preferences (public, through signed links) ----------------------------------


def _unsubscribe(
    subscription: Subscription, *, now: datetime.datetime, how: str, actor=None
) -> None:
    before = snapshot(subscription)
    subscription.status = S.UNSUBSCRIBED
    subscription.unsubscribed_at = now
    subscription.save(update_fields=["status", "unsubscribed_at"])
    audit_record(
        actor=actor,
        action=f"mailing.subscription.{how}",
        obj=subscription,
        before=before,
        after=snapshot(subscription),
    )


@transaction.atomic
def subscription_unsubscribe(
    *, subscriber_id: int, list_id: int, now: datetime.datetime | None = None
) -> Subscription | None:
    """Unsubscribe from one list (the link in every issue, and RFC 8058 one-click). Safe to
    repeat; None when there is no such subscription (removed by an admin, say)."""
    subscription = (
        Subscription.objects.select_for_update()
        .select_related("mailing_list", "subscriber")
        .filter(subscriber_id=subscriber_id, mailing_list_id=list_id)
        .first()
    )
    if subscription is None:
        return None
    if subscription.status != S.UNSUBSCRIBED:
        _unsubscribe(subscription, now=now or timezone.now(), how="unsubscribed")
    return subscription


@transaction.atomic
def subscriber_preferences_update(
    *,
    subscriber: Subscriber,
    list_ids: set[int],
    name: str,
    organisation: str,
    now: datetime.datetime | None = None,
) -> None:
    """The preferences page: stay on or leave each list offered, and change name and
    organisation. The page is reached through a link sent to the address, so subscribing
    there needs no second confirmation; the consent note says so."""
    now = now or timezone.now()
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    subscriptions = {s.mailing_list_id: s for s in subscriber.subscriptions.select_for_update()}
    offered = {ml.pk: ml for ml in lists_for_preferences(subscriber)}
    wanted = {pk for pk in list_ids if pk in offered}
    joining = [
        pk
        for pk in wanted
        if subscriptions.get(pk) is None or subscriptions[pk].status != S.CONFIRMED
    ]
    if joining:
        suppression = _suppressed(subscriber.email)
        if subscriber.bounced_at is not None or (
            suppression is not None and suppression.reason != Suppression.Reason.UNSUBSCRIBED
        ):
            raise MailingError(
                "We cannot send email to this address, so it cannot join a list. Ask the "
                "Regional Team if you think this is wrong.",
                field="lists",
                code="suppressed",
            )
        if suppression is not None:
            audit_record(
                actor=None,
                action="mailing.suppression.lifted",
                obj=suppression,
                before=snapshot(suppression),
            )
            suppression.delete()
    for pk in joining:
        subscription = subscriptions.get(pk)
        before = snapshot(subscription) if subscription else None
        if subscription is None:
            subscription = Subscription(mailing_list=offered[pk], subscriber=subscriber)
        subscription.status = S.CONFIRMED
        subscription.source = Subscription.Source.FORM
        subscription.confirmed_at = now
        subscription.unsubscribed_at = None
        subscription.consent_note = (
            f"Subscribed on the preferences page, reached through a link emailed to this "
            f"address, {when(now)}."
        )
        subscription.save()
        audit_record(
            actor=None,
            action="mailing.subscription.confirmed",
            obj=subscription,
            before=before,
            after=snapshot(subscription),
        )
    for pk, subscription in subscriptions.items():
        if pk in offered and pk not in wanted and subscription.status != S.UNSUBSCRIBED:
            _unsubscribe(subscription, now=now, how="unsubscribed")
    _update_details(subscriber, name=name, organisation=organisation)


@transaction.atomic
def subscriber_unsubscribe_all(
    *, subscriber: Subscriber, now: datetime.datetime | None = None
) -> None:
    """Leave every list and put the address on the suppression list, so that no list, import
    or admin adds it again without the person asking (the subscribe form lifts it)."""
    now = now or timezone.now()
    for subscription in subscriber.subscriptions.select_for_update().exclude(status=S.UNSUBSCRIBED):
        _unsubscribe(subscription, now=now, how="unsubscribed")
    suppression, created = Suppression.objects.get_or_create(
        email=subscriber.email,
        defaults={
            "reason": Suppression.Reason.UNSUBSCRIBED,
            "note": f"Unsubscribed from everything on the preferences page, {when(now)}.",
        },
    )
    if created:
        audit_record(
            actor=None,
            action="mailing.suppression.added",
            obj=suppression,
            after=snapshot(suppression),
        )


def lists_for_preferences(subscriber: Subscriber) -> list[MailingList]:
    """Public lists, and any other list the subscriber is or was on."""
    on = Subscription.objects.filter(subscriber=subscriber, mailing_list=OuterRef("pk"))
    return list(MailingList.objects.filter(public=True) | MailingList.objects.filter(Exists(on)))


# Regional admins: lists ------------------------------------------------------------------------


def _validate_list(*, pk: int | None, name: str, slug: str) -> None:
    others = MailingList.objects.exclude(pk=pk) if pk is not None else MailingList.objects.all()
    if others.filter(name__iexact=name).exists():
        raise MailingError(
            f"There is already a list called {name}.", field="name", code="duplicate"
        )
    if others.filter(slug=slug).exists():
        raise MailingError(
            f"There is already a list with the short name {slug}.", field="slug", code="duplicate"
        )


@transaction.atomic
def mailing_list_create(
    *, actor, name: str, slug: str, description: str = "", public: bool = True
) -> MailingList:
    _require_admin(actor)
    name, slug = name.strip(), slug.strip().lower()
    _validate_list(pk=None, name=name, slug=slug)
    mailing_list = MailingList(name=name, slug=slug, description=description.strip(), public=public)
    try:
        with transaction.atomic():
            mailing_list.save()
    except IntegrityError as error:
        raise MailingError(f"There is already a list called {name}.", field="name") from error
    audit_record(
        actor=actor, action="mailing.list.created", obj=mailing_list, after=snapshot(mailing_list)
    )
    return mailing_list


@transaction.atomic
def mailing_list_update(
    *, actor, mailing_list: MailingList, name: str, slug: str, description: str, public: bool
) -> MailingList:
    _require_admin(actor)
    name, slug = name.strip(), slug.strip().lower()
    _validate_list(pk=mailing_list.pk, name=name, slug=slug)
    mailing_list = MailingList.objects.select_for_update().get(pk=mailing_list.pk)
    before = snapshot(mailing_list, LIST_FIELDS)
    mailing_list.name = name
    mailing_list.slug = slug
    mailing_list.description = description.strip()
    mailing_list.public = public
    after = snapshot(mailing_list, LIST_FIELDS)
    if before != after:
        mailing_list.save(update_fields=LIST_FIELDS)
        audit_record(
            actor=actor, action="mailing.list.updated", obj=mailing_list, before=before, after=after
        )
    return mailing_list


# Regional admins: subscribers ------------------------------------------------------------------


def _refuse_suppressed(email: str, subscriber: Subscriber | None, *, field: str) -> None:
    suppression = _suppressed(email)
    if suppression is not None:
        raise MailingError(
            f"{email} is on the suppression list ({suppression.get_reason_display().lower()}). "
            "Remove it from the suppression list first if this person has asked to receive "
            "the list again.",
            field=field,
            code="suppressed",
        )
    if subscriber is not None and subscriber.bounced_at is not None:
        raise MailingError(
            f"Mail to {email} bounced on {when(subscriber.bounced_at)}; it cannot be added.",
            field=field,
            code="bounced",
        )


@transaction.atomic
def subscriber_add(
    *,
    actor,
    mailing_list: MailingList,
    email: str,
    consent_note: str,
    name: str = "",
    organisation: str = "",
    now: datetime.datetime | None = None,
) -> Subscription:
    """A regional admin adds one person who has agreed to receive the list; the consent note
    says how and when they agreed. Nobody who unsubscribed from the list is added back: they
    subscribe again themselves."""
    _require_admin(actor)
    now = now or timezone.now()
    email = check_email(email)
    consent_note = consent_note.strip()
    if not consent_note:
        raise MailingError(
            "Say how and when this person agreed to receive the list", field="consent_note"
        )
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    _refuse_suppressed(email, subscriber, field="email")
    if subscriber is None:
        subscriber = Subscriber.objects.create(
            email=email, name=name.strip(), organisation=organisation.strip()
        )
        audit_record(
            actor=actor,
            action="mailing.subscriber.created",
            obj=subscriber,
            after=snapshot(subscriber),
        )
    subscription = (
        Subscription.objects.select_for_update()
        .filter(mailing_list=mailing_list, subscriber=subscriber)
        .first()
    )
    if subscription is not None and subscription.status == S.CONFIRMED:
        raise MailingError(
            f"{email} is already subscribed to {mailing_list}.", field="email", code="duplicate"
        )
    if subscription is not None and subscription.status == S.UNSUBSCRIBED:
        raise MailingError(
            f"{email} unsubscribed from {mailing_list}"
            + (f" on {when(subscription.unsubscribed_at)}" if subscription.unsubscribed_at else "")
            + ". Only they can subscribe again, through the subscribe form.",
            field="email",
            code="unsubscribed",
        )
    before = snapshot(subscription) if subscription else None
    if subscription is None:
        subscription = Subscription(mailing_list=mailing_list, subscriber=subscriber)
    subscription.status = S.CONFIRMED
    subscription.source = Subscription.Source.ADMIN
    subscription.confirmed_at = now
    subscription.consent_note = consent_note
    subscription.save()
    if not subscriber.name and name.strip() or not subscriber.organisation and organisation.strip():
        subscriber.name = subscriber.name or name.strip()
        subscriber.organisation = subscriber.organisation or organisation.strip()
        subscriber.save(update_fields=["name", "organisation"])
    audit_record(
        actor=actor,
        action="mailing.subscription.added",
        obj=subscription,
        before=before,
        after=snapshot(subscription),
    )
    return subscription


@transaction.atomic
def subscription_remove(*, actor, subscription: Subscription) -> None:
    """Take someone off a list. The subscriber and other lists stay; the history is in the
    audit log."""
    _require_admin(actor)
    audit_record(
        actor=actor,
        action="mailing.subscription.removed",
        obj=subscription,
        before=snapshot(subscription),
    )
    subscription.delete()


# Regional admins: the suppression list ---------------------------------------------------------


@transaction.atomic
def suppression_add(
    *, actor, email: str, note: str, reason: str = Suppression.Reason.MANUAL
) -> Suppression:
    _require_admin(actor)
    email = check_email(email)
    existing = _suppressed(email)
    if existing is not None:
        raise MailingError(
            f"{email} is already on the suppression list.", field="email", code="duplicate"
        )
    suppression = Suppression.objects.create(email=email, reason=reason, note=note.strip())
    audit_record(
        actor=actor,
        action="mailing.suppression.added",
        obj=suppression,
        after=snapshot(suppression),
    )
    return suppression


@transaction.atomic
def suppression_remove(*, actor, suppression: Suppression, note: str = "") -> None:
    """Lift a suppression. A bounced address is also marked as deliverable again, since an
    admin lifting it says the address works now."""
    _require_admin(actor)
    before = snapshot(suppression)
    audit_record(
        actor=actor,
        action="mailing.suppression.removed",
        obj=suppression,
        before=before,
        after={"note": note.strip()} if note.strip() else None,
    )
    if suppression.reason == Suppression.Reason.BOUNCED:
        for subscriber in Subscriber.objects.select_for_update().filter(
            email=suppression.email, bounced_at__isnull=False
        ):
            audit_record(
                actor=actor,
                action="mailing.subscriber.bounce_cleared",
                obj=subscriber,
                before=snapshot(subscriber, ["bounced_at"]),
                after={"bounced_at": None},
            )
            subscriber.bounced_at = None
            subscriber.save(update_fields=["bounced_at"])
    suppression.delete()


# Regional admins: importing a list -------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import found or did: every rejected row with its line and reason."""

    rows: int = 0
    new: int = 0
    confirmed: int = 0
    already: int = 0
    rejected: list[importing.Rejection] = field(default_factory=list)
    error: str = ""
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and not self.rejected


def subscribers_import(
    *,
    actor,
    mailing_list: MailingList,
    data: bytes,
    commit: bool,
    now: datetime.datetime | None = None,
) -> ImportReport:
    """Check a CSV of an existing list (email, name, organisation, consent note) and, if
    `commit` and every row is acceptable, import it in one transaction: each row becomes a
    CONFIRMED subscription from an import with its consent note. Anything rejected means
    nothing is imported. Importing the same file again adds nobody twice."""
    _require_admin(actor)
    now = now or timezone.now()
    report = ImportReport()
    try:
        rows = importing.parse(data)
    except importing.ImportFileError as error:
        report.error = error.message
        return report
    report.rows = len(rows)
    report.rejected = [r for r in rows if isinstance(r, importing.Rejection)]
    accepted = [r for r in rows if isinstance(r, importing.Row)]
    emails = [r.email for r in accepted]
    subscribers = _in_chunks(emails, lambda chunk: Subscriber.objects.filter(email__in=chunk))
    by_email = {s.email: s for s in subscribers}
    suppressed = {
        s.email: s
        for s in _in_chunks(emails, lambda chunk: Suppression.objects.filter(email__in=chunk))
    }
    subscriptions = {
        s.subscriber_id: s
        for s in _in_chunks(
            [s.pk for s in subscribers],
            lambda chunk: Subscription.objects.filter(
                mailing_list=mailing_list, subscriber_id__in=chunk
            ),
        )
    }
    plan: list[tuple[importing.Row, Subscriber | None, Subscription | None]] = []
    for row in accepted:
        subscriber = by_email.get(row.email)
        subscription = subscriptions.get(subscriber.pk) if subscriber else None
        reason = _import_refusal(row, subscriber, subscription, suppressed.get(row.email))
        if reason:
            report.rejected.append(
                importing.Rejection(line=row.line, email=row.email, reason=reason)
            )
            continue
        if subscription is not None and subscription.status == S.CONFIRMED:
            report.already += 1
        elif subscriber is None:
            report.new += 1
            report.confirmed += 1
        else:
            report.confirmed += 1
        plan.append((row, subscriber, subscription))
    report.rejected.sort(key=lambda r: r.line)
    if not commit or report.rejected:
        return report
    try:
        _import_commit(actor=actor, mailing_list=mailing_list, plan=plan, now=now)
    except IntegrityError:
        # Someone subscribed one of these addresses between the check and the import.
        report.error = (
            "The list changed while the file was being imported, so nothing was imported. "
            "Import the file again."
        )
        return report
    report.committed = True
    audit_record(
        actor=actor,
        action="mailing.list.imported",
        obj=mailing_list,
        after={
            "rows": report.rows,
            "new": report.new,
            "confirmed": report.confirmed,
            "already": report.already,
        },
    )
    return report


def _import_refusal(
    row: "importing.Row",
    subscriber: Subscriber | None,
    subscription: Subscription | None,
    suppression: Suppression | None,
) -> str:
    if suppression is not None:
        return f"On the suppression list ({suppression.get_reason_display().lower()})"
    if subscriber is not None and subscriber.bounced_at is not None:
        return "Mail to this address bounced"
    if subscription is not None and subscription.status == S.UNSUBSCRIBED:
        return "Unsubscribed from this list; only they can subscribe again"
    return ""


@transaction.atomic
def _import_commit(
    *,
    actor,
    mailing_list: MailingList,
    plan: list[tuple["importing.Row", Subscriber | None, Subscription | None]],
    now: datetime.datetime,
) -> None:
    new = [
        Subscriber(email=row.email, name=row.name, organisation=row.organisation)
        for row, subscriber, _ in plan
        if subscriber is None
    ]
    Subscriber.objects.bulk_create(new, batch_size=500)
    created = {
        s.email: s
        for s in _in_chunks(
            [s.email for s in new], lambda chunk: Subscriber.objects.filter(email__in=chunk)
        )
    }
    fresh: list[Subscription] = []
    changed: list[Subscription] = []
    filled: list[Subscriber] = []
    for row, subscriber, subscription in plan:
        if subscription is not None and subscription.status == S.CONFIRMED:
            continue
        if subscriber is None:
            subscriber = created[row.email]
        elif (not subscriber.name and row.name) or (
            not subscriber.organisation and row.organisation
        ):
            subscriber.name = subscriber.name or row.name
            subscriber.organisation = subscriber.organisation or row.organisation
            filled.append(subscriber)
        if subscription is None:
            subscription = Subscription(mailing_list=mailing_list, subscriber=subscriber)
            fresh.append(subscription)
        else:
            changed.append(subscription)
        subscription.status = S.CONFIRMED
        subscription.source = Subscription.Source.IMPORT
        subscription.confirmed_at = now
        subscription.consent_note = row.consent_note
    Subscription.objects.bulk_create(fresh, batch_size=500)
    Subscription.objects.bulk_update(
        changed, ["status", "source", "confirmed_at", "consent_note"], batch_size=500
    )
    Subscriber.objects.bulk_update(filled, ["name", "organisation"], batch_size=500)


def _in_chunks(values: list[Any], query, size: int = 500) -> list[Any]:
    """Rows for a long list of values, a chunk at a time (SQLite limits query parameters)."""
    result: list[Any] = []
    for start in range(0, len(values), size):
        result.extend(query(values[start : start + size]))
    return result
