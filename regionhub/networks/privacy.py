"""A person's attendance at network meetings and the actions they own. The rows stay, linked to
the erased record, so each authority's engagement still adds up."""

from .models import Action, Attendance


def export_person(person) -> dict[str, list[dict]]:
    attendance = Attendance.objects.filter(person=person).select_related(
        "meeting__group", "authority"
    )
    actions = Action.objects.filter(owner=person).select_related("meeting__group")
    return {
        "Network meetings": [
            {
                "group": str(a.meeting.group),
                "meeting": a.meeting.date.isoformat(),
                "for": str(a.authority),
                "attendance": a.get_status_display(),
            }
            for a in attendance
        ],
        "Actions owned": [
            {"group": str(a.meeting.group), "action": a.description, "due": _iso(a.due)}
            for a in actions
        ],
    }


def _iso(value):
    return value.isoformat() if value else None


def erasure_blockers(person) -> list[str]:
    open_actions = Action.objects.filter(owner=person, status=Action.Status.OPEN).select_related(
        "meeting__group"
    )
    return [
        f"Owns an open action of {a.meeting.group} ({a.description[:60]}): give it to someone "
        "else or close it first."
        for a in open_actions
    ]


def erase_person(person) -> dict[str, int]:
    return {}
