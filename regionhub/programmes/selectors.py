"""Reads for programme pages and reports; each page's query count does not grow with the data.

Pages whose tables are the same for every reader (the programme list, the places on a cohort, the
savings report) get them from the fragment cache (`{% datacache %}`) until the programmes data
or the directory changes; the objects here compute their rows on first use, so a cached table
costs no query at all. `cache_parts()` lists what such a table depends on besides the data.
"""

import datetime
import decimal
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.urls import reverse
from django.utils import timezone

from regionhub.core.pagecache import data_version
from regionhub.core.permissions import coordinated_ids, is_regional_admin
from regionhub.directory.models import Organisation, Person
from regionhub.directory.people_search import PEOPLE_SHOWN, PeopleFound, people_found

from .apps import NAMESPACE
from .models import (
    Application,
    AwardNomination,
    AwardRound,
    Cohort,
    CohortPlaces,
    Interest,
    Programme,
)

HOLDING = Q(applications__status__in=Application.HOLDING)


def directory_version() -> str:
    """Cached programme tables name organisations, so they follow the directory's changes too."""
    return data_version("directory")


def _page_number(raw) -> int:
    try:
        return max(int(raw or 1), 1)
    except (TypeError, ValueError):
        return 1


# The programme list --------------------------------------------------------------------------


class ProgrammeListing:
    """One page of the programme list, optionally searched or narrowed to programmes taking
    applications. Nothing is read until the table is rendered."""

    PER_PAGE = 25

    def __init__(self, *, q: str = "", open_only: bool = False, page=1):
        self.q = q.strip()
        self.open_only = open_only
        self.page_number = _page_number(page)
        self.now = timezone.now()

    def queryset(self) -> QuerySet[Programme]:
        open_cohort = Cohort.objects.filter(programme=OuterRef("pk"), deadline__gt=self.now)
        waiting = (
            Interest.objects.filter(programme=OuterRef("pk"), told_about__isnull=True)
            .order_by()
            .values("programme")
            .annotate(n=Count("pk"))
            .values("n")
        )
        qs = Programme.objects.select_related("provider").annotate(
            open_cohorts=Exists(open_cohort),
            interested=Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0)),
        )
        if self.q:
            qs = qs.filter(
                Q(title__icontains=self.q)
                | Q(provider__name__icontains=self.q)
                | Q(audience__icontains=self.q)
            )
        if self.open_only:
            qs = qs.filter(Exists(open_cohort))
        return qs.order_by("title", "pk")

    @cached_property
    def page(self) -> Page:
        return Paginator(self.queryset(), self.PER_PAGE).get_page(self.page_number)

    def next_deadline(self) -> datetime.datetime | None:
        """The next moment a cohort closes: until then, the 'open now' column stays true.

        Kept in the cache beside the programmes data version while it is still ahead: no
        deadline can move without a save, which replaces the version."""
        key = None
        if getattr(settings, "PAGE_CACHE", False):
            key = f"programmes:next-deadline:{data_version(NAMESPACE)}"
            kept = cache.get(key)
            if kept is not None and (kept == "none" or kept > self.now):
                return None if kept == "none" else kept
        found = (
            Cohort.objects.filter(deadline__gt=self.now)
            .order_by("deadline")
            .values_list("deadline", flat=True)
            .first()
        )
        if key is not None:
            cache.set(key, found or "none", 24 * 3600)
        return found

    def cache_parts(self) -> list:
        return [
            directory_version(),
            self.q,
            self.open_only,
            self.page_number,
            self.next_deadline(),
        ]


def cohorts_of(programme: Programme) -> QuerySet[Cohort]:
    return programme.cohorts.annotate(taken=Count("applications", filter=HOLDING)).order_by(
        "-starts", "pk"
    )


def open_cohorts(programme: Programme) -> list[Cohort]:
    now = timezone.now()
    return [c for c in cohorts_of(programme) if c.deadline > now]


@dataclass
class AuthorityPlaces:
    authority_id: int
    name: str
    share: int | None
    taken: int


@dataclass
class CohortPlacesSummary:
    places: int
    taken: int
    waiting: int
    authorities: list[AuthorityPlaces] = field(default_factory=list)

    @property
    def left(self) -> int:
        return max(self.places - self.taken, 0)


