"""Programmes the region commissions, their cohorts, and the applications that take places;
the mentoring scheme, whose applications are confidential.

Places are never counted in a stored field: what a cohort or an authority has left is counted
from the applications that hold a place, inside the transaction that holds the cohort's lock
whenever a place is about to be taken (see `services._lock_cohort`).
"""

import datetime
import decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from regionhub.directory.models import Organisation, Person


class Programme(models.Model):
    title = models.CharField(max_length=200, unique=True)
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="programmes",
        help_text="Who runs it, e.g. a university or a national body.",
    )
    commissioned_by = models.CharField(
        max_length=200, blank=True, help_text="Who commissioned it for the region, if not us."
    )
    audience = models.CharField(max_length=300, help_text="Who it is for.")
    eligibility = models.TextField(blank=True, help_text="Who may apply, in plain words.")
    description = models.TextField(blank=True)
    contact = models.CharField(
        max_length=200, blank=True, help_text="Who to ask, e.g. the provider's lead."
    )
    regional_price = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        default=decimal.Decimal("0"),
        help_text="Price per place through the region, in pounds.",
    )
    direct_price = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        default=decimal.Decimal("0"),
        help_text="Price per place booked directly with the provider, in pounds.",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(regional_price__gte=0), name="programme_regional_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(regional_price__lte=F("direct_price")),
                name="programme_regional_price_not_above_direct",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programmes:programme-detail", args=[self.pk])

    @property
    def saving_per_place(self) -> decimal.Decimal:
        return self.direct_price - self.regional_price


class Cohort(models.Model):
    class Rule(models.TextChoices):
        FIRST_COME = "first_come", "First come, first served"
        NOMINATED = "nominated", "Nominated by the authority"
        PANEL = "panel", "Selected by a panel"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=200, help_text="e.g. 'Cohort 3, 2025'.")
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True)
    places = models.PositiveIntegerField(help_text="Places in all, per-authority places included.")
    deadline = models.DateTimeField(help_text="Applications and nominations close at this moment.")
    rule = models.CharField(max_length=20, choices=Rule.choices, default=Rule.FIRST_COME)
    waitlist_counter = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__isnull=True) | Q(ends__gte=F("starts")),
                name="cohort_ends_after_starts",
            )
        ]
        indexes = [
            models.Index(fields=["programme", "deadline"]),
            # The programme list asks when the next cohort closes, to know how long its cached
            # "open now" column stays true.
            models.Index(fields=["deadline"], name="cohort_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.programme.title}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("programmes:cohort-detail", args=[self.pk])

    @property
    def last_day(self) -> datetime.date:
        """The last day applications are taken: a deadline at midnight closes the day before."""
        return (timezone.localtime(self.deadline) - datetime.timedelta(microseconds=1)).date()

    def is_open(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) < self.deadline


class CohortPlaces(models.Model):
    """The most places one authority may hold on a cohort; authorities without a row are held
    only by the cohort's total."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="authority_places")
    authority = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    places = models.PositiveIntegerField()

    class Meta:
        ordering = ["authority__name"]
        verbose_name_plural = "cohort places"
        constraints = [
            models.UniqueConstraint(fields=["cohort", "authority"], name="cohort_places_unique")
        ]

    def __str__(self) -> str:
        return f"{self.places} places for {self.authority_id} on {self.cohort_id}"


class Interest(models.Model):
    """Someone who would take part if the region commissioned a (further) cohort."""

    class Role(models.TextChoices):
        DIRECTOR = "director", "Director or chief executive"
        ASSISTANT_DIRECTOR = "assistant_director", "Assistant director"
        HEAD_OF_SERVICE = "head_of_service", "Head of service"
        TEAM_MANAGER = "team_manager", "Team manager"
        PRACTITIONER = "practitioner", "Social worker or practitioner"
        OTHER = "other", "Other"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="interests")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    authority = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    created = models.DateTimeField(default=timezone.now)
    told_about = models.ForeignKey(
        Cohort,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The cohort they were told about when it was commissioned.",
    )

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "person"],
                condition=Q(told_about__isnull=True),
                name="interest_one_open_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} interested in {self.programme_id}"


class ApplicationQuerySet(models.QuerySet):
    def holding(self):
        return self.filter(status__in=Application.HOLDING)

    def waiting(self):
        return self.filter(status=Application.Status.WAITLISTED).order_by("position", "pk")


class Application(models.Model):
    """An application or a nomination for a place on a cohort.

    applied → endorsed (the authority backs it and a place is taken) → confirmed (the Regional
    Team confirms the place) → accepted or declined by the participant. An endorsement with no
    place left puts the application on the waiting list, and a freed place goes to whoever has
    waited longest.
    """

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        WAITLISTED = "waitlisted", "Endorsed, waiting for a place"
        ENDORSED = "endorsed", "Endorsed"
        CONFIRMED = "confirmed", "Place confirmed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REFUSED = "refused", "Not selected"

    HOLDING = (Status.ENDORSED, Status.CONFIRMED, Status.ACCEPTED)
    CLOSED = (Status.DECLINED, Status.WITHDRAWN, Status.REFUSED)

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="applications")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    authority = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose places it uses: the person's authority when they applied.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    statement = models.TextField(blank=True, help_text="Why this person, in a few lines.")
    position = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "person"], name="application_one_per_person")
        ]
        indexes = [models.Index(fields=["cohort", "status", "authority"])]

    def __str__(self) -> str:
        return f"Application {self.pk} to {self.cohort_id}"

    @property
    def holds_place(self) -> bool:
        return self.status in self.HOLDING


# The mentoring scheme -----------------------------------------------------------------------


class MentoringScheme(models.Model):
    """A mentoring scheme. Its coordinators are the only people, besides each applicant, who see
    what mentees write; being a regional admin does not by itself give that."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="coordinated_schemes",
        help_text="Who reads applications and endorsements and makes matches.",
    )
    is_open = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


AREAS = [
    ("leadership", "Leadership and management"),
    ("practice", "Direct practice with children and families"),
    ("supervision", "Supervision"),
    ("research", "Research and evidence"),
    ("career", "Career progression"),
    ("wellbeing", "Wellbeing and resilience"),
    ("diversity", "Equality, diversity and inclusion"),
]


class MenteeApplication(models.Model):
    class Status(models.TextChoices):
        AWAITING = "awaiting", "Waiting for the line manager"
        SUPPORTED = "supported", "Supported by the line manager"
        NOT_SUPPORTED = "not_supported", "Not supported by the line manager"
        MATCHED = "matched", "Matched with a mentor"
        WITHDRAWN = "withdrawn", "Withdrawn"

    scheme = models.ForeignKey(MentoringScheme, on_delete=models.CASCADE, related_name="mentees")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    authority = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    goals = models.TextField(help_text="Confidential: seen by the scheme coordinators only.")
    areas = models.JSONField(default=list)
    line_manager_name = models.CharField(max_length=200)
    line_manager_email = models.EmailField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "person"],
                condition=~Q(status="withdrawn"),
                name="mentee_one_active_per_person",
            )
        ]

    def __str__(self) -> str:
        # Deliberately content-free: this string ends up in audit rows and admin lists.
        return f"Mentee application {self.pk}"


