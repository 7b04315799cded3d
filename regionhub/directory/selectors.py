"""Every non-trivial read of the directory; query counts do not grow with the data."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

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


def posts_with_holders_list(posts: list[Post], on: datetime.date | None = None) -> list[PostView]:
    """Posts with their current, past and future holders in one query."""
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


@dataclass
class PostSummary:
    """A post with today's holders, those appointed next, and only the latest past holder."""

    post: Post
    current: list[Appointment] = field(default_factory=list)
    future: list[Appointment] = field(default_factory=list)
    last_past: Appointment | None = None
    past_count: int = 0


def organisation_posts(
    organisation: Organisation, on: datetime.date | None = None
) -> list[PostSummary]:
    """An organisation's posts for its page, in two queries however long their histories are."""
    on = on or today()
    latest_past = Appointment.objects.filter(post=OuterRef("pk"), end__lt=on).order_by(
        "-end", "-pk"
    )
    # Correlated subqueries use the (post, end) index per post; a join with COUNT would scan
    # every appointment in the country.
    past_count = (
        Appointment.objects.filter(post=OuterRef("pk"), end__lt=on)
        .order_by()
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    posts = list(
        organisation.posts.annotate(
            past_count=Coalesce(Subquery(past_count), 0),
            last_past_id=Subquery(latest_past.values("pk")[:1]),
        ).order_by("title")
    )
    summaries = {p.pk: PostSummary(post=p, past_count=p.past_count) for p in posts}
    last_ids = [p.last_past_id for p in posts if p.last_past_id]
    appointments = (
        Appointment.objects.filter(
            Q(post__in=list(summaries), end__isnull=True)
            | Q(post__in=list(summaries), end__gte=on)
            | Q(pk__in=last_ids)
        )
        .select_related("person")
        .order_by("start", "pk")
    )
    for a in appointments:
        summary = summaries[a.post_id]
        if a.end is not None and a.end < on:
            summary.last_past = a
        elif a.start > on:
            summary.future.append(a)
        else:
            summary.current.append(a)
    return list(summaries.values())


def organisation_deliveries(organisation: Organisation) -> list[Delivery]:
    return list(
        Delivery.objects.filter(Q(provider=organisation) | Q(authority=organisation))
        .select_related("provider", "authority")
        .order_by("start")
    )


def organisation_people(organisation: Organisation) -> QuerySet[Person]:
    """People whose record this organisation keeps (those who only held one of its posts show
    in the posts table instead, which keeps this list on one index)."""
    return Person.objects.filter(organisation=organisation).order_by("name", "pk")


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
