"""Comments a person wrote on the Regional Update."""

from regionhub.core.pagecache import data_changed

from .models import Comment


def _comments(person):
    return Comment.objects.filter(user__person=person).select_related("issue")


def export_person(person) -> dict[str, list[dict]]:
    return {
        "Comments on the Regional Update": [
            {
                "issue": c.issue.title,
                "written": c.created.isoformat(),
                "status": c.get_status_display(),
                "comment": c.body,
            }
            for c in _comments(person)
        ]
    }


def erasure_blockers(person) -> list[str]:
    return []


def erase_person(person) -> dict[str, int]:
    deleted, _ = Comment.objects.filter(user__person=person).delete()
    if deleted:
        data_changed("newsletter")  # the issue pages show approved comments
    return {"comments deleted": deleted}
