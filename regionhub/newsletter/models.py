"""The Regional Update: monthly issues with a foreword and ordered sections, their comments and
view counts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from regionhub.directory.models import Person, Post


class IssueQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Issue.Status.PUBLISHED)


class Issue(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"

    class Source(models.TextChoices):
        COMPOSED = "composed", "Composed in RegionHub"
        IMPORTED = "imported", "Imported from the old website"

    title = models.CharField(max_length=200, help_text="e.g. 'Regional Update – July 2024'.")
    month = models.DateField(unique=True, help_text="The first day of the month it is for.")
    foreword = models.TextField(blank=True, help_text="Markdown.")
    foreword_html = models.TextField(blank=True, editable=False)
    foreword_author = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    foreword_post = models.ForeignKey(
        Post,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The post the author held when writing, e.g. DCS, Shropshire.",
    )
    author_line = models.CharField(
        max_length=300, blank=True, help_text="Shown above the foreword: 'From Shropshire's DCS'."
    )
    sign_off = models.CharField(max_length=100, blank=True, help_text="'Kind regards'.")
    signature = models.CharField(
        max_length=200, blank=True, help_text="The name under the sign-off, as printed."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="When a scheduled issue is due to be published."
    )
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.COMPOSED)
    import_fingerprint = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="SHA-256 of the imported text."
    )
    import_filename = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="newsletter_issue_published_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "-month"], name="newsletter_issue_status_month")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "newsletter:issue-detail", kwargs={"year": self.month.year, "month": self.month.month}
        )

    @property
    def month_label(self) -> str:
        return f"{self.month:%B %Y}"


class Section(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(default=0)
    heading = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False)
    records_key = models.CharField(
        max_length=40,
        blank=True,
        help_text="Set on sections drafted from the records, so that drafting again refreshes "
        "them instead of adding copies.",
    )

    class Meta:
        ordering = ["order", "pk"]
        indexes = [models.Index(fields=["issue", "order"])]

    def __str__(self) -> str:
        return self.heading or "(untitled section)"


class Comment(models.Model):
    class Status(models.TextChoices):
        HELD = "held", "Held for moderation"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    # Not nullable: the database itself refuses an anonymous comment.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="update_comments"
    )
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.HELD)
    created = models.DateTimeField(auto_now_add=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "pk"]
        indexes = [
            models.Index(fields=["issue", "status", "created"]),
            models.Index(fields=["status", "created"]),
        ]

    def __str__(self) -> str:
        return f"Comment by {self.user} on {self.issue}"


class IssueView(models.Model):
    """One row per visitor per issue per day; the visitor is a salted hash, never an address."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="views")
    visitor = models.CharField(max_length=64)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "visitor", "day"], name="newsletter_view_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issue} viewed {self.day}"
