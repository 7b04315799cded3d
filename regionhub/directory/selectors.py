"""Every non-trivial read of the directory; query counts do not grow with the data."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from .models import Appointment, Delivery, Organisation, Person, Post, today


def appointments_on(date: datetime.date) -> QuerySet[Appointment]:
    return Appointment.objects.on(date).with_related().order_by("post__organisation__name", "pk")


def organisations_list(*, members: bool | None = None, query: str = "") -> QuerySet[Organisation]:
    qs = Organisation.objects.all()
    if members is not None:
        qs = qs.filter(is_member=members)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(short_name__icontains=query))
    return qs.order_by("name")


def directory_leaders_by_org(
    organisations: list[Organisation], on: datetime.date | None = None
) -> dict[int, list[Appointment]]:
    """Director / chief executive appointments on `on`, keyed by organisation id, one query."""
    on = on or today()
    result: dict[int, list[Appointment]] = {o.pk: [] for o in organisations}
    appointments = (
        Appointment.objects.on(on)
        .filter(
            post__organisation__in=[o.pk for o in organisations],
            post__category__in=[Post.Category.DIRECTOR, Post.Category.CHIEF_EXECUTIVE],
        )
        .select_related("person", "post")
        .order_by("post__category", "start")
    )
    for appointment in appointments:
        result[appointment.post.organisation_id].append(appointment)
    return result


@dataclass
class PostView:
    post: Post
    current: list[Appointment] = field(default_factory=list)
    past: list[Appointment] = field(default_factory=list)
    future: list[Appointment] = field(default_factory=list)

    @property
    def is_vacant(self) -> bool:
        return not self.current


def posts_with_holders(posts: QuerySet[Post], on: datetime.date | None = None) -> list[PostView]:
    """Posts with their current, past and future holders in two queries."""
    return posts_with_holders_list(list(posts.select_related("organisation")), on)


def posts_with_holders_list(posts: list[Post], on: datetime.date | None = None) -> list[PostView]:
    on = on or today()
    views = {p.pk: PostView(post=p) for p in posts}
    appointments = (
        Appointment.objects.filter(post__in=[p.pk for p in posts])
        .select_related("person", "on_behalf_of")
        .order_by("-start", "pk")
    )
    for a in appointments:
        view = views[a.post_id]
        if a.is_current(on):
            view.current.append(a)
        elif a.start > on:
            view.future.append(a)
        else:
            view.past.append(a)
    return list(views.values())


def organisation_deliveries(organisation: Organisation) -> list[Delivery]:
    return list(
        Delivery.objects.filter(Q(provider=organisation) | Q(authority=organisation))
        .select_related("provider", "authority")
        .order_by("start")
    )


def organisation_people(organisation: Organisation) -> QuerySet[Person]:
    """People whose record this organisation keeps, or who held one of its posts."""
    # A subquery rather than a join: no DISTINCT, so counting and paging stay cheap.
    held_here = Appointment.objects.filter(post__organisation=organisation).values("person_id")
    return Person.objects.filter(Q(organisation=organisation) | Q(pk__in=held_here)).order_by(
        "name", "pk"
    )


def person_timeline(person: Person) -> list[Appointment]:
    return list(
        person.appointments.select_related("post__organisation", "on_behalf_of").order_by(
            "-start", "-pk"
        )
    )


def post_holders(post: Post) -> list[Appointment]:
    return list(
        post.appointments.select_related("person", "on_behalf_of").order_by("-start", "-pk")
    )


def people_search(query: str = "", organisation: Organisation | None = None) -> QuerySet[Person]:
    qs = Person.objects.select_related("organisation")
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(email__icontains=query))
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs.order_by("name", "pk")


def posts_search(query: str = "", category: str = "") -> QuerySet[Post]:
    qs = Post.objects.select_related("organisation")
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(organisation__name__icontains=query))
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("organisation__name", "title")


def leadership_on(date: datetime.date, categories: list[str] | None = None) -> list[Appointment]:
    """Who held the leadership posts (directors, chief executives, network officers) on `date`."""
    categories = categories or list(Post.LEADERSHIP)
    return list(
        Appointment.objects.on(date)
        .filter(post__category__in=categories)
        .with_related()
        .order_by("post__category", "post__organisation__name", "post__title", "start")
    )


def vacancies_on(date: datetime.date, categories: list[str] | None = None) -> list[Post]:
    categories = categories or list(Post.LEADERSHIP)
    held = Appointment.objects.on(date).values("post_id")
    return list(
        Post.objects.filter(category__in=categories)
        .filter(Q(abolished__isnull=True) | Q(abolished__gte=date))
        .exclude(pk__in=held)
        .select_related("organisation")
        .order_by("organisation__name", "title")
    )


@dataclass
class Changes:
    started: list[Appointment]
    ended: list[Appointment]


def changes_between(
    start: datetime.date, end: datetime.date, categories: list[str] | None = None
) -> Changes:
    """Appointments that started, and that ended, within [start, end] (both inclusive)."""
    qs = Appointment.objects.with_related()
    if categories:
        qs = qs.filter(post__category__in=categories)
    started = qs.filter(start__gte=start, start__lte=end).order_by("start", "pk")
    ended = qs.filter(end__gte=start, end__lte=end).order_by("end", "pk")
    return Changes(started=list(started), ended=list(ended))


def organisation_counts() -> dict[str, int]:
    return Organisation.objects.aggregate(
        members=Count("pk", filter=Q(is_member=True)), others=Count("pk", filter=Q(is_member=False))
    )


def recent_changes(limit: int = 10) -> list[Appointment]:
    """The latest appointments to start on or before today."""
    return list(
        Appointment.objects.filter(start__lte=today())
        .with_related()
        .order_by("-start", "-pk")[:limit]
    )
