"""The people an action may be given to, found by a search (`directory.people_search`)."""

from regionhub.directory.models import Person
from regionhub.directory.people_search import PeopleFound, people_found


def owner_search(q: str = "", *, keep: int | None = None) -> PeopleFound:
    """Whom an action may be given to: anyone in the directory. Nobody is listed until a search
    is made, except the person already chosen."""
    return people_found(
        Person.objects.select_related("organisation"), q, keep=keep, first_when_blank=False
    )
