"""Inspections of member authorities, their judgements, and the region's ambition.

What an inspection may judge is data, not code: a `Framework` names the `JudgementArea`s it has,
so a new Ofsted framework is a new row and history recorded under the old one stays as it was.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class Scale(models.TextChoices):
    """How an area is judged."""

    GRADE = "grade", "Four-point grade"
    SEND = "send", "Area SEND outcome"
    PRIORITY = "priority", "Areas for priority action"


class Grade(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement to be good"
    INADEQUATE = "inadequate", "Inadequate"
    SEND_POSITIVE = (
        "send_positive",
        "The local area partnership’s SEND arrangements typically lead to positive experiences "
        "and outcomes for children and young people with SEND",
    )
    SEND_INCONSISTENT = (
        "send_inconsistent",
        "The local area partnership’s arrangements lead to inconsistent experiences and outcomes "
        "for children and young people with SEND",
    )
    SEND_FAILINGS = (
        "send_failings",
        "There are widespread and/or systemic failings leading to significant concerns about "
        "the experiences and outcomes of children and young people with SEND",
    )
    PRIORITY_YES = "priority_yes", "Areas for priority action set"
    PRIORITY_NO = "priority_no", "No areas for priority action"


GRADES_BY_SCALE: dict[str, list[str]] = {
    Scale.GRADE: [Grade.OUTSTANDING, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE],
    Scale.SEND: [Grade.SEND_POSITIVE, Grade.SEND_INCONSISTENT, Grade.SEND_FAILINGS],
    Scale.PRIORITY: [Grade.PRIORITY_YES, Grade.PRIORITY_NO],
}
GOOD_OR_BETTER = frozenset({Grade.OUTSTANDING, Grade.GOOD})
# Lower is better; the chart and the sort orders rely on it.
GRADE_RANK = {g: n for n, g in enumerate(GRADES_BY_SCALE[Scale.GRADE], start=1)}


class Family(models.TextChoices):
    ILACS = "ilacs", "ILACS"
    JTAI = "jtai", "Joint targeted area inspection"
    SEND = "send", "Area SEND"


class JudgementArea(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=60, help_text="For table headings and charts.")
    scale = models.CharField(max_length=10, choices=Scale.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Framework(models.Model):
    """A set of rules Ofsted inspected under, in force from `valid_from` for inspections
    starting on or after that date, until the next framework of the same family."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    family = models.CharField(max_length=10, choices=Family.choices)
    valid_from = models.DateField(help_text="Inspections starting on or after this date use it.")
    areas = models.ManyToManyField(JudgementArea, related_name="frameworks", blank=True)

    class Meta:
        ordering = ["family", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["family", "valid_from"], name="framework_one_per_day")
        ]

    def __str__(self) -> str:
        return self.name


class InspectionQuerySet(models.QuerySet):
    def published_by(self, date: datetime.date):
        """Inspections public on `date`: an inspection counts from the day its report appears."""
        return self.filter(published__isnull=False, published__lte=date)

    def graded(self):
        return self.filter(type__in=Inspection.GRADED_TYPES)


class Inspection(models.Model):
    class Type(models.TextChoices):
        ILACS_STANDARD = "ilacs_standard", "ILACS standard inspection"
        ILACS_SHORT = "ilacs_short", "ILACS short inspection"
        FOCUSED_VISIT = "focused_visit", "Focused visit"
        MONITORING_VISIT = "monitoring_visit", "Monitoring visit"
        JTAI = "jtai", "Joint targeted area inspection (JTAI)"
        AREA_SEND = "area_send", "Area SEND inspection"
        AREA_SEND_MONITORING = "area_send_monitoring", "Area SEND monitoring inspection"

    # Only these give an authority its overall grade; visits in between do not replace it.
    GRADED_TYPES = (Type.ILACS_STANDARD, Type.ILACS_SHORT)
    FAMILY = {
        Type.ILACS_STANDARD: Family.ILACS,
        Type.ILACS_SHORT: Family.ILACS,
        Type.FOCUSED_VISIT: Family.ILACS,
        Type.MONITORING_VISIT: Family.ILACS,
        Type.JTAI: Family.JTAI,
        Type.AREA_SEND: Family.SEND,
        Type.AREA_SEND_MONITORING: Family.SEND,
    }
    # Which kind of judgement each type records; None: it records no judgement.
    SCALE = {
        Type.ILACS_STANDARD: Scale.GRADE,
        Type.ILACS_SHORT: Scale.GRADE,
        Type.FOCUSED_VISIT: Scale.PRIORITY,
        Type.MONITORING_VISIT: None,
        Type.JTAI: None,
        Type.AREA_SEND: Scale.SEND,
        Type.AREA_SEND_MONITORING: None,
    }

    authority = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="inspections"
    )
    type = models.CharField(max_length=30, choices=Type.choices)
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="inspections")
    start = models.DateField(help_text="First day on site.")
    end = models.DateField(help_text="Last day on site.")
    published = models.DateField(
        null=True, blank=True, help_text="The day the report was published; empty until then."
    )
    report_url = models.URLField(blank=True, max_length=500)
    theme = models.CharField(
        max_length=200,
        blank=True,
        help_text="For a JTAI, its theme, e.g. 'Children's mental health'.",
    )
    note = models.CharField(
        max_length=300, blank=True, help_text="Anything a reader should know, e.g. 'demo value'."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")), name="inspection_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(published__isnull=True) | Q(published__gte=F("end")),
                name="inspection_published_after_end",
            ),
            models.UniqueConstraint(
                fields=["authority", "type", "start"], name="inspection_unique_start"
            ),
        ]
        indexes = [models.Index(fields=["authority", "published"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} of {self.authority}, {self.start:%-d %B %Y}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:authority", args=[self.authority_id]) + f"#inspection-{self.pk}"

    @property
    def scale(self) -> str | None:
        return self.SCALE[Inspection.Type(self.type)]


class Judgement(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="judgements")
    area = models.ForeignKey(JudgementArea, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=30, choices=Grade.choices)

    class Meta:
        ordering = ["area__position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "area"], name="judgement_one_per_area")
        ]

    def __str__(self) -> str:
        return f"{self.area.short_name}: {self.get_grade_display()}"

    @property
    def good_or_better(self) -> bool:
        return self.grade in GOOD_OR_BETTER


class AmbitionTarget(models.Model):
    """The region's ambition; one row, changed by admins on the ambition page."""

    count = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many member authorities, e.g. 11 (of 14)."
    )
    percentage = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Or a share of member authorities, e.g. 80."
    )
    statement = models.CharField(max_length=300, blank=True)
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(count__isnull=True, percentage__isnull=False)
                | Q(count__isnull=False, percentage__isnull=True),
                name="ambition_count_or_percentage",
            ),
            models.CheckConstraint(
                condition=Q(percentage__isnull=True) | Q(percentage__lte=100),
                name="ambition_percentage_max",
            ),
        ]

    def __str__(self) -> str:
        if self.count is not None:
            return f"{self.count} Good or better"
        return f"{self.percentage}% Good or better"

    def wanted(self, total: int) -> int:
        """How many authorities of `total` the ambition asks for."""
        if self.count is not None:
            return self.count
        # Round up: 80% of 14 authorities is 12, not 11.
        return -(-(self.percentage or 0) * total // 100)
