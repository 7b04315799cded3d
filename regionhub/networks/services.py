"""Every write to networks. Each service checks permission, validates, changes, audits.

Regional admins manage groups, meetings, decisions and actions. An authority coordinator records
attendance for the authorities they coordinate, and nobody else's.
"""

import datetime
from typing import Any

from django.db import transaction

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import can_manage_organisation_id, is_regional_admin, require
from regionhub.directory.models import Organisation, Person

from . import tasks
from .models import Action, Attendance, Decision, Group, GroupAuthority, Meeting

GROUP_FIELDS = [
    "name",
    "kind",
    "parent",
    "purpose",
    "terms_of_reference",
    "chair_post",
    "sponsor_post",
    "closed",
]
MEETING_FIELDS = ["date", "place", "online_url", "agenda_url", "papers_url", "minutes"]


class NetworkError(Exception):
    """A change refused, with a message a person can read and the field it belongs beside."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _long(date: datetime.date) -> str:
    return f"{date:%-d %B %Y}"


def _require_admin(actor, what: str = "groups and meetings") -> None:
    require(is_regional_admin(actor), f"Only regional admins can change {what}.")


def _apply(obj, data: dict[str, Any], allowed: list[str]) -> None:
    for name in allowed:
        if name in data:
            setattr(obj, name, data[name])


def _on_commit(task, *args) -> None:
    transaction.on_commit(lambda: task.enqueue(*args))


# Groups --------------------------------------------------------------------------------------


def _check_group(group: Group) -> None:
    if not group.name.strip():
        raise NetworkError("Enter the group's name.", field="name")
    if Group.objects.filter(name__iexact=group.name.strip()).exclude(pk=group.pk).exists():
        raise NetworkError("There is already a group with this name.", field="name")
    parent = group.parent
    while parent is not None:
        if group.pk and parent.pk == group.pk:
            raise NetworkError("A group cannot sit inside itself.", field="parent")
        parent = parent.parent


def _set_authorities(group: Group, authorities: dict[Organisation, int]) -> None:
    for authority in authorities:
        if not authority.is_authority:
            raise NetworkError(
                f"{authority} is not a council or children's trust.", field="authorities"
            )
    GroupAuthority.objects.filter(group=group).exclude(
        authority__in=list(authorities.keys())
    ).delete()
    for authority, expected in authorities.items():
        GroupAuthority.objects.update_or_create(
            group=group, authority=authority, defaults={"expected": expected}
        )


@transaction.atomic
def group_create(
    *,
    actor,
    data: dict[str, Any],
    authorities: dict[Organisation, int] | None = None,
    members: list[Person] | None = None,
) -> Group:
    """`authorities` maps each member authority to the seniority it is expected to send."""
    _require_admin(actor)
    group = Group()
    _apply(group, data, GROUP_FIELDS)
    group.name = group.name.strip()
    _check_group(group)
    group.save()
    _set_authorities(group, authorities or {})
    if members:
        group.members.set(members)
    audit_record(
        actor=actor,
        action="networks.group.created",
        obj=group,
        after={**snapshot(group), "authorities": {a.pk: e for a, e in (authorities or {}).items()}},
    )
    return group


@transaction.atomic
def group_update(
    *,
    actor,
    group: Group,
    data: dict[str, Any],
    authorities: dict[Organisation, int] | None = None,
    members: list[Person] | None = None,
) -> Group:
    """`authorities` or `members`, when given, replace the group's current ones."""
    _require_admin(actor)
    before = snapshot(group)
    before["authorities"] = dict(group.authorities.values_list("authority_id", "expected"))
    _apply(group, data, GROUP_FIELDS)
    group.name = group.name.strip()
    _check_group(group)
    group.save()
    if authorities is not None:
        _set_authorities(group, authorities)
    if members is not None:
        group.members.set(members)
    after = snapshot(group)
    after["authorities"] = dict(group.authorities.values_list("authority_id", "expected"))
    audit_record(
        actor=actor, action="networks.group.updated", obj=group, before=before, after=after
    )
    return group


# Meetings ------------------------------------------------------------------------------------


def _check_meeting(meeting: Meeting) -> None:
    if meeting.date is None:
        raise NetworkError("Enter the date of the meeting.", field="date")
    if meeting.group.closed and meeting.date > meeting.group.closed:
        raise NetworkError(
            f"{meeting.group} closed on {_long(meeting.group.closed)}.", field="date"
        )
    if meeting.pk:
        early = meeting.actions.filter(due__lt=meeting.date).order_by("due").first()
        if early is not None:
            raise NetworkError(
                f"An action from this meeting is due on {_long(early.due)}, before "
                f"{_long(meeting.date)}; change that action first.",
                field="date",
            )


