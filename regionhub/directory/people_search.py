"""Choosing one person among tens of thousands: a search by name or email that shows a bounded
list to choose from, so that a page stays light however big the directory grows.

Used for the owner of a network action and for nominating on a programme's cohort.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import Person

PEOPLE_SHOWN = 20


def people_matching(people: QuerySet[Person], q: str) -> QuerySet[Person]:
    """Those of `people` whose name or email contains `q`, whatever the case; all when `q` is
    blank.

    On PostgreSQL `icontains` compares UPPER(column::text) LIKE UPPER(pattern): the trigram
    indexes on exactly those expressions (migration 0003) serve it, so a search
    that matches nobody reads a few index pages rather than every person.
    """
    q = q.strip()
    if not q:
        return people
    return people.filter(Q(name__icontains=q) | Q(email__icontains=q))


@dataclass
class PeopleFound:
    q: str
    people: Sequence[Person]
    more: bool


def people_found(
    people: QuerySet[Person],
    q: str = "",
    *,
    keep: int | None = None,
    limit: int = PEOPLE_SHOWN,
    first_when_blank: bool = True,
) -> PeopleFound:
    """The first `limit` of `people` matching `q`, by name; `more` says that others match too.

    `keep` is a person already chosen (the current value, or a choice on a form sent back),
    shown first whatever the search, so that a new search never loses the choice. With a blank
    `q`, the first people by name are shown only if `first_when_blank`.
    """
    q = q.strip()
    ordered = people.order_by("name", "pk")
    found: list[Person] = []
    more = False
    if q or first_when_blank:
        found = list(people_matching(ordered, q)[: limit + 1])
        more = len(found) > limit
        found = found[:limit]
    if keep is not None and all(p.pk != keep for p in found):
        found = list(ordered.filter(pk=keep)) + found
    return PeopleFound(q=q, people=found, more=more)


def chosen_pk(value) -> int | None:
    """A person's id from a form's raw value, or None for a blank or malformed one."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
