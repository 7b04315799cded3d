"""Organisations, people, posts and the dated appointments that join them.

Who holds a post is never stored: it is derived from `Appointment.start` / `end`, so the history
can always answer "who held this on 1 January 2024?".
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


def today() -> datetime.date:
    return timezone.localdate()


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COUNCIL = "council", "Council"
        TRUST = "trust", "Children's trust"
        COMPANY = "company", "Company"
        PARTNER = "partner", "Partner organisation"
        NETWORK = "network", "Regional network"
        REGIONAL_TEAM = "regional_team", "Regional team"
        NATIONAL_BODY = "national_body", "National body"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(
        max_length=80, blank=True, help_text="How the region usually says it, e.g. 'Telford'."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    is_member = models.BooleanField(
        default=False,
        help_text="A member authority of the regional network (councils and children's trusts).",
    )
    website = models.URLField(blank=True)
    email_domains = models.CharField(
        max_length=300,
        blank=True,
        help_text="Email domains its staff use, separated by commas, e.g. 'dudley.gov.uk'.",
    )
    urn = models.CharField(
        max_length=20, blank=True, help_text="Ofsted unique reference number, for inspections."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["urn"], condition=~Q(urn=""), name="organisation_urn_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:organisation-detail", args=[self.pk])

    @property
    def domain_list(self) -> list[str]:
        return [d.strip().lower() for d in self.email_domains.split(",") if d.strip()]

    @property
    def is_authority(self) -> bool:
        return self.kind in AUTHORITY_KINDS


# The kinds of organisation that are authorities: councils and children's trusts.
AUTHORITY_KINDS = frozenset({Organisation.Kind.COUNCIL, Organisation.Kind.TRUST})


class DatedQuerySet(models.QuerySet):
    """Rows with `start` and an optional inclusive `end`."""

    def on(self, date: datetime.date):
        return self.filter(start__lte=date).filter(Q(end__isnull=True) | Q(end__gte=date))

    def current(self):
        return self.on(today())

    def past(self):
        return self.filter(end__lt=today())

    def future(self):
        return self.filter(start__gt=today())

    def overlapping(self, start: datetime.date, end: datetime.date | None):
        qs = self.filter(Q(end__isnull=True) | Q(end__gte=start))
        if end is not None:
            qs = qs.filter(start__lte=end)
        return qs


class Delivery(models.Model):
    """A trust or company delivering children's services for a council, with dates."""

    provider = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="deliveries")
    authority = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="delivered_by"
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Last day; empty while it continues.")
    description = models.CharField(max_length=300, blank=True)

    objects = DatedQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="delivery_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} for {self.authority}"


class Person(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        help_text="The organisation that keeps this person's record (their employer).",
    )
    notes = models.TextField(blank=True, help_text="Visible to signed-in users only.")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "people"
        indexes = [
            models.Index(fields=["organisation", "name"]),
            # The people list pages through everyone by name.
            models.Index(fields=["name", "id"], name="person_name_id_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:person-detail", args=[self.pk])


class Post(models.Model):
    """A seat, independent of who sits in it."""

    class Category(models.TextChoices):
        DIRECTOR = "director", "Director of Children's Services"
        CHIEF_EXECUTIVE = "chief_executive", "Chief executive"
        ASSISTANT_DIRECTOR = "assistant_director", "Assistant director"
        HEAD_OF_SERVICE = "head_of_service", "Head of service"
        PRINCIPAL_SOCIAL_WORKER = "psw", "Principal social worker"
        LEAD = "lead", "Lead or manager"
        NETWORK_OFFICER = "network_officer", "Network officer (chair, vice chair, sponsor)"
        REGIONAL_TEAM = "regional_team", "Regional team"
        OTHER = "other", "Other"

    LEADERSHIP = (Category.DIRECTOR, Category.CHIEF_EXECUTIVE, Category.NETWORK_OFFICER)

    title = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="posts")
    category = models.CharField(max_length=30, choices=Category.choices, default=Category.OTHER)
    max_holders = models.PositiveSmallIntegerField(
        default=1, help_text="How many people may hold this post at the same time."
    )
    description = models.TextField(blank=True)
    abolished = models.DateField(
        null=True, blank=True, help_text="Last day the post existed, if it no longer does."
    )

    class Meta:
        ordering = ["organisation__name", "title"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "title"], name="post_unique_title"),
            models.CheckConstraint(condition=Q(max_holders__gte=1), name="post_max_holders_min"),
        ]

    def __str__(self) -> str:
        # Network posts already name their network ("Chair, DCS Network").
        if self.organisation.kind == Organisation.Kind.NETWORK:
            return self.title
        return f"{self.title}, {self.organisation.short_name or self.organisation.name}"

    def get_absolute_url(self) -> str:
        return reverse("directory:post-detail", args=[self.pk])


class AppointmentQuerySet(DatedQuerySet):
    def with_related(self):
        return self.select_related("person", "post__organisation", "on_behalf_of")


class Appointment(models.Model):
    class Basis(models.TextChoices):
        SUBSTANTIVE = "substantive", "Substantive"
        INTERIM = "interim", "Interim"
        ACTING = "acting", "Acting"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateField()
    start_approximate = models.BooleanField(
        default=False, help_text="Only the month is known; the date is its first day."
    )
    end = models.DateField(
        null=True, blank=True, help_text="Last day in post; empty while it continues."
    )
    end_approximate = models.BooleanField(default=False)
    basis = models.CharField(max_length=20, choices=Basis.choices, default=Basis.SUBSTANTIVE)
    on_behalf_of = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For a network post, the authority the holder represents.",
    )
    note = models.CharField(max_length=300, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="appointment_end_after_start",
            )
        ]
        indexes = [
            models.Index(fields=["post", "start"]),
            # The latest past holder of each post, on the organisation page.
            models.Index(fields=["post", "end"], name="appointment_post_end_idx"),
            models.Index(fields=["person", "start"]),
            models.Index(fields=["start", "end"]),
        ]

    def __str__(self) -> str:
        return f"{self.person} as {self.post}"

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or today()
        return self.start <= on and (self.end is None or self.end >= on)


class HandoverNote(models.Model):
    """Knowledge attached to a post for whoever holds it next."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="handover_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.title
