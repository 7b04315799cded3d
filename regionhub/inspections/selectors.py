"""Every non-trivial read of inspections; query counts do not grow with the data.

"As at" a date means what had been published by the end of that day: an inspection counts from
its publication date, and an authority's latest graded inspection (ILACS standard or short)
replaces every earlier one. Visits in between (focused, monitoring) do not change a grade.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from regionhub.directory.models import Organisation

from .models import (
    GOOD_OR_BETTER,
    AmbitionTarget,
    Grade,
    Inspection,
    Judgement,
    JudgementArea,
    Scale,
)

SHORT_INSPECTION_YEARS = 3
WINDOW_MONTHS = 6
CHART_YEARS = 20


def add_months(date: datetime.date, months: int) -> datetime.date:
    month = date.month - 1 + months
    year = date.year + month // 12
    month = month % 12 + 1
    for day in (date.day, 30, 29, 28):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def ambition_authorities() -> QuerySet[Organisation]:
    """The authorities the ambition counts: member councils.

    Ofsted inspects the council; a trust's work is judged in its council's inspection.
    """
    return Organisation.objects.filter(is_member=True, kind=Organisation.Kind.COUNCIL).order_by(
        "name"
    )


def graded_areas() -> list[JudgementArea]:
    return list(JudgementArea.objects.filter(scale=Scale.GRADE).order_by("position"))


def ambition_target() -> AmbitionTarget | None:
    return AmbitionTarget.objects.filter(pk=1).first()


def _with_judgements(qs: QuerySet[Inspection]) -> QuerySet[Inspection]:
    return qs.select_related("framework", "authority").prefetch_related(
        Prefetch("judgements", queryset=Judgement.objects.select_related("area")),
        "framework__areas",
    )


# The regional ambition ---------------------------------------------------------------------


NOT_IN_FRAMEWORK = "not_in_framework"
NOT_JUDGED = "not_judged"


@dataclass
class Cell:
    """One authority's standing in one area: a grade, or why there is none."""

    grade: str | None = None
    status: str = NOT_JUDGED

    @property
    def good_or_better(self) -> bool:
        return self.grade in GOOD_OR_BETTER

    @property
    def label(self) -> str:
        if self.grade:
            return Grade(self.grade).label
        if self.status == NOT_IN_FRAMEWORK:
            return "Not judged under that framework"
        return "Not judged"


@dataclass
class Standing:
    authority: Organisation
    inspection: Inspection | None
    cells: list[tuple[JudgementArea, Cell]] = field(default_factory=list)

    @property
    def overall(self) -> Cell:
        return next((c for a, c in self.cells if a.code == "overall"), Cell())

    @property
    def good_overall(self) -> bool:
        return self.overall.good_or_better

    @property
    def good_everywhere(self) -> bool:
        judged = [c for _, c in self.cells if c.grade]
        return self.good_overall and all(c.good_or_better for c in judged)


@dataclass
class AreaCount:
    area: JudgementArea
    good: list[Organisation] = field(default_factory=list)
    judged: int = 0
    not_in_framework: list[Organisation] = field(default_factory=list)


@dataclass
class Ambition:
    date: datetime.date
    standings: list[Standing]
    areas: list[AreaCount]
    target: AmbitionTarget | None

    @property
    def total(self) -> int:
        return len(self.standings)

    @property
    def good(self) -> list[Standing]:
        return [s for s in self.standings if s.good_overall]

    @property
    def good_everywhere(self) -> list[Standing]:
        return [s for s in self.standings if s.good_everywhere]

    @property
    def not_inspected(self) -> list[Standing]:
        return [s for s in self.standings if s.inspection is None]

    @property
    def share(self) -> int:
        return round(100 * len(self.good) / self.total) if self.total else 0

    @property
    def wanted(self) -> int | None:
        return self.target.wanted(self.total) if self.target else None

    @property
    def met(self) -> bool:
        return self.wanted is not None and len(self.good) >= self.wanted

    @property
    def to_go(self) -> int:
        return max((self.wanted or 0) - len(self.good), 0)


def latest_graded_inspections(
    date: datetime.date, authorities: QuerySet[Organisation]
) -> dict[int, Inspection]:
    """Each authority's latest ILACS inspection published by `date`, with its judgements."""
    latest = (
        Inspection.objects.graded()
        .published_by(date)
        .filter(authority=OuterRef("pk"))
        .order_by("-published", "-start", "-pk")
        .values("pk")[:1]
    )
    ids = authorities.annotate(latest=Subquery(latest)).values_list("latest", flat=True)
    inspections = _with_judgements(Inspection.objects.filter(pk__in=[i for i in ids if i]))
    return {i.authority_id: i for i in inspections}


def _standing(authority, inspection, areas: list[JudgementArea]) -> Standing:
    standing = Standing(authority=authority, inspection=inspection)
    if inspection is None:
        standing.cells = [(a, Cell()) for a in areas]
        return standing
    in_framework = {a.pk for a in inspection.framework.areas.all()}
    grades = {j.area_id: j.grade for j in inspection.judgements.all()}
    for area in areas:
        if area.pk not in in_framework:
            standing.cells.append((area, Cell(status=NOT_IN_FRAMEWORK)))
        elif area.pk in grades:
            standing.cells.append((area, Cell(grade=grades[area.pk], status="judged")))
        else:
            standing.cells.append((area, Cell()))
    return standing


