"""Reads for the campaign pages; none of them grows in queries with the audience."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from regionhub.newsletter.models import Issue

from .models import Campaign, Delivery, MailingList, Subscription, Suppression

D = Delivery.Status
RATE_WINDOW = datetime.timedelta(minutes=1)


def campaigns_for_admin() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("issue", "mailing_list", "created_by").order_by(
        "-created", "-pk"
    )


def campaign_for_admin(pk: int) -> Campaign | None:
    return (
        Campaign.objects.select_related("issue", "mailing_list", "created_by").filter(pk=pk).first()
    )


def issues_sendable() -> QuerySet[Issue]:
    return Issue.objects.published().only("pk", "title", "month").order_by("-month")


def mailing_lists() -> QuerySet[MailingList]:
    return MailingList.objects.order_by("name")


def audience_now(*, issue_id: int, mailing_list_id: int) -> int:
    """How many deliveries starting now would create: the list's confirmed subscribers who have
    not bounced, are not suppressed and have not already been sent this issue."""
    suppressed = Suppression.objects.filter(email=OuterRef("subscriber__email"))
    already = Delivery.objects.filter(issue_id=issue_id, subscriber_id=OuterRef("subscriber_id"))
    return (
        Subscription.objects.filter(
            mailing_list_id=mailing_list_id,
            status=Subscription.Status.CONFIRMED,
            subscriber__bounced_at__isnull=True,
        )
        .exclude(Exists(suppressed))
        .exclude(Exists(already))
        .count()
    )


@dataclass(frozen=True)
class Progress:
    status: str
    total: int
    sent: int
    failed: int
    bounced: int
    skipped: int
    cancelled: int
    remaining: int
    sent_last_minute: int
    rate_per_minute: int
    eta: datetime.timedelta | None

    @property
    def done(self) -> int:
        return self.total - self.remaining

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 100

    @property
    def eta_text(self) -> str:
        if self.eta is None:
            return ""
        seconds = int(self.eta.total_seconds())
        if seconds < 60:
            return "less than a minute"
        minutes = round(seconds / 60)
        if minutes < 90:
            return f"about {minutes} minute{'s' if minutes != 1 else ''}"
        hours, minutes = divmod(minutes, 60)
        return f"about {hours} hour{'s' if hours != 1 else ''} {minutes} minutes"


def campaign_progress(campaign: Campaign, *, now: datetime.datetime | None = None) -> Progress:
    """Counts by status (one grouped query) and the messages the server accepted in the last
    minute, both read from the (campaign, status, sent_at) index, and, while sending, an
    estimate of the time left at that pace (or the rate limit, if lower)."""
    now = now or timezone.now()
    counts = dict(
        Delivery.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    recent = 0
    eta = None
    remaining = counts.get(D.PENDING, 0)
    if campaign.status in (Campaign.Status.SENDING, Campaign.Status.PAUSED):
        recent = Delivery.objects.filter(
            campaign=campaign, status=D.SENT, sent_at__gte=now - RATE_WINDOW
        ).count()
    if campaign.status == Campaign.Status.SENDING and remaining:
        pace = recent
        if campaign.rate_per_minute:
            pace = min(pace, campaign.rate_per_minute) if pace else campaign.rate_per_minute
        if pace:
            eta = datetime.timedelta(seconds=round(remaining * 60 / pace))
    return Progress(
        status=campaign.status,
        total=sum(counts.values()),
        sent=counts.get(D.SENT, 0),
        failed=counts.get(D.FAILED, 0),
        bounced=counts.get(D.BOUNCED, 0),
        skipped=counts.get(D.SKIPPED, 0),
        cancelled=counts.get(D.CANCELLED, 0),
        remaining=remaining,
        sent_last_minute=recent,
        rate_per_minute=campaign.rate_per_minute,
        eta=eta,
    )


def campaign_deliveries(
    campaign: Campaign, *, status: str = "", query: str = ""
) -> QuerySet[Delivery]:
    """The per-recipient log, filtered by status and by part of the address, in address order."""
    qs = Delivery.objects.filter(campaign=campaign).only(
        "pk", "email", "name", "status", "sent_at", "attempts", "smtp_code", "error", "campaign_id"
    )
    if status in D.values:
        qs = qs.filter(status=status)
    query = query.strip().lower()
    if query:
        qs = qs.filter(Q(email__contains=query))
    return qs.order_by("email", "pk")
