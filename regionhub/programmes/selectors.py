"""Reads for programme pages and reports; each page's query count does not grow with the data."""

import datetime
import decimal
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.utils import timezone

from regionhub.core.permissions import coordinated_ids, is_regional_admin
from regionhub.directory.models import Organisation

from .models import Application, Cohort, CohortPlaces, Interest, Programme

HOLDING = Q(applications__status__in=Application.HOLDING)


def programmes_list() -> QuerySet[Programme]:
    """Every programme with its provider, how many cohorts are open and open interest."""
    now = timezone.now()
    return (
        Programme.objects.select_related("provider")
        .annotate(
            open_cohorts=Count("cohorts", filter=Q(cohorts__deadline__gt=now), distinct=True),
            interested=Count(
                "interests", filter=Q(interests__told_about__isnull=True), distinct=True
            ),
        )
        .order_by("title", "pk")
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


def _year_range(year: str) -> tuple[datetime.date, datetime.date]:
    start = int(year.split("-")[0])
    return datetime.date(start, 4, 1), datetime.date(start + 1, 3, 31)


def _held(year: str | None) -> QuerySet[Application]:
    held = Application.objects.filter(status__in=Application.HOLDING)
    if year:
        first, last = _year_range(year)
        held = held.filter(cohort__starts__gte=first, cohort__starts__lte=last)
    return held


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
class CohortSaving:
    year: str
    programme: str
    cohort: str
    cohort_id: int
    places: int
    saving: decimal.Decimal


@dataclass
class Savings:
    cohorts: list[CohortSaving]
    by_year: dict[str, decimal.Decimal]
    by_programme: dict[str, decimal.Decimal]
    by_authority: dict[str, decimal.Decimal]
    total: decimal.Decimal


SAVINGS_VERSION_KEY = "programmes.savings.version"


def savings_changed() -> None:
    """Retire every cached savings report. Services call it when places or prices change: at
    once, and again once the change commits, so that a report read in between is not kept."""
    cache.set(SAVINGS_VERSION_KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(SAVINGS_VERSION_KEY, uuid.uuid4().hex, None))


def savings(*, year: str | None = None) -> Savings:
    """The report, from the cache while no place or price has changed since it was made.

    At national scale the grouping reads every place held, too slow to repeat on each view of
    a report that changes only when a place does."""
    version = cache.get(SAVINGS_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(SAVINGS_VERSION_KEY, version, None)
        version = cache.get(SAVINGS_VERSION_KEY, version)
    key = f"programmes.savings:{version}:{year or 'all'}"
    report = cache.get(key)
    if report is None:
        report = savings_uncached(year=year)
        cache.set(key, report, 24 * 3600)
    return report


def savings_uncached(*, year: str | None = None) -> Savings:
    """Places taken × (direct − regional price), by cohort, financial year (April to March),
    programme and authority. Two grouped queries whose results are as long as there are
    cohorts and authorities, however many applications there are."""
    per_cohort = (
        _held(year)
        .values(
            "cohort_id",
            "cohort__name",
            "cohort__starts",
            "cohort__programme__title",
            "cohort__programme__regional_price",
            "cohort__programme__direct_price",
        )
        .annotate(n=Count("pk"))
        .order_by("cohort__starts", "cohort__programme__title", "cohort_id")
    )
    cohorts = [
        CohortSaving(
            year=financial_year(g["cohort__starts"]),
            programme=g["cohort__programme__title"],
            cohort=g["cohort__name"],
            cohort_id=g["cohort_id"],
            places=g["n"],
            saving=g["n"]
            * (g["cohort__programme__direct_price"] - g["cohort__programme__regional_price"]),
        )
        for g in per_cohort
    ]
    by_year: dict[str, decimal.Decimal] = defaultdict(decimal.Decimal)
    by_programme: dict[str, decimal.Decimal] = defaultdict(decimal.Decimal)
    for c in cohorts:
        by_year[c.year] += c.saving
        by_programme[c.programme] += c.saving
    saving = F("cohort__programme__direct_price") - F("cohort__programme__regional_price")
    per_authority = (
        _held(year)
        .values("authority__name")
        .annotate(s=Sum(saving, output_field=DecimalField(max_digits=14, decimal_places=2)))
        .order_by("authority__name")
    )
    by_authority = {
        (g["authority__name"] or "Outside the authorities"): decimal.Decimal(g["s"] or 0)
        for g in per_authority
    }
    return Savings(
        cohorts=cohorts,
        by_year=dict(sorted(by_year.items())),
        by_programme=dict(sorted(by_programme.items())),
        by_authority=by_authority,
        total=sum((c.saving for c in cohorts), decimal.Decimal(0)),
    )


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
