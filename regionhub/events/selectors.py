"""Every non-trivial read of events; query counts do not grow with the data."""

import datetime
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from regionhub.core.permissions import coordinated_ids, is_regional_admin
from regionhub.core.prepared import Prepared, rows_together
from regionhub.directory.models import Organisation, Person

from .availability import AuthorityPlaces, Availability, events_availability
from .models import (
    Booking,
    Event,
    EventQuerySet,
    EventSession,
    FeedbackAnswer,
    FeedbackQuestion,
)

SESSIONS = Prefetch("sessions", queryset=EventSession.objects.order_by("start", "pk"))


def person_feed_bookings(person_id: int):
    sessions = Prefetch("event__sessions", queryset=EventSession.objects.order_by("start"))
    return (
        Booking.objects.filter(person_id=person_id)
        .exclude(status=Booking.Status.WAITLISTED)
        .select_related("event")
        .prefetch_related(sessions)
        .order_by("event__starts_at", "pk")
    )


def events_visible_to(user) -> EventQuerySet:
    """Admins see drafts too; everyone else sees published and cancelled events."""
    qs = cast(EventQuerySet, Event.objects.all())
    if not is_regional_admin(user):
        qs = qs.exclude(status=Event.Status.DRAFT)
    return qs


# The booking form's reads, compiled once per connection (see `prepared`): it is the busiest
# path, and reading an event and a person through freshly built querysets costs it several
# times what the database takes to answer.
def _attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


_EVENT_FIELDS = _attnames(Event)
_PERSON_FIELDS = _attnames(Person)
_ORGANISATION_FIELDS = _attnames(Organisation)
_EVENT = Prepared(
    lambda event_id: Event.objects.filter(pk=event_id).order_by().values(*_EVENT_FIELDS),
    "event_id",
)
_COLLEAGUE = Prepared(
    lambda person_id, authority_id: (
        Person.objects.filter(pk=person_id, organisation_id=authority_id)
        .order_by()
        .values(*_PERSON_FIELDS, *(f"organisation__{name}" for name in _ORGANISATION_FIELDS))
    ),
    "person_id",
    "authority_id",
)


def event_to_book(user, pk: int) -> Event | None:
    """The event as `events_visible_to(user)` would give it, or None."""
    return _event_to_book(user, _EVENT.rows(event_id=pk))


def colleague(authority_id: int, pk: int) -> Person | None:
    """The person `pk` if they work for the authority, with their organisation loaded."""
    return _colleague(_COLLEAGUE.rows(person_id=pk, authority_id=authority_id))


def event_and_colleague(
    user, pk: int, *, authority_id: int, person_id: int
) -> tuple[Event | None, Person | None]:
    """`event_to_book(user, pk)` and `colleague(authority_id, person_id)`, read together: in
    one round trip where the database allows (see `prepared.rows_together`)."""
    events, people = rows_together(
        _EVENT, _COLLEAGUE, event_id=pk, person_id=person_id, authority_id=authority_id
    )
    return _event_to_book(user, events), _colleague(people)


def _event_to_book(user, rows) -> Event | None:
    if not rows:
        return None
    event = Event.from_db("default", _EVENT_FIELDS, [rows[0][name] for name in _EVENT_FIELDS])
    if event.status == Event.Status.DRAFT and not is_regional_admin(user):
        return None
    return event


def _colleague(rows) -> Person | None:
    if not rows:
        return None
    row = rows[0]
    person = Person.from_db("default", _PERSON_FIELDS, [row[name] for name in _PERSON_FIELDS])
    organisation = Organisation.from_db(
        "default",
        _ORGANISATION_FIELDS,
        [row[f"organisation__{name}"] for name in _ORGANISATION_FIELDS],
    )
    Person._meta.get_field("organisation").set_cached_value(person, organisation)
    return person


@dataclass
class EventRow:
    event: Event
    availability: Availability
    my_booking: Booking | None
    left_for_me: int


def events_upcoming_for(user, *, limit: int = 100, offset: int = 0) -> list[EventRow]:
    """Upcoming events with places left for the user's authority and their own booking; four
    queries whatever the number of events."""
    events = list(
        events_visible_to(user)
        .upcoming()
        .select_related("host")
        .prefetch_related(SESSIONS)
        .order_by("starts_at", "pk")[offset : offset + limit]
    )
    availability = events_availability(events)
    person_id = getattr(user, "person_id", None) if user.is_authenticated else None
    mine: dict[int, Booking] = {}
    if person_id:
        for booking in Booking.objects.filter(
            person_id=person_id, event__in=events, status__in=Booking.ACTIVE
        ):
            mine[booking.event_id] = booking
    authority_id = _authority_id(user)
    return [
        EventRow(e, availability[e.pk], mine.get(e.pk), availability[e.pk].left_for(authority_id))
        for e in events
    ]


