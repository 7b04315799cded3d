"""Feedback polls: the questions admins ask after an event and the answers attendees give once.

When the event's feedback is anonymous, answers are stored without a link to the submission,
so nobody, admins included, can tell who gave which answer; the submission row only records
that a person has answered, which is what stops a second go.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot

from ..models import Booking, Event, FeedbackAnswer, FeedbackQuestion, FeedbackSubmission
from ._common import EventError, _lock_event, _require_admin


class FeedbackError(EventError):
    """Feedback that cannot be given or a question that cannot be asked."""


@transaction.atomic
def question_add(
    *, actor, event: Event, kind: str, text: str, choices: str = ""
) -> FeedbackQuestion:
    _require_admin(actor)
    if kind not in FeedbackQuestion.Kind.values:
        raise FeedbackError("Choose the kind of answer", field="kind")
    if not text.strip():
        raise FeedbackError("Enter the question", field="text")
    options = [line.strip() for line in choices.splitlines() if line.strip()]
    if kind == FeedbackQuestion.Kind.CHOICE and len(options) < 2:
        raise FeedbackError("Give at least two options, one a line", field="choices")
    # Under the event's lock, as answers are given, so "nobody has answered yet" stays true.
    event = _lock_event(event)
    if event.feedback.exists():
        raise FeedbackError(
            "People have already answered, so the questions can no longer change", field="text"
        )
    last = event.questions.order_by("-order").values_list("order", flat=True).first() or 0
    question = FeedbackQuestion.objects.create(
        event=event,
        kind=kind,
        text=text.strip(),
        choices="\n".join(options) if kind == FeedbackQuestion.Kind.CHOICE else "",
        order=last + 1,
    )
    audit_record(
        actor=actor, action="events.feedback.question_added", obj=event, after=snapshot(question)
    )
    return question


@transaction.atomic
def question_delete(*, actor, question: FeedbackQuestion) -> int:
    """Delete a question and every answer given to it; the number of answers deleted.

    Unlike adding a question, deleting one stays possible after people have answered: it
    changes nothing about the answers to the other questions or the anonymity they were given
    under, and an admin who asked something by mistake must be able to stop asking it. The
    page that asks for confirmation says how many answers go with it."""
    _require_admin(actor)
    # Answers are given under the event's lock, so none can arrive for the question meanwhile.
    event = _lock_event(question.event)
    current = FeedbackQuestion.objects.filter(pk=question.pk, event=event).first()
    if current is None:
        raise FeedbackError("This question has already been deleted", code="missing")
    before = snapshot(current)
    answers, _ = FeedbackAnswer.objects.filter(question=current).delete()
    current.delete()
    audit_record(
        actor=actor,
        action="events.feedback.question_deleted",
        obj=event,
        before=before,
        after={"answers_deleted": answers},
    )
    return answers


@transaction.atomic
def feedback_anonymity_set(*, actor, event: Event, anonymous: bool) -> Event:
    """Once anyone has answered, the promise made to them about anonymity stands."""
    _require_admin(actor)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.feedback_anonymous == anonymous:
        return event
    if event.feedback.exists():
        raise FeedbackError(
            "People have already answered under the current setting, so it cannot change",
            field="anonymous",
        )
    event.feedback_anonymous = anonymous
    event.save(update_fields=["feedback_anonymous"])
    audit_record(
        actor=actor,
        action="events.feedback.anonymity_set",
        obj=event,
        after={"feedback_anonymous": anonymous},
    )
    return event


def may_give_feedback(event: Event, booking: Booking | None) -> bool:
    """Attendees may answer: those marked as attended, and, while attendance is not yet
    recorded, those with a confirmed place once the event has started."""
    if booking is None or booking.event_id != event.pk:
        return False
    if booking.status == Booking.Status.ATTENDED:
        return True
    started = event.starts_at is not None and event.starts_at <= timezone.now()
    return booking.status == Booking.Status.CONFIRMED and started


def _answer(question: FeedbackQuestion, value: Any) -> FeedbackAnswer | None:
    if value in (None, ""):
        if question.kind == FeedbackQuestion.Kind.TEXT:
            return None
        raise FeedbackError(f"Answer '{question.text}'", field=f"q{question.pk}")
    if question.kind == FeedbackQuestion.Kind.RATING:
        try:
            rating = int(value)
        except (TypeError, ValueError):
            rating = 0
        if not 1 <= rating <= 5:
            raise FeedbackError("Choose a rating from 1 to 5", field=f"q{question.pk}")
        return FeedbackAnswer(question=question, rating=rating)
    value = str(value).strip()
    if question.kind == FeedbackQuestion.Kind.CHOICE and value not in question.choice_list:
        raise FeedbackError(
            f"Choose one of the options for '{question.text}'", field=f"q{question.pk}"
        )
    if len(value) > 500:
        raise FeedbackError("Keep the answer to 500 characters or fewer", field=f"q{question.pk}")
    return FeedbackAnswer(question=question, value=value)


@transaction.atomic
def feedback_submit(*, actor, event: Event, answers: dict[int, Any]) -> FeedbackSubmission:
    """Record an attendee's answers (question id → value); each person answers once."""
    # Anonymity is read fresh, under the event's lock, which also keeps the questions from
    # changing while the answers are stored: a stale copy of the event must not decide whether
    # answers are linked to the person giving them.
    event = _lock_event(event)
    person = getattr(actor, "person", None) if actor and actor.is_authenticated else None
    booking = (
        event.bookings.filter(person=person).exclude(status=Booking.Status.CANCELLED).first()
        if person
        else None
    )
    if person is None or not may_give_feedback(event, booking):
        raise FeedbackError(
            "Only people who attended this event can give feedback", code="not_attendee"
        )
    if event.feedback.filter(person=person).exists():
        raise FeedbackError(
            "You have already given feedback on this event; thank you", code="duplicate"
        )
    questions = list(event.questions.all())
    if not questions:
        raise FeedbackError("This event has no feedback questions", code="no_questions")
    built = [_answer(q, answers.get(q.pk)) for q in questions]
    try:
        with transaction.atomic():
            submission = FeedbackSubmission.objects.create(event=event, person=person)
    except IntegrityError as error:
        raise FeedbackError(
            "You have already given feedback on this event; thank you", code="duplicate"
        ) from error
    given = [answer for answer in built if answer is not None]
    for answer in given:
        answer.submission = None if event.feedback_anonymous else submission
    FeedbackAnswer.objects.bulk_create(given)
    audit_record(
        actor=actor,
        action="events.feedback.submitted",
        obj=event,
        after={"anonymous": event.feedback_anonymous},
    )
    return submission