def cohort_places(cohort: Cohort) -> CohortPlacesSummary:
    """Taken and shared places, per authority that has a share or holds a place (2 queries)."""
    rows = (
        cohort.applications.filter(status__in=[*Application.HOLDING, Application.Status.WAITLISTED])
        .values("authority_id", "status")
        .annotate(n=Count("pk"))
    )
    taken: dict[int | None, int] = defaultdict(int)
    waiting = 0
    for row in rows:
        if row["status"] == Application.Status.WAITLISTED:
            waiting += row["n"]
        else:
            taken[row["authority_id"]] += row["n"]
    shares = {
        p.authority_id: p
        for p in CohortPlaces.objects.filter(cohort=cohort).select_related("authority")
    }
    names = {pk: p.authority.short_name or p.authority.name for pk, p in shares.items()}
    missing = [pk for pk in taken if pk is not None and pk not in names]
    if missing:
        for org in Organisation.objects.filter(pk__in=missing).only("name", "short_name"):
            names[org.pk] = org.short_name or org.name
    authorities = [
        AuthorityPlaces(
            pk,
            names[pk],
            shares[pk].places if pk in shares else None,
            taken.get(pk, 0),
        )
        for pk in sorted(names, key=lambda k: names[k])
    ]
    return CohortPlacesSummary(cohort.places, sum(taken.values()), waiting, authorities)


def applications_visible_to(user, cohort: Cohort) -> QuerySet[Application]:
    """Admins see every application; coordinators those of their authorities; a member their
    own. Anyone else sees none."""
    queryset = cohort.applications.select_related("person", "authority").order_by(
        "authority__name", "created", "pk"
    )
    if is_regional_admin(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    condition = Q(authority_id__in=coordinated_ids(user))
    if user.person_id:
        condition |= Q(person_id=user.person_id)
    return queryset.filter(condition)


@dataclass
class ApplicationAction:
    url: str
    label: str
    style: str = "secondary"


@dataclass
class ApplicationRow:
    application: Application
    actions: list[ApplicationAction]


class CohortApplications:
    """One page of the applications a reader may see on a cohort, optionally narrowed to a
    status or searched by person or authority, each with the steps the reader may take."""

    PER_PAGE = 25

    def __init__(
        self,
        user,
        cohort: Cohort,
        *,
        status: str = "",
        q: str = "",
        page=1,
        directory: str | None = None,
    ):
        self.user, self.cohort = user, cohort
        self.status = status if status in Application.Status.values else ""
        self.q = q.strip()
        self.page_number = _page_number(page)
        self.directory = directory

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.q)

    def cache_parts(self) -> list:
        """Whose view this is: every regional admin sees the same table; anyone else sees the
        applications of the authorities they coordinate and their own."""
        if is_regional_admin(self.user):
            viewer = "admin"
        elif self.user.is_authenticated:
            viewer = f"{sorted(coordinated_ids(self.user))}:{self.user.person_id}"
        else:
            viewer = "anonymous"
        return [
            self.directory or directory_version(),
            self.cohort.pk,
            viewer,
            self.status,
            self.q,
            self.page_number,
        ]

    @cached_property
    def page(self) -> Page:
        # People are read for the page's rows only: joining them before the sort would read
        # the whole directory to order a thousand applications.
        qs = (
            applications_visible_to(self.user, self.cohort)
            .select_related(None)
            .select_related("authority")
            .prefetch_related("person")
        )
        if self.status:
            qs = qs.filter(status=self.status)
        if self.q:
            qs = qs.filter(
                Q(person__name__icontains=self.q)
                | Q(authority__name__icontains=self.q)
                | Q(authority__short_name__icontains=self.q)
            )
        return Paginator(qs, self.PER_PAGE).get_page(self.page_number)

    @cached_property
    def rows(self) -> list[ApplicationRow]:
        admin = is_regional_admin(self.user)
        managed = coordinated_ids(self.user)
        return [
            ApplicationRow(a, self._actions(a, admin, admin or a.authority_id in managed))
            for a in self.page.object_list
        ]

    @staticmethod
    def _actions(a: Application, admin: bool, manages: bool) -> list[ApplicationAction]:
        if not manages:
            return []
        S = Application.Status
        steps = []
        if a.status == S.APPLIED:
            steps.append(("endorse", "Endorse", "secondary"))
        if admin and a.status == S.ENDORSED:
            steps.append(("confirm", "Confirm place", "secondary"))
        if admin and a.status in (S.APPLIED, S.WAITLISTED, S.ENDORSED):
            steps.append(("refuse", "Not selected", "secondary"))
        if a.status not in Application.CLOSED:
            steps.append(("withdraw", "Withdraw", "warning"))
        return [
            ApplicationAction(
                reverse("programmes:application-action", args=[a.pk, action]), label, style
            )
            for action, label, style in steps
        ]


def my_application(user, cohort: Cohort) -> Application | None:
    if not (user.is_authenticated and user.person_id):
        return None
    return cohort.applications.filter(person_id=user.person_id).first()


# Demand --------------------------------------------------------------------------------------


@dataclass
class Demand:
    roles: list[tuple[str, str]]
    rows: list[tuple[str, list[int], int]]
    totals: list[int]
    total: int