class Endorsement(models.Model):
    """The line manager's answer, given through a signed link without an account."""

    application = models.OneToOneField(
        MenteeApplication, on_delete=models.CASCADE, related_name="endorsement"
    )
    supports = models.BooleanField()
    comment = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Endorsement of {self.application_id}"


class MentorOffer(models.Model):
    scheme = models.ForeignKey(MentoringScheme, on_delete=models.CASCADE, related_name="mentors")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    authority = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    experience = models.TextField()
    areas = models.JSONField(default=list)
    capacity = models.PositiveSmallIntegerField(default=1, help_text="How many mentees at once.")
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "person"],
                condition=Q(is_active=True),
                name="mentor_one_active_offer_per_person",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="mentor_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"Mentor offer {self.pk}"


class Match(models.Model):
    mentee = models.OneToOneField(MenteeApplication, on_delete=models.CASCADE, related_name="match")
    mentor = models.ForeignKey(MentorOffer, on_delete=models.PROTECT, related_name="matches")
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "matches"

    def __str__(self) -> str:
        return f"Match {self.pk}"


# The Team Excellence Awards -----------------------------------------------------------------


class AwardRound(models.Model):
    """One year's Team Excellence Awards as a whole: where they are presented."""

    year = models.PositiveSmallIntegerField(unique=True)
    ceremony = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The event at which the year's awards are presented.",
    )

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"Team Excellence Awards {self.year}"


class AwardNomination(models.Model):
    """An authority's Team of Excellence for one year, put forward by its director or chief
    executive (or the authority's coordinator on their behalf)."""

    class Status(models.TextChoices):
        NOMINATED = "nominated", "Nominated"
        SHORTLISTED = "shortlisted", "Shortlisted"
        WINNER = "winner", "Winner"

    year = models.PositiveSmallIntegerField()
    authority = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    team = models.CharField(max_length=200, help_text="The team's name, as it should be read out.")
    summary = models.TextField(help_text="What the team achieved, in a few lines.")
    evidence = models.TextField(blank=True, help_text="What shows it: outcomes, feedback, data.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOMINATED)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "authority"], name="award_one_per_authority")
        ]

    def __str__(self) -> str:
        return f"{self.team} ({self.year})"