def ambition_on(date: datetime.date) -> Ambition:
    """The ambition as at the end of `date`: who is Good or better, overall and per area."""
    authorities = ambition_authorities()
    areas = graded_areas()
    latest = latest_graded_inspections(date, authorities)
    standings = [_standing(a, latest.get(a.pk), areas) for a in authorities]
    counts = []
    for n, area in enumerate(areas):
        count = AreaCount(area=area)
        for standing in standings:
            cell = standing.cells[n][1]
            if cell.grade:
                count.judged += 1
                if cell.good_or_better:
                    count.good.append(standing.authority)
            elif cell.status == NOT_IN_FRAMEWORK and standing.inspection is not None:
                count.not_in_framework.append(standing.authority)
        counts.append(count)
    return Ambition(date=date, standings=standings, areas=counts, target=ambition_target())


@dataclass
class Point:
    date: datetime.date
    good: int
    good_everywhere: int
    inspected: int


def _quarter_starts(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    month = (first.month - 1) // 3 * 3 + 1
    day = datetime.date(first.year, month, 1)
    dates = []
    while day < last:
        dates.append(day)
        month = day.month + 3
        day = datetime.date(day.year + (month > 12), (month - 1) % 12 + 1, 1)
    dates.append(last)
    return dates


def ambition_series(date: datetime.date, years: int = CHART_YEARS) -> list[Point]:
    """Good or better overall (and in every area) at each quarter's start up to `date`.

    One query: every graded, published inspection of an ambition authority with its overall
    grade and how many of its graded judgements fall below Good, swept in publication order.
    """
    overall = Judgement.objects.filter(inspection=OuterRef("pk"), area__code="overall").values(
        "grade"
    )[:1]
    rows = list(
        Inspection.objects.graded()
        .published_by(date)
        .filter(authority__in=ambition_authorities())
        .annotate(
            overall=Subquery(overall),
            below_good=Count(
                "judgements",
                filter=Q(judgements__area__scale=Scale.GRADE)
                & ~Q(judgements__grade__in=list(GOOD_OR_BETTER)),
            ),
        )
        .order_by("published", "start", "pk")
        .values_list("authority_id", "published", "overall", "below_good")
    )
    if not rows:
        return []
    first = max(rows[0][1], add_months(date, -12 * years))
    points = []
    state: dict[int, tuple[bool, bool]] = {}
    i = 0
    for day in _quarter_starts(first, date):
        while i < len(rows) and rows[i][1] <= day:
            authority_id, _, grade, below = rows[i]
            good = grade in GOOD_OR_BETTER
            state[authority_id] = (good, good and below == 0)
            i += 1
        points.append(
            Point(
                date=day,
                good=sum(1 for g, _ in state.values() if g),
                good_everywhere=sum(1 for _, e in state.values() if e),
                inspected=len(state),
            )
        )
    return points


# One authority -------------------------------------------------------------------------------


def authority_inspections(authority: Organisation) -> list[Inspection]:
    return list(_with_judgements(authority.inspections.all()).order_by("-start", "-pk"))


def authority_standing(authority: Organisation, date: datetime.date) -> Standing:
    inspection = latest_graded_inspections(date, Organisation.objects.filter(pk=authority.pk)).get(
        authority.pk
    )
    return _standing(authority, inspection, graded_areas())


@dataclass
class NextInspection:
    basis: Inspection | None
    kind: str
    earliest: datetime.date | None = None
    latest: datetime.date | None = None
    explanation: str = ""


def next_ilacs_window(standing: Standing) -> NextInspection:
    """When the authority's next ILACS inspection is likely, from its latest graded one.

    Good or Outstanding: a short inspection within six months either side of the three-year
    anniversary of the last day on site of that inspection.
    """
    inspection = standing.inspection
    if inspection is None:
        return NextInspection(None, "unknown", explanation="No ILACS inspection is recorded.")
    grade = standing.overall.grade
    anniversary = add_months(inspection.end, 12 * SHORT_INSPECTION_YEARS)
    if grade in GOOD_OR_BETTER:
        return NextInspection(
            inspection,
            "short",
            earliest=add_months(anniversary, -WINDOW_MONTHS),
            latest=add_months(anniversary, WINDOW_MONTHS),
            explanation="A short inspection, within six months either side of the three-year "
            "anniversary of the last one.",
        )
    if grade == Grade.REQUIRES_IMPROVEMENT:
        return NextInspection(
            inspection,
            "standard",
            latest=anniversary,
            explanation="A standard inspection, usually within three years of the last one.",
        )
    if grade == Grade.INADEQUATE:
        return NextInspection(
            inspection,
            "monitoring",
            explanation="Monitoring visits, then a standard inspection once Ofsted judges the "
            "authority ready.",
        )
    return NextInspection(
        inspection, "unknown", explanation="The last inspection has no overall grade."
    )


# For the Regional Update ---------------------------------------------------------------------


def inspection_summary(inspection: Inspection) -> str:
    """One line for the Regional Update, e.g. 'Birmingham: Good in every judgement'."""
    name = inspection.authority.short_name or inspection.authority.name
    judgements = list(inspection.judgements.all())
    graded = [j for j in judgements if j.area.scale == Scale.GRADE]
    if graded:
        grades = {j.grade for j in graded}
        if len(grades) == 1:
            text = f"{Grade(grades.pop()).label} in every judgement"
        else:
            text = "; ".join(f"{j.area.short_name} {j.get_grade_display()}" for j in graded)
    elif judgements:
        text = judgements[0].get_grade_display()
    else:
        text = inspection.get_type_display()
        if inspection.theme:
            text += f" ({inspection.theme})"
        return f"{name}: {text}"
    return f"{name}: {inspection.get_type_display()}, {text}"


def inspections_published_between(start: datetime.date, end: datetime.date) -> list[Inspection]:
    """Inspections of member authorities published from `start` to `end`, both included."""
    return list(
        _with_judgements(
            Inspection.objects.filter(
                published__gte=start, published__lte=end, authority__is_member=True
            )
        ).order_by("published", "authority__name", "pk")
    )