@transaction.atomic
def meeting_create(*, actor, group: Group, data: dict[str, Any]) -> Meeting:
    _require_admin(actor)
    meeting = Meeting(group=group)
    _apply(meeting, data, MEETING_FIELDS)
    _check_meeting(meeting)
    meeting.save()
    audit_record(
        actor=actor, action="networks.meeting.created", obj=meeting, after=snapshot(meeting)
    )
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting: Meeting, data: dict[str, Any]) -> Meeting:
    _require_admin(actor)
    before = snapshot(meeting)
    _apply(meeting, data, MEETING_FIELDS)
    _check_meeting(meeting)
    meeting.save()
    audit_record(
        actor=actor,
        action="networks.meeting.updated",
        obj=meeting,
        before=before,
        after=snapshot(meeting),
    )
    return meeting


# Attendance ----------------------------------------------------------------------------------


def can_record_attendance(user, authority_id: int) -> bool:
    return can_manage_organisation_id(user, authority_id)


@transaction.atomic
def attendance_record(
    *,
    actor,
    meeting: Meeting,
    authority: Organisation,
    status: str,
    person: Person | None = None,
) -> Attendance:
    """Record (or replace) how `authority` was represented at `meeting`."""
    require(
        can_record_attendance(actor, authority.pk),
        "You can only record attendance for your own authority.",
    )
    if not GroupAuthority.objects.filter(group=meeting.group_id, authority=authority).exists():
        raise NetworkError(
            f"{authority} is not a member authority of {meeting.group}; add it to the group "
            "before recording its attendance.",
            field="authority",
        )
    if status not in Attendance.Status.values:
        raise NetworkError("Choose whether they attended.", field="status")
    if status in Attendance.ATTENDED and person is None:
        raise NetworkError("Choose who attended.", field="person")
    if status == Attendance.Status.ABSENT:
        person = None
    existing = Attendance.objects.filter(meeting=meeting, authority=authority).first()
    before = snapshot(existing) if existing else None
    attendance = existing or Attendance(meeting=meeting, authority=authority)
    attendance.status = status
    attendance.person = person
    attendance.save()
    audit_record(
        actor=actor,
        action="networks.attendance.recorded",
        obj=attendance,
        before=before,
        after=snapshot(attendance),
    )
    return attendance


# Decisions and actions -----------------------------------------------------------------------


@transaction.atomic
def decision_add(*, actor, meeting: Meeting, text: str) -> Decision:
    _require_admin(actor, "decisions")
    if not text.strip():
        raise NetworkError("Enter the decision.", field="text")
    decision = Decision.objects.create(meeting=meeting, text=text.strip())
    audit_record(
        actor=actor, action="networks.decision.added", obj=decision, after=snapshot(decision)
    )
    return decision


def _check_action(action: Action) -> None:
    if not action.description.strip():
        raise NetworkError("Enter what is to be done.", field="description")
    if action.due is None:
        raise NetworkError("Enter the date the action is due.", field="due")
    if action.due < action.meeting.date:
        raise NetworkError(
            f"The action cannot be due ({_long(action.due)}) before its meeting "
            f"({_long(action.meeting.date)}).",
            field="due",
        )
    if action.status not in Action.Status.values:
        raise NetworkError("Choose the action's status.", field="status")


@transaction.atomic
def action_add(
    *, actor, meeting: Meeting, description: str, owner: Person, due: datetime.date
) -> Action:
    _require_admin(actor, "actions")
    action = Action(meeting=meeting, description=description.strip(), owner=owner, due=due)
    _check_action(action)
    action.save()
    audit_record(actor=actor, action="networks.action.added", obj=action, after=snapshot(action))
    return action


@transaction.atomic
def action_update(*, actor, action: Action, data: dict[str, Any]) -> Action:
    _require_admin(actor, "actions")
    before = snapshot(action)
    _apply(action, data, ["description", "owner", "due", "status"])
    _check_action(action)
    action.save()
    audit_record(
        actor=actor,
        action="networks.action.updated",
        obj=action,
        before=before,
        after=snapshot(action),
    )
    return action


@transaction.atomic
def actions_remind_overdue(*, actor) -> None:
    """Email every owner of an overdue action now rather than at the next scheduled run."""
    _require_admin(actor, "reminders")
    _on_commit(tasks.remind_overdue_actions)


# Engagement ----------------------------------------------------------------------------------


@transaction.atomic
def engagement_email_authorities(
    *, actor, start: datetime.date, end: datetime.date
) -> list[Organisation]:
    """Email each member authority's coordinators their tracker for the period.

    Returns the authorities that will get one: those with at least one coordinator.
    """
    _require_admin(actor, "engagement emails")
    if end < start:
        raise NetworkError("The period must end on or after its start.", field="end")
    authorities = list(
        Organisation.objects.filter(network_memberships__isnull=False, coordinators__is_active=True)
        .distinct()
        .order_by("name")
    )
    for authority in authorities:
        _on_commit(tasks.send_authority_tracker, authority.pk, start.isoformat(), end.isoformat())
        audit_record(
            actor=actor,
            action="networks.engagement.emailed",
            obj=authority,
            after={"start": start.isoformat(), "end": end.isoformat()},
        )
    return authorities
