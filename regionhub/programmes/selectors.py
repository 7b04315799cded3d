"""Reads for programme pages and reports; each page's query count does not grow with the data."""

import datetime
import decimal
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from regionhub.core.permissions import coordinated_ids, is_regional_admin
from regionhub.directory.models import Organisation

from .models import Application, Cohort, CohortPlaces, Interest, Programme

HOLDING = Q(applications__status__in=Application.HOLDING)


def programmes_list() -> QuerySet[Programme]:
    """Every programme with its provider, how many cohorts are open and open interest."""
    now = timezone.now()
    return Programme.objects.select_related("provider").annotate(
        open_cohorts=Count("cohorts", filter=Q(cohorts__deadline__gt=now), distinct=True),
        interested=Count("interests", filter=Q(interests__told_about__isnull=True), distinct=True),
    )


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


# Savings -------------------------------------------------------------------------------------


def financial_year(day: datetime.date) -> str:
    """Councils report by financial year, April to March: '2024-25'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


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


@dataclass
class Savings:
    rows: list[SavingsRow]
    by_year: dict[str, decimal.Decimal]
    by_programme: dict[str, decimal.Decimal]
    by_authority: dict[str, decimal.Decimal]
    by_cohort: dict[str, decimal.Decimal]
    total: decimal.Decimal


def savings(*, year: str | None = None) -> Savings:
    """Places taken × (direct − regional price), per cohort × authority, with totals by year
    (financial), programme, authority and cohort. One query, grouped by the database."""
    grouped = (
        Application.objects.filter(status__in=Application.HOLDING)
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
    rows = []
    for g in grouped:
        row_year = financial_year(g["cohort__starts"])
        if year and row_year != year:
            continue
        rows.append(
            SavingsRow(
                year=row_year,
                programme=g["cohort__programme__title"],
                cohort=g["cohort__name"],
                cohort_id=g["cohort_id"],
                authority=g["authority__name"] or "Outside the authorities",
                places=g["n"],
                saving_per_place=g["cohort__programme__direct_price"]
                - g["cohort__programme__regional_price"],
            )
        )
    by: dict[str, dict[str, decimal.Decimal]] = {
        k: defaultdict(decimal.Decimal) for k in ("year", "programme", "authority", "cohort")
    }
    for row in rows:
        by["year"][row.year] += row.saving
        by["programme"][row.programme] += row.saving
        by["authority"][row.authority] += row.saving
        by["cohort"][f"{row.programme}: {row.cohort}"] += row.saving
    return Savings(
        rows=rows,
        by_year=dict(sorted(by["year"].items())),
        by_programme=dict(sorted(by["programme"].items())),
        by_authority=dict(sorted(by["authority"].items())),
        by_cohort=dict(by["cohort"]),
        total=sum((r.saving for r in rows), decimal.Decimal(0)),
    )
