"""Every write to the plan. Only regional admins change it; each change is audited."""

import datetime
from typing import Any

from django.db import transaction

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import is_regional_admin, require

from .models import Initiative, Milestone, Rag, StatusUpdate

INITIATIVE_FIELDS = [
    "title",
    "summary",
    "sponsor_post",
    "board",
    "lead_officer",
    "start",
    "planned_end",
]


class PlanError(Exception):
    """A change refused, with a message a person can read and the field it belongs beside."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _long(date: datetime.date) -> str:
    return f"{date:%-d %B %Y}"


def _require_admin(actor) -> None:
    require(is_regional_admin(actor), "Only regional admins can change the plan.")


def _check_initiative(initiative: Initiative) -> None:
    if not initiative.title.strip():
        raise PlanError("Enter the initiative's title.", field="title")
    clash = Initiative.objects.filter(title__iexact=initiative.title.strip())
    if clash.exclude(pk=initiative.pk).exists():
        raise PlanError("There is already an initiative with this title.", field="title")
    if initiative.start is None:
        raise PlanError("Enter the start date.", field="start")
    if initiative.planned_end is None:
        raise PlanError("Enter the planned end date.", field="planned_end")
    if initiative.planned_end < initiative.start:
        raise PlanError(
            f"The planned end ({_long(initiative.planned_end)}) is before the start "
            f"({_long(initiative.start)}).",
            field="planned_end",
        )


@transaction.atomic
def initiative_create(*, actor, data: dict[str, Any]) -> Initiative:
    _require_admin(actor)
    initiative = Initiative()
    for name in INITIATIVE_FIELDS:
        if name in data:
            setattr(initiative, name, data[name])
    initiative.title = initiative.title.strip()
    _check_initiative(initiative)
    initiative.save()
    audit_record(
        actor=actor, action="plan.initiative.created", obj=initiative, after=snapshot(initiative)
    )
    return initiative


@transaction.atomic
def initiative_update(*, actor, initiative: Initiative, data: dict[str, Any]) -> Initiative:
    _require_admin(actor)
    before = snapshot(initiative)
    for name in INITIATIVE_FIELDS:
        if name in data:
            setattr(initiative, name, data[name])
    initiative.title = initiative.title.strip()
    _check_initiative(initiative)
    initiative.save()
    audit_record(
        actor=actor,
        action="plan.initiative.updated",
        obj=initiative,
        before=before,
        after=snapshot(initiative),
    )
    return initiative


def _check_milestone(milestone: Milestone, confirm_after_end: bool) -> None:
    initiative = milestone.initiative
    if not milestone.title.strip():
        raise PlanError("Enter what the milestone is.", field="title")
    if milestone.due is None:
        raise PlanError("Enter the date the milestone is due.", field="due")
    if milestone.due > initiative.planned_end and not confirm_after_end:
        raise PlanError(
            f"This milestone is due on {_long(milestone.due)}, after {initiative}'s planned end "
            f"({_long(initiative.planned_end)}). Confirm that it really falls after the end, "
            "or change the date.",
            field="due",
            code="after_end",
        )
    if milestone.done is not None and milestone.done < initiative.start:
        raise PlanError(
            f"It cannot be reached before {initiative} started ({_long(initiative.start)}).",
            field="done",
        )


@transaction.atomic
def milestone_add(
    *,
    actor,
    initiative: Initiative,
    title: str,
    due: datetime.date,
    done: datetime.date | None = None,
    confirm_after_end: bool = False,
) -> Milestone:
    """A milestone due after the planned end needs `confirm_after_end`."""
    _require_admin(actor)
    milestone = Milestone(initiative=initiative, title=title.strip(), due=due, done=done)
    _check_milestone(milestone, confirm_after_end)
    milestone.save()
    audit_record(
        actor=actor, action="plan.milestone.added", obj=milestone, after=snapshot(milestone)
    )
    return milestone


@transaction.atomic
def milestone_update(
    *, actor, milestone: Milestone, data: dict[str, Any], confirm_after_end: bool = False
) -> Milestone:
    _require_admin(actor)
    before = snapshot(milestone)
    for name in ("title", "due", "done"):
        if name in data:
            setattr(milestone, name, data[name])
    # A milestone already past the end was confirmed when it was recorded.
    already_confirmed = before["due"] == milestone.due.isoformat() if milestone.due else False
    _check_milestone(milestone, confirm_after_end or already_confirmed)
    milestone.save()
    audit_record(
        actor=actor,
        action="plan.milestone.updated",
        obj=milestone,
        before=before,
        after=snapshot(milestone),
    )
    return milestone


@transaction.atomic
def status_update_add(
    *, actor, initiative: Initiative, date: datetime.date, rag: str, narrative: str = ""
) -> StatusUpdate:
    _require_admin(actor)
    if not rag:
        raise PlanError("Choose a RAG rating: red, amber or green.", field="rag")
    if rag not in Rag.values:
        raise PlanError(f"'{rag}' is not a RAG rating: use red, amber or green.", field="rag")
    if date is None:
        raise PlanError("Enter the date of the update.", field="date")
    if date < initiative.start:
        raise PlanError(
            f"{initiative} started on {_long(initiative.start)}; an update cannot come before it.",
            field="date",
        )
    update = StatusUpdate.objects.create(
        initiative=initiative, date=date, rag=rag, narrative=narrative.strip(), author=actor
    )
    audit_record(actor=actor, action="plan.status_update.added", obj=update, after=snapshot(update))
    return update
