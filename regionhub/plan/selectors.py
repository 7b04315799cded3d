"""Reads for the plan: the RAG of every initiative as at a date in one query, timelines, and the
updates between two dates for the Regional Update's draft."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    CharField,
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from regionhub.directory.models import Appointment

from .models import Initiative, Milestone, StatusUpdate


def _latest_update(date: datetime.date, field: str, output_field):
    latest = StatusUpdate.objects.filter(initiative=OuterRef("pk"), date__lte=date).order_by(
        "-date", "-pk"
    )
    return Subquery(latest.values(field)[:1], output_field=output_field)


def _milestones(**filters) -> Coalesce:
    """A correlated count of an initiative's milestones: worked out only for the rows a page
    shows, and no join to multiply them."""
    counted = (
        Milestone.objects.filter(initiative=OuterRef("pk"), **filters)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def plan_as_at(date: datetime.date) -> QuerySet[Initiative]:
    """Every initiative with its RAG as at `date` (the latest update on or before it).

    Each initiative carries `rag`, `rag_date` and `rag_narrative` (None with no update yet),
    and its milestones counted: `milestones_total`, `milestones_done` by `date`. Every figure is
    a correlated subquery, so a page of the list costs the same however long the plan is.
    """
    return (
        Initiative.objects.select_related("sponsor_post__organisation", "board", "lead_officer")
        .annotate(
            rag=_latest_update(date, "rag", CharField()),
            rag_date=_latest_update(date, "date", DateField()),
            rag_narrative=_latest_update(date, "narrative", CharField()),
            milestones_total=_milestones(),
            milestones_done=_milestones(done__lte=date),
        )
        .order_by("title", "pk")
    )


@dataclass
class RagSummary:
    red: int = 0
    amber: int = 0
    green: int = 0
    none: int = 0

    @property
    def total(self) -> int:
        return self.red + self.amber + self.green + self.none


def plan_summary_as_at(date: datetime.date) -> RagSummary:
    """How many initiatives were red, amber, green, or had no update yet, on `date`. One query."""
    rows = (
        Initiative.objects.annotate(rag=_latest_update(date, "rag", CharField()))
        .values("rag")
        .annotate(n=Count("pk"))
        .order_by()
    )
    summary = RagSummary()
    for row in rows:
        setattr(summary, row["rag"] or "none", row["n"])
    return summary


@dataclass
class TimelineEntry:
    date: datetime.date
    kind: str  # "start", "planned_end", "milestone_due", "milestone_done", "update"
    text: str
    rag: str = ""
    milestone: Milestone | None = None


def initiative_timeline(initiative: Initiative) -> list[TimelineEntry]:
    """Start, milestones (due and reached), status updates and planned end, in date order."""
    entries = [
        TimelineEntry(initiative.start, "start", "Started"),
        TimelineEntry(initiative.planned_end, "planned_end", "Planned end"),
    ]
    for milestone in initiative.milestones.order_by("due", "pk"):
        if milestone.done:
            entries.append(
                TimelineEntry(
                    milestone.done, "milestone_done", milestone.title, milestone=milestone
                )
            )
        else:
            entries.append(
                TimelineEntry(milestone.due, "milestone_due", milestone.title, milestone=milestone)
            )
    for update in initiative.status_updates.order_by("date", "pk"):
        entries.append(TimelineEntry(update.date, "update", update.narrative, rag=update.rag))
    order = {"start": 0, "update": 1, "milestone_done": 2, "milestone_due": 3, "planned_end": 4}
    return sorted(entries, key=lambda e: (e.date, order[e.kind]))


def initiative_sponsors(initiative: Initiative) -> list[Appointment]:
    if initiative.sponsor_post_id is None:
        return []
    return list(
        Appointment.objects.filter(post_id=initiative.sponsor_post_id)
        .select_related("person", "on_behalf_of")
        .order_by("start", "pk")
    )


def plan_updates_between(start: datetime.date, end: datetime.date) -> list[StatusUpdate]:
    """Status updates dated from `start` to `end` inclusive, by initiative then date: what the
    Regional Update's draft offers under the plan."""
    return list(
        StatusUpdate.objects.filter(date__gte=start, date__lte=end)
        .select_related("initiative__sponsor_post__organisation", "initiative__board")
        .order_by("initiative__title", "date", "pk")
    )
