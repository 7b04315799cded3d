"""The directory's part of a person's data: their record, the posts they held, and the audit
trail about them. Runs last in an erasure (see regionhub.core.privacy)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from regionhub.core.models import AuditEntry
from regionhub.core.privacy import ERASED_NAME

from .models import Appointment, Person


def export_person(person: Person) -> dict[str, list[dict]]:
    appointments = Appointment.objects.filter(person=person).select_related("post", "on_behalf_of")
    return {
        "Directory record": [
            {
                "name": person.name,
                "email": person.email,
                "phone": person.phone,
                "organisation": str(person.organisation) if person.organisation_id else None,
                "notes": person.notes,
            }
        ],
        "Posts held": [
            {
                "post": str(a.post),
                "start": a.start.isoformat(),
                "end": a.end.isoformat() if a.end else None,
                "basis": a.get_basis_display(),
                "on behalf of": str(a.on_behalf_of) if a.on_behalf_of_id else None,
                "note": a.note,
            }
            for a in appointments
        ],
    }


def erasure_blockers(person: Person) -> list[str]:
    return []


def erase_person(person: Person) -> dict[str, int]:
    name, email = person.name, person.email
    notes = Appointment.objects.filter(person=person).exclude(note="").update(note="")
    person.name = ERASED_NAME
    person.email = ""
    person.phone = ""
    person.notes = ""
    person.save(update_fields=["name", "email", "phone", "notes"])
    return {
        "directory record": 1,
        "appointment notes": notes,
        "audit entries": _scrub(person, name, email),
    }


def _scrub(person: Person, name: str, email: str) -> int:
    """Blank the before/after of every audit entry about the person, and take their name out of
    the description of entries about records linked to them (bookings, appointments, ...)."""
    person_type = ContentType.objects.get_for_model(Person)
    own = AuditEntry.objects.filter(content_type=person_type, object_id=str(person.pk))
    count = own.update(object_repr=ERASED_NAME, before=None, after=None)
    # Too short a name would match other people's entries too.
    needles = [n for n in (name, email) if n and len(n) >= 5 and n != ERASED_NAME]
    if not needles:
        return count
    condition = Q()
    for needle in needles:
        condition |= Q(object_repr__icontains=needle)
    for entry in AuditEntry.objects.filter(condition).exclude(pk__in=own.values("pk")):
        text = entry.object_repr
        for needle in needles:
            text = _replace_insensitive(text, needle, ERASED_NAME)
        entry.object_repr = text
        entry.before = _scrub_values(entry.before, needles)
        entry.after = _scrub_values(entry.after, needles)
        entry.save(update_fields=["object_repr", "before", "after"])
        count += 1
    return count


def _replace_insensitive(text: str, needle: str, replacement: str) -> str:
    lowered, target = text.lower(), needle.lower()
    out, start = [], 0
    while (found := lowered.find(target, start)) != -1:
        out.append(text[start:found])
        out.append(replacement)
        start = found + len(needle)
    out.append(text[start:])
    return "".join(out)


def _scrub_values(data, needles: list[str]):
    if not isinstance(data, dict):
        return data
    return {
        key: ERASED_NAME
        if isinstance(value, str) and any(n.lower() in value.lower() for n in needles)
        else value
        for key, value in data.items()
    }