def demand_for(programme: Programme) -> Demand:
    """Open interest (not yet told about a cohort) by authority and role, in one query."""
    counts = (
        Interest.objects.filter(programme=programme, told_about__isnull=True)
        .values("authority__name", "authority__short_name", "role")
        .annotate(n=Count("pk"))
    )
    roles = list(Interest.Role.choices)
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for row in counts:
        name = row["authority__short_name"] or row["authority__name"] or "Outside the authorities"
        table[name][row["role"]] = row["n"]
    rows = []
    for name in sorted(table):
        values = [table[name].get(code, 0) for code, _ in roles]
        rows.append((name, values, sum(values)))
    totals = [sum(r[1][i] for r in rows) for i in range(len(roles))]
    return Demand(roles, rows, totals, sum(totals))


def interested_people(programme: Programme) -> QuerySet[Interest]:
    return (
        Interest.objects.filter(programme=programme, told_about__isnull=True)
        .select_related("person", "authority")
        .order_by("authority__name", "created")
    )


# Choosing whom to nominate -------------------------------------------------------------------

NOMINEES_SHOWN = PEOPLE_SHOWN


def nominees_for(user) -> QuerySet[Person]:
    """Whom a user may nominate: anyone at a member authority for a regional admin, the people
    of the authorities they coordinate for a coordinator, nobody otherwise."""
    if is_regional_admin(user):
        return Person.objects.filter(organisation__is_member=True)
    return Person.objects.filter(organisation_id__in=coordinated_ids(user))


def nominee_search(
    user, cohort: Cohort, q: str = "", *, keep: int | None = None, limit: int = NOMINEES_SHOWN
) -> PeopleFound:
    """The first `limit` people the user may nominate whose name or email contains `q`, by name,
    each with `applied` set when they already have an application on the cohort; `more` says
    that others match too. `keep` is a person already chosen (on a form sent back with an
    error), kept in the list whatever the search."""
    people = (
        nominees_for(user)
        .select_related("organisation")
        .annotate(applied=Exists(Application.objects.filter(cohort=cohort, person=OuterRef("pk"))))
    )
    return people_found(people, q, keep=keep, limit=limit)


# Savings -------------------------------------------------------------------------------------


def financial_year(day: datetime.date) -> str:
    """Councils report by financial year, April to March: '2024-25'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _year_label(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def _year_range(year: str) -> tuple[datetime.date, datetime.date]:
    start = int(year.split("-")[0])
    return datetime.date(start, 4, 1), datetime.date(start + 1, 3, 31)


def _held(year: str | None = None, programme_id: int | None = None) -> QuerySet[Application]:
    held = Application.objects.filter(status__in=Application.HOLDING)
    if year:
        first, last = _year_range(year)
        held = held.filter(cohort__starts__gte=first, cohort__starts__lte=last)
    if programme_id is not None:
        held = held.filter(cohort__programme_id=programme_id)
    return held


SAVING = Sum(
    F("cohort__programme__direct_price") - F("cohort__programme__regional_price"),
    output_field=DecimalField(max_digits=14, decimal_places=2),
)
# The financial year a cohort's places count in, by its start date (April to March).
YEAR_START = Case(
    When(cohort__starts__month__gte=4, then=ExtractYear("cohort__starts")),
    default=ExtractYear("cohort__starts") - 1,
    output_field=IntegerField(),
)


@dataclass
class SavingsLine:
    """Places held and money saved for one year, programme, cohort or authority."""

    label: str
    places: int
    saving: decimal.Decimal
    key: str | int | None = None
    detail: str = ""


def _line(label: str, row: Mapping[str, Any], key=None, detail: str = "") -> SavingsLine:
    return SavingsLine(label, row["places"], decimal.Decimal(row["saving"] or 0), key, detail)


class SavingsReport:
    """The savings report, summed in the database and read on first use: the total and each
    financial year; for the chosen year (or all years), each programme (a page at a time) and
    each authority; for a chosen programme, each of its cohorts. However many applications
    there are, each part is one grouped query whose rows are as many as there are years,
    programmes on the page, authorities or cohorts of one programme."""

    PROGRAMMES_PER_PAGE = 25
    COHORTS_PER_PAGE = 50

    def __init__(self, *, year: str | None = None, programme: Programme | None = None, page=1):
        self.year = year
        self.programme = programme
        self.page_number = _page_number(page)

    def cache_parts(self) -> list:
        return [
            directory_version(),
            self.year,
            self.programme.pk if self.programme else None,
            self.page_number,
        ]

    @cached_property
    def by_year(self) -> list[SavingsLine]:
        """Every financial year, whatever is chosen: the report's navigation."""
        rows = (
            _held(programme_id=self.programme.pk if self.programme else None)
            .annotate(fy=YEAR_START)
            .values("fy")
            .annotate(places=Count("pk"), saving=SAVING)
            .order_by("fy")
        )
        return [_line(_year_label(r["fy"]), r, key=_year_label(r["fy"])) for r in rows]

    @cached_property
    def total(self) -> SavingsLine:
        lines = [y for y in self.by_year if not self.year or y.key == self.year]
        return SavingsLine(
            "Total",
            sum(y.places for y in lines),
            sum((y.saving for y in lines), decimal.Decimal(0)),
        )

    @cached_property
    def programmes(self) -> Page:
        rows = (
            _held(self.year)
            .values("cohort__programme_id", "cohort__programme__title")
            .annotate(places=Count("pk"), saving=SAVING)
            .order_by("-saving", "cohort__programme__title", "cohort__programme_id")
        )
        page = Paginator(rows, self.PROGRAMMES_PER_PAGE).get_page(self.page_number)
        lines = [
            _line(r["cohort__programme__title"], r, key=r["cohort__programme_id"])
            for r in page.object_list
        ]
        return Page(lines, page.number, page.paginator)

    @cached_property
    def by_authority(self) -> list[SavingsLine]:
        rows = (
            _held(self.year, self.programme.pk if self.programme else None)
            .values("authority_id", "authority__name")
            .annotate(places=Count("pk"), saving=SAVING)
            .order_by("authority__name", "authority_id")
        )
        return [
            _line(r["authority__name"] or "Outside the authorities", r, key=r["authority_id"])
            for r in rows
        ]

    @cached_property
    def cohorts(self) -> Page:
        """The chosen programme's cohorts (in the chosen year)."""
        assert self.programme is not None
        rows = (
            _held(self.year, self.programme.pk)
            .values("cohort_id", "cohort__name", "cohort__starts")
            .annotate(places=Count("pk"), saving=SAVING)
            .order_by("-cohort__starts", "cohort_id")
        )
        page = Paginator(rows, self.COHORTS_PER_PAGE).get_page(self.page_number)
        lines = [
            _line(
                r["cohort__name"],
                r,
                key=r["cohort_id"],
                detail=financial_year(r["cohort__starts"]),
            )
            for r in page.object_list
        ]
        return Page(lines, page.number, page.paginator)


