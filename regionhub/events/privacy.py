"""A person's bookings and the feedback they gave. Past bookings stay, linked to the erased
record, so fill rates and attendance still add up; feedback linked to them is deleted."""

from django.db.models import Q
from django.utils import timezone

from regionhub.core.templatetags.rh import long_date

from .models import Booking, FeedbackAnswer, FeedbackSubmission


def export_person(person) -> dict[str, list[dict]]:
    bookings = Booking.objects.filter(person=person).select_related("event", "authority")
    answers = FeedbackAnswer.objects.filter(submission__person=person).select_related(
        "question__event"
    )
    return {
        "Event bookings": [
            {
                "event": b.event.title,
                "starts": b.event.starts_at.isoformat() if b.event.starts_at else None,
                "status": b.get_status_display(),
                "places of": str(b.authority) if b.authority_id else None,
                "booked": b.created.isoformat(),
            }
            for b in bookings
        ],
        "Event feedback": [
            {
                "event": a.question.event.title,
                "question": a.question.text,
                "rating": a.rating,
                "answer": a.value,
            }
            for a in answers
        ],
    }


def erasure_blockers(person) -> list[str]:
    upcoming = (
        Booking.objects.filter(person=person, status__in=Booking.ACTIVE)
        .filter(Q(event__ends_at__isnull=True) | Q(event__ends_at__gte=timezone.now()))
        .select_related("event")
    )
    return [
        f"{b.get_status_display()} for {b.event.title}"
        + (f" on {long_date(timezone.localtime(b.event.starts_at))}" if b.event.starts_at else "")
        + ": cancel it first, so the place goes to the next person."
        for b in upcoming
    ]


def erase_person(person) -> dict[str, int]:
    deleted, _ = FeedbackSubmission.objects.filter(person=person).delete()
    return {"event feedback deleted": deleted}