class UpcomingPage:
    """One page of the event list for one reader, loaded on first use, so that a page served
    from the fragment cache makes none of these queries."""

    def __init__(self, user, *, page: int, per_page: int, past: int):
        self.user, self.page, self.per_page, self.past_shown = user, page, per_page, past

    @cached_property
    def _rows(self) -> list[EventRow]:
        # One more than a page, to know whether there is a next one without counting them all.
        offset = (self.page - 1) * self.per_page
        return events_upcoming_for(self.user, limit=self.per_page + 1, offset=offset)

    @property
    def rows(self) -> list[EventRow]:
        return self._rows[: self.per_page]

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if len(self._rows) > self.per_page else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @cached_property
    def past(self) -> list[Event]:
        return events_past(self.user, limit=self.past_shown) if self.page == 1 else []

    def cache_key(self) -> str:
        """What the page depends on besides the data: the reader's bookings, their authority's
        places, drafts for admins, and time (events start, booking windows close)."""
        person_id = getattr(self.user, "person_id", None) if self.user.is_authenticated else None
        return ":".join(
            str(part)
            for part in (
                person_id,
                _authority_id(self.user),
                is_regional_admin(self.user),
                self.page,
                int(time.time() // 300),
            )
        )


def events_past(user, *, limit: int = 50) -> list[Event]:
    return list(
        events_visible_to(user).past().select_related("host").order_by("-starts_at")[:limit]
    )


def _authority_id(user) -> int | None:
    if not user.is_authenticated:
        return None
    person = getattr(user, "person", None)
    if person is not None and person.organisation_id:
        return person.organisation_id
    return user.organisation_id


def may_see_attendees(user, authority_id: int | None) -> bool:
    return is_regional_admin(user) or (
        authority_id is not None and authority_id in coordinated_ids(user)
    )


def authority_bookings(event: Event, authority_id: int) -> list[Booking]:
    return list(
        event.bookings.filter(authority_id=authority_id)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("person")
        .order_by("status", "position", "created", "pk")
    )


def event_attendees(event: Event, authority_ids: set[int] | None = None) -> QuerySet[Booking]:
    """Bookings with a place (or a record of attendance); `authority_ids` None: everyone's."""
    qs = event.bookings.filter(status__in=Booking.HOLDING).select_related("person", "authority")
    if authority_ids is not None:
        qs = qs.filter(authority_id__in=authority_ids)
    return qs.order_by("authority__name", "person__name", "pk")


def events_overview(*, days_back: int = 60, limit: int = 200):
    """Every recent and upcoming event with its fill by authority, in four queries."""
    since = timezone.now() - datetime.timedelta(days=days_back)
    events = list(
        Event.objects.exclude(status=Event.Status.DRAFT)
        .filter(ends_at__gte=since)
        .order_by("starts_at", "pk")[:limit]
    )
    return events, events_availability(events)


def attendees_authority_ids(user) -> set[int] | None:
    """Whose attendees the user may see: None for everyone's (regional admins), else the
    authorities they coordinate (empty: nobody's)."""
    if is_regional_admin(user):
        return None
    return coordinated_ids(user)


def attendance_bookings(event: Event, authority_ids: set[int] | None) -> list[Booking]:
    """Named places whose attendance can be recorded, by authority then name."""
    statuses = [Booking.Status.CONFIRMED, Booking.Status.ATTENDED, Booking.Status.NO_SHOW]
    qs = event.bookings.filter(status__in=statuses, person__isnull=False)
    if authority_ids is not None:
        qs = qs.filter(authority_id__in=authority_ids)
    return list(
        qs.select_related("person", "authority").order_by("authority__name", "person__name", "pk")
    )


@dataclass
class FillRow:
    event: Event
    authority: Organisation
    places: AuthorityPlaces
    attended: int
    no_show: int

    @property
    def fill_rate(self) -> float | None:
        """Share of the allocation used (confirmed, reserved or attended); None without one."""
        if not self.places.allocated:
            return None
        return self.places.used_allocation / self.places.allocated


def fill_rows(authority_ids: set[int] | None, *, batch: int = 500) -> Iterator[FillRow]:
    """Every published or cancelled event × authority with places or bookings, oldest event
    first; a fixed number of queries for each `batch` events, so that an export of every event
    neither loads them all at once nor makes a query per event."""
    authorities = {o.pk: o for o in Organisation.objects.only("pk", "name", "short_name")}
    ids = list(
        Event.objects.exclude(status=Event.Status.DRAFT)
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        events = Event.objects.in_bulk(chunk)
        availability = events_availability(list(events.values()))
        outcome: dict[tuple[int, int, str], int] = {}
        for event_id, authority_id, status, n in (
            Booking.objects.filter(
                event_id__in=chunk, status__in=[Booking.Status.ATTENDED, Booking.Status.NO_SHOW]
            )
            .values_list("event_id", "authority_id", "status")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            outcome[(event_id, authority_id, status)] = n
        for event_id in chunk:
            places_by_authority = availability[event_id].authorities
            rows = sorted(
                (
                    (authorities[a], places)
                    for a, places in places_by_authority.items()
                    if authority_ids is None or a in authority_ids
                ),
                key=lambda row: row[0].name,
            )
            for authority, places in rows:
                yield FillRow(
                    events[event_id],
                    authority,
                    places,
                    outcome.get((event_id, authority.pk, Booking.Status.ATTENDED), 0),
                    outcome.get((event_id, authority.pk, Booking.Status.NO_SHOW), 0),
                )


def may_see_feedback(user, event: Event) -> bool:
    """Results are for regional admins and the coordinators of the host authority."""
    return is_regional_admin(user) or (
        event.host_id is not None and event.host_id in coordinated_ids(user)
    )


@dataclass
class QuestionResult:
    question: FeedbackQuestion
    answered: int = 0
    options: list[tuple[str, int, int]] = field(default_factory=list)  # option, count, percent
    average: float | None = None
    texts: list[tuple[str, str]] = field(default_factory=list)  # answer, who ("" if anonymous)


@dataclass
class FeedbackResults:
    submissions: int
    attended: int
    questions: list[QuestionResult]
    highlights: list[str]


def _percent(n: int, of: int) -> int:
    return round(100 * n / of) if of else 0


def feedback_results(event: Event) -> FeedbackResults:
    """Counts per option, average ratings, the short answers and the highlights; four queries."""
    questions = list(event.questions.all())
    answers: dict[int, list[FeedbackAnswer]] = {q.pk: [] for q in questions}
    for answer in (
        FeedbackAnswer.objects.filter(question__event=event)
        .select_related("submission__person")
        .order_by("pk")
    ):
        answers[answer.question_id].append(answer)
    results = []
    for question in questions:
        given = answers[question.pk]
        result = QuestionResult(question, answered=len(given))
        if question.kind == FeedbackQuestion.Kind.RATING:
            ratings = [a.rating for a in given if a.rating is not None]
            by_rating = Counter(ratings)
            result.options = [
                (str(n), by_rating[n], _percent(by_rating[n], len(ratings))) for n in range(1, 6)
            ]
            result.average = round(sum(ratings) / len(ratings), 1) if ratings else None
        elif question.kind == FeedbackQuestion.Kind.CHOICE:
            counts = Counter(a.value for a in given)
            options = question.choice_list + sorted(set(counts) - set(question.choice_list))
            result.options = [(o, counts[o], _percent(counts[o], len(given))) for o in options]
        else:
            result.texts = [
                (a.value, a.submission.person.name if a.submission else "") for a in given
            ]
        results.append(result)
    submissions = event.feedback.count()
    attended = event.bookings.filter(status=Booking.Status.ATTENDED).count()
    return FeedbackResults(
        submissions, attended, results, highlights(submissions, attended, results)
    )


# Words too common to say anything about an answer.
_STOP = """a about after all also an and any are as at be been but by can could did do does for
from had has have how i if in into is it its just more most my no not of on or our out so some
than that the their them then there these they this to too up us was we were what when which
who will with would you your very really much lot lots"""
STOP_WORDS = frozenset(_STOP.split())


def _common_words(texts: list[str], *, at_least: int = 2, top: int = 3) -> list[tuple[str, int]]:
    """Words used in at least `at_least` different answers, most used first."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = {w for w in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if w not in STOP_WORDS}
        counts.update(words)
    return [(w, n) for w, n in counts.most_common() if n >= at_least][:top]


def highlights(submissions: int, attended: int, results: list[QuestionResult]) -> list[str]:
    """A few plain sentences a reader can take in at a glance, like a poll's highlights."""
    if not submissions:
        return ["Nobody has given feedback yet."]
    people = "person" if submissions == 1 else "people"
    lines = [
        f"{submissions} {people} gave feedback"
        + (
            f", {_percent(submissions, attended)}% of the {attended} who attended."
            if attended
            else "."
        )
    ]
    for result in results:
        text = result.question.text
        if not result.answered:
            continue
        if result.average is not None:
            high = sum(n for option, n, _ in result.options if option in {"4", "5"})
            lines.append(
                f"“{text}”: {result.average} out of 5 on average; "
                f"{high} of {result.answered} gave 4 or 5."
            )
        elif result.options:
            best = max(n for _, n, _ in result.options)
            top = [o for o, n, _ in result.options if n == best]
            chosen = " and ".join(f"“{o}”" for o in top)
            verb = "were chosen most, equally" if len(top) > 1 else "was chosen most"
            lines.append(
                f"“{text}”: {chosen} {verb} ({best} of {result.answered}, "
                f"{_percent(best, result.answered)}%)."
            )
        elif result.texts:
            words = _common_words([t for t, _ in result.texts])
            said = (
                "; words that come up most: " + ", ".join(f"{w} ({n})" for w, n in words)
                if words
                else ""
            )
            answers = "answer" if len(result.texts) == 1 else "answers"
            lines.append(f"“{text}”: {len(result.texts)} {answers}{said}.")
    return lines