@dataclass
class SavingsRow:
    year: str
    programme: str
    cohort: str
    cohort_id: int
    authority: str
    places: int
    saving_per_place: decimal.Decimal

    @property
    def saving(self) -> decimal.Decimal:
        return self.places * self.saving_per_place


def savings_rows(*, year: str | None = None) -> list[SavingsRow]:
    """The export's detail: one row per cohort and authority."""
    grouped = (
        _held(year)
        .values(
            "cohort_id",
            "cohort__name",
            "cohort__starts",
            "cohort__programme__title",
            "cohort__programme__regional_price",
            "cohort__programme__direct_price",
            "authority__name",
        )
        .annotate(n=Count("pk"))
        .order_by("cohort__starts", "cohort__programme__title", "cohort_id", "authority__name")
    )
    return [
        SavingsRow(
            year=financial_year(g["cohort__starts"]),
            programme=g["cohort__programme__title"],
            cohort=g["cohort__name"],
            cohort_id=g["cohort_id"],
            authority=g["authority__name"] or "Outside the authorities",
            places=g["n"],
            saving_per_place=g["cohort__programme__direct_price"]
            - g["cohort__programme__regional_price"],
        )
        for g in grouped
    ]


# Team Excellence Awards at their ceremony ----------------------------------------------------


@dataclass
class EventAwards:
    """One year's awards as the ceremony event shows them."""

    year: int
    winners: list[AwardNomination]
    shortlisted: list[AwardNomination]
    url: str

    @property
    def announced(self) -> bool:
        return bool(self.winners or self.shortlisted)


def awards_for_event(event_id: int) -> list[EventAwards]:
    """The award years presented at this event, each with its winners and shortlist (never the
    other nominations, which stay with the Regional Team). Two queries, one when no award year
    names the event."""
    years = list(
        AwardRound.objects.filter(ceremony_id=event_id)
        .order_by("-year")
        .values_list("year", flat=True)
    )
    if not years:
        return []
    shown = (
        AwardNomination.objects.filter(
            year__in=years,
            status__in=[AwardNomination.Status.WINNER, AwardNomination.Status.SHORTLISTED],
        )
        .select_related("authority")
        .order_by("authority__name", "pk")
    )
    by_year: dict[int, list[AwardNomination]] = defaultdict(list)
    for nomination in shown:
        by_year[nomination.year].append(nomination)
    url = reverse("programmes:award-list")
    return [
        EventAwards(
            year=year,
            winners=[n for n in by_year[year] if n.status == AwardNomination.Status.WINNER],
            shortlisted=[
                n for n in by_year[year] if n.status == AwardNomination.Status.SHORTLISTED
            ],
            url=f"{url}?year={year}",
        )
        for year in years
    ]
