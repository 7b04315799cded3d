"""The mailing-list subscriber with the person's email address: exported, then deleted with
their subscriptions and delivery log."""

from .models import Subscriber


def _subscribers(person):
    if not person.email:
        return Subscriber.objects.none()
    return Subscriber.objects.filter(email__iexact=person.email)


def export_person(person) -> dict[str, list[dict]]:
    rows = []
    for subscriber in _subscribers(person).prefetch_related("subscriptions__mailing_list"):
        for s in subscriber.subscriptions.all():
            rows.append(
                {
                    "email": subscriber.email,
                    "name": subscriber.name,
                    "organisation": subscriber.organisation,
                    "list": s.mailing_list.name,
                    "status": s.get_status_display(),
                    "consent": s.consent_note,
                    "requested": s.requested_at.isoformat(),
                    "confirmed": s.confirmed_at.isoformat() if s.confirmed_at else None,
                }
            )
    return {"Mailing lists": rows}


def erasure_blockers(person) -> list[str]:
    return []


def erase_person(person) -> dict[str, int]:
    count = _subscribers(person).count()
    _subscribers(person).delete()
    return {"mailing-list subscriptions deleted": count}
