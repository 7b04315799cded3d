"""Mailing lists and their subscribers (double opt-in, suppression), and campaigns that send a
published Regional Update to a list: one `Delivery` row per issue × subscriber."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from regionhub.newsletter.models import Issue


class MailingList(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    public = models.BooleanField(default=True, help_text="Offered on the public subscribe form.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Subscriber(models.Model):
    """One person's address, shared by every list they are on. The address is stored in lower
    case so the same inbox is never two subscribers."""

    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    bounced_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by a hard bounce: never sent to again."
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email


class Subscription(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    class Source(models.TextChoices):
        FORM = "form", "Subscribe form"
        IMPORT = "import", "Imported list"
        ADMIN = "admin", "Added by a regional admin"

    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="subscriptions"
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.FORM)
    consent_note = models.TextField(
        blank=True, help_text="How and when this person agreed to receive the list."
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailing_list", "subscriber"], name="mailing_subscription_once"
            )
        ]
        indexes = [models.Index(fields=["mailing_list", "status"])]

    def __str__(self):
        return f"{self.subscriber} on {self.mailing_list} ({self.status})"


class Suppression(models.Model):
    """An address never to be sent to, whatever list it is on."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed from everything"
        BOUNCED = "bounced", "Hard bounce"
        COMPLAINT = "complaint", "Marked as spam"
        MANUAL = "manual", "Added by a regional admin"

    email = models.EmailField(max_length=254, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return f"{self.email} ({self.reason})"


class Campaign(models.Model):
    """Sending one published issue to one list. The audience is frozen when sending starts:
    the Delivery rows are the audience."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Not started"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"
        FINISHED = "finished", "Finished"

    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="campaigns")
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="campaigns"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    subject = models.CharField(max_length=200)
    rate_per_minute = models.PositiveIntegerField(
        default=6000, help_text="At most this many messages a minute; 0 for no limit."
    )
    error_threshold = models.PositiveIntegerField(
        default=50, help_text="Pause automatically after this many failures in a row."
    )
    paused_reason = models.CharField(max_length=300, blank=True)
    audience = models.PositiveIntegerField(
        default=0, help_text="Deliveries created when sending started (the frozen audience)."
    )
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Failures since the last message a server accepted."
    )
    rate_tokens = models.FloatField(
        default=0,
        help_text="Messages the rate limit allows now (a token bucket every worker shares).",
    )
    rate_refilled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.issue} to {self.mailing_list}"


class Delivery(models.Model):
    """One message of one issue to one subscriber, recorded the moment the server accepts it.
    A worker claims a row (`claimed_by`, `claimed_at`) before sending; a claim older than the
    lease is taken over by another worker, so a killed worker loses nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"
        SKIPPED = "skipped", "Not sent (unsubscribed or suppressed)"
        CANCELLED = "cancelled", "Cancelled"

    # No index of their own: every index is written again each time a delivery changes state,
    # and the (campaign, status, sent_at) index and the (subscriber, issue) constraint already
    # lead with these.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    email = models.EmailField(max_length=254, help_text="The address when the audience froze.")
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(
        null=True, blank=True, help_text="After a temporary failure: not tried again before this."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        # Each SENT record writes every index but the pending one again (a row changing its
        # status cannot be a heap-only update), so there are as few as the pages need: the
        # constraint also finds a subscriber's deliveries, and one index gives both the counts
        # by status and the rate over the last minute on the progress page.
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "issue"], name="mailing_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["campaign", "id"],
                condition=Q(status="pending"),
                name="mailing_delivery_pending",
            ),
            models.Index(fields=["campaign", "status", "sent_at"], name="mailing_delivery_state"),
        ]

    def __str__(self):
        return f"{self.issue} to {self.email} ({self.status})"
