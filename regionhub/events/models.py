"""Events, their sessions, the places each authority is given, and the bookings that take them.

Nothing about availability is stored: how many places an authority or the open pool has left is
counted from the bookings each time (see `availability.py`), inside the transaction that holds
the lock on the allocation or event row whenever a place is about to be taken.
"""

import datetime
import decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from regionhub.directory.models import Organisation, Person


class EventQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Event.Status.PUBLISHED)

    def upcoming(self, now: datetime.datetime | None = None):
        return self.filter(ends_at__gte=now or timezone.now())

    def past(self, now: datetime.datetime | None = None):
        return self.filter(ends_at__lt=now or timezone.now())


class Event(models.Model):
    class Kind(models.TextChoices):
        CONFERENCE = "conference", "Conference"
        WORKSHOP = "workshop", "Workshop"
        WEBINAR = "webinar", "Webinar"
        MASTERCLASS = "masterclass", "Masterclass"
        TRAINING = "training", "Training"
        INFORMATION_SESSION = "information_session", "Information session"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.CONFERENCE)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    venue = models.CharField(
        max_length=300, blank=True, help_text="Address of the venue; empty for online events."
    )
    online_url = models.URLField(
        blank=True, help_text="Joining link; shown only to people with a place."
    )
    audience = models.CharField(
        max_length=300, blank=True, help_text="Who it is for, e.g. 'IROs and CP chairs'."
    )
    capacity = models.PositiveIntegerField(help_text="Places in all, allocations included.")
    price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=decimal.Decimal("0"),
        help_text="Fee per place in pounds; 0 for a free event.",
    )
    booking_opens = models.DateTimeField(null=True, blank=True)
    booking_closes = models.DateTimeField(null=True, blank=True)
    release_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="From this moment, places an authority has not used go to the open pool.",
    )
    offer_hours = models.PositiveSmallIntegerField(
        default=0,
        help_text="0: a freed place goes straight to the next person waiting. Otherwise they "
        "are offered it and have this many hours to accept before it moves on.",
    )
    host = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_events",
    )
    partners = models.CharField(max_length=300, blank=True)
    # Denormalised from the sessions so that lists can filter and sort without a join; kept in
    # step by the services, which are the only writers of sessions.
    starts_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ends_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: goes up whenever the time or place changes."
    )
    waitlist_counter = models.PositiveIntegerField(default=0)
    feedback_anonymous = models.BooleanField(
        default=True, help_text="Feedback answers are not linked to who gave them."
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="event_price_not_negative"),
            models.CheckConstraint(
                condition=Q(booking_closes__isnull=True)
                | Q(booking_opens__isnull=True)
                | Q(booking_closes__gt=models.F("booking_opens")),
                name="event_booking_closes_after_opens",
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:event-detail", args=[self.pk])

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not self.venue

    def booking_is_open(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.status != self.Status.PUBLISHED:
            return False
        if self.booking_opens and now < self.booking_opens:
            return False
        if self.booking_closes and now >= self.booking_closes:
            return False
        return not (self.starts_at and now >= self.starts_at)

    def is_released(self, now: datetime.datetime | None = None) -> bool:
        return self.release_at is not None and (now or timezone.now()) >= self.release_at


class EventSession(models.Model):
    """One date of an event; a series (bite-sized sessions, a masterclass series) has several."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="event_session_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.event}, {timezone.localtime(self.start):%d %B %Y}"


class Allocation(models.Model):
    """Places kept for one authority. Its row is locked whenever one of them is taken."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="allocations")
    authority = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    places = models.PositiveIntegerField()

    class Meta:
        ordering = ["authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["event", "authority"], name="allocation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.places} places for {self.authority} at {self.event}"


class BookingQuerySet(models.QuerySet):
    def holding(self):
        return self.filter(status__in=Booking.HOLDING)

    def waiting(self):
        return self.filter(status=Booking.Status.WAITLISTED).order_by("position", "pk")


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        RESERVED = "reserved", "Reserved, not yet named"
        WAITLISTED = "waitlisted", "On the waiting list"
        OFFERED = "offered", "Offered a place"
        CANCELLED = "cancelled", "Cancelled"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "Did not attend"

    class Source(models.TextChoices):
        ALLOCATION = "allocation", "Authority's allocation"
        POOL = "pool", "Open pool"
        NONE = "", "No place"

    # Statuses that occupy a place; `attended` and `no_show` had one.
    HOLDING = (
        Status.CONFIRMED,
        Status.RESERVED,
        Status.OFFERED,
        Status.ATTENDED,
        Status.NO_SHOW,
    )
    ACTIVE = (*HOLDING, Status.WAITLISTED)

    # Both looked up through the indexes below, which begin with them.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="bookings", db_index=False
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
        db_index=False,
        help_text="Empty for a place a coordinator has reserved and not yet named.",
    )
    authority = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose places it uses; empty for people outside the member authorities.",
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    source = models.CharField(max_length=20, choices=Source.choices, blank=True, default="")
    position = models.PositiveIntegerField(
        null=True, blank=True, help_text="Place in the waiting list, in order of arrival."
    )
    created = models.DateTimeField(default=timezone.now)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offer_expires = models.DateTimeField(null=True, blank=True)
    reserved_until = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(
        default=0, help_text="Added to the event's sequence in this booking's calendar invites."
    )
    reminder_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reminder before the event went out."
    )

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            # The database's own guard against a double-submitted form.
            models.UniqueConstraint(
                fields=["event", "person"],
                condition=Q(person__isnull=False) & ~Q(status="cancelled"),
                name="booking_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(status__in=["reserved", "cancelled"]),
                name="booking_unnamed_only_when_reserved",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status", "authority"]),
            models.Index(fields=["person", "status"]),
            # The places taken from the pool and from each allocation, which every booking
            # counts: only the bookings holding a place, and nothing else to read per entry.
            models.Index(
                fields=["event", "source", "authority"],
                condition=Q(status__in=["confirmed", "reserved", "offered", "attended", "no_show"]),
                name="booking_holding_places",
            ),
        ]

    def __str__(self) -> str:
        who = self.person.name if self.person is not None else "Unnamed place"
        return f"{who} – {self.event}"

    @property
    def holds_place(self) -> bool:
        return self.status in self.HOLDING


class FeedbackQuestion(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", "Rating from 1 to 5"
        CHOICE = "choice", "Multiple choice"
        TEXT = "text", "Short text"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=300)
    choices = models.TextField(blank=True, help_text="For multiple choice: one option a line.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class FeedbackSubmission(models.Model):
    """That a person has answered, so that each answers once. For an anonymous poll the answers
    are not linked to it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="feedback")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="feedback_once_per_person")
        ]

    def __str__(self) -> str:
        return f"Feedback on {self.event_id} by {self.person_id}"


class FeedbackAnswer(models.Model):
    question = models.ForeignKey(FeedbackQuestion, on_delete=models.CASCADE, related_name="answers")
    submission = models.ForeignKey(
        FeedbackSubmission,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="answers",
        help_text="Empty when the feedback is anonymous.",
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    value = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_range",
            )
        ]

    def __str__(self) -> str:
        return str(self.rating) if self.rating is not None else self.value
