"""Every non-trivial read for networks, each in a fixed number of queries.

The engagement tracker is aggregated in SQL: one query counts each group's meetings, one counts
each group × authority's attendance, with the seniority of whoever came derived from their
appointments on the meeting's date inside that same query.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from regionhub.directory.models import Appointment, Organisation, Person, Post

from .models import (
    SENIORITY_BY_CATEGORY,
    Action,
    Attendance,
    Decision,
    Group,
    GroupAuthority,
    Meeting,
    Seniority,
    seniority_of,
)

# Periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # "quarter", "year" (April to March, as councils budget) or "custom"
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"Financial year {self.start.year}/{str(self.end.year)[2:]}"
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"

    def previous(self) -> "Period":
        if self.kind == "quarter":
            return quarter_containing(self.start - datetime.timedelta(days=1))
        if self.kind == "year":
            return year_containing(self.start - datetime.timedelta(days=1))
        length = self.end - self.start
        end = self.start - datetime.timedelta(days=1)
        return Period("custom", end - length, end)


def quarter_containing(date: datetime.date) -> Period:
    first_month = 3 * ((date.month - 1) // 3) + 1
    start = datetime.date(date.year, first_month, 1)
    next_start = (
        datetime.date(date.year + 1, 1, 1)
        if first_month == 10
        else datetime.date(date.year, first_month + 3, 1)
    )
    return Period("quarter", start, next_start - datetime.timedelta(days=1))


def year_containing(date: datetime.date) -> Period:
    year = date.year if date.month >= 4 else date.year - 1
    return Period("year", datetime.date(year, 4, 1), datetime.date(year + 1, 3, 31))


def period_for(
    kind: str,
    on: datetime.date,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Period:
    if kind == "custom" and start and end:
        return Period("custom", start, end)
    if kind == "year":
        return year_containing(on)
    return quarter_containing(on)


# Seniority in SQL ----------------------------------------------------------------------------

SENIORITY_CASE = Case(
    *[When(post__category=c, then=Value(int(r))) for c, r in SENIORITY_BY_CATEGORY.items()],
    default=Value(int(Seniority.OTHER)),
    output_field=IntegerField(),
)


def _seniority_on_meeting_date() -> Subquery:
    """The most senior post the attendance's person held on its meeting's date (or NULL)."""
    held = (
        Appointment.objects.filter(person=OuterRef("person"), start__lte=OuterRef("meeting__date"))
        .filter(Q(end__isnull=True) | Q(end__gte=OuterRef("meeting__date")))
        .annotate(rank=SENIORITY_CASE)
        .order_by("-rank")
        .values("rank")[:1]
    )
    return Subquery(held, output_field=IntegerField())


def _expected_seniority() -> Subquery:
    # No ordering: (group, authority) is unique, and the model's ordering would join the
    # authority for every attendance row.
    expected = (
        GroupAuthority.objects.filter(
            group=OuterRef("meeting__group"), authority=OuterRef("authority")
        )
        .order_by()
        .values("expected")[:1]
    )
    return Subquery(expected, output_field=IntegerField())


# Groups --------------------------------------------------------------------------------------


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated count: evaluated only for the rows a page shows, unlike a join and GROUP BY
    over every group's meetings."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def groups_list() -> QuerySet[Group]:
    """Every group by name, each with its member authorities and meetings counted and the date
    it last met; page it: the counts are worked out only for the rows fetched."""
    meetings = Meeting.objects.filter(group=OuterRef("pk"))
    last = meetings.order_by("-date").values("date")[:1]
    return (
        Group.objects.select_related("parent")
        .annotate(
            authority_count=_count(GroupAuthority.objects.filter(group=OuterRef("pk"))),
            meeting_count=_count(meetings),
            last_meeting=Subquery(last),
        )
        .order_by("name")
    )


def group_authorities(group: Group) -> list[GroupAuthority]:
    return list(group.authorities.select_related("authority").order_by("authority__name"))


@dataclass
class GroupMemory:
    """What a new chair needs on day one."""

    chairs: list[Appointment]
    sponsors: list[Appointment]
    decisions: list[Decision]
    open_actions: list[Action]
    meetings: list[Meeting]
    authorities: list[GroupAuthority]
    members: list[Person]
    children: list[Group]


def group_memory(group: Group) -> GroupMemory:
    post_ids = [pk for pk in (group.chair_post_id, group.sponsor_post_id) if pk]
    holders = list(
        Appointment.objects.filter(post_id__in=post_ids)
        .select_related("person", "on_behalf_of")
        .order_by("start", "pk")
    )
    return GroupMemory(
        chairs=[a for a in holders if a.post_id == group.chair_post_id],
        sponsors=[a for a in holders if a.post_id == group.sponsor_post_id],
        decisions=list(
            Decision.objects.filter(meeting__group=group)
            .select_related("meeting")
            .order_by("meeting__date", "pk")
        ),
        open_actions=list(
            Action.objects.filter(meeting__group=group, status=Action.Status.OPEN)
            .select_related("owner", "meeting")
            .order_by("due", "pk")
        ),
        meetings=list(
            group.meetings.annotate(
                attended=Count("attendances", filter=Q(attendances__status__in=Attendance.ATTENDED))
            ).order_by("-date")
        ),
        authorities=group_authorities(group),
        members=list(group.members.select_related("organisation").order_by("name")),
        children=list(group.children.order_by("name")),
    )


# Meetings and attendance ---------------------------------------------------------------------


def meeting_for_page(pk: int) -> Meeting:
    return Meeting.objects.select_related("group").get(pk=pk)


def posts_held_on(people: dict[int, int], date: datetime.date) -> dict[int, Appointment]:
    """For each person id (mapped to the authority they represent), the post they held on `date`.

    The post at that authority (or held on its behalf) wins; among those, the most senior.
    """
    if not people:
        return {}
    appointments = (
        Appointment.objects.on(date)
        .filter(person_id__in=list(people))
        .select_related("post__organisation")
    )
    best: dict[int, tuple[tuple[bool, int], Appointment]] = {}
    for appointment in appointments:
        authority_id = people[appointment.person_id]
        at_authority = authority_id in (
            appointment.post.organisation_id,
            appointment.on_behalf_of_id,
        )
        score = (at_authority, seniority_of(appointment.post.category))
        current = best.get(appointment.person_id)
        if current is None or score > current[0]:
            best[appointment.person_id] = (score, appointment)
    return {pk: appointment for pk, (_, appointment) in best.items()}


@dataclass
class AttendanceRow:
    membership: GroupAuthority
    attendance: Attendance | None
    appointment: Appointment | None  # the post held on the meeting's date, derived

    @property
    def authority(self) -> Organisation:
        return self.membership.authority

    @property
    def seniority(self) -> int | None:
        if self.appointment is None:
            return None
        return seniority_of(self.appointment.post.category)

    @property
    def senior_enough(self) -> bool:
        return (
            self.attendance is not None
            and self.attendance.status in Attendance.ATTENDED
            and self.seniority is not None
            and self.seniority >= self.membership.expected
        )


def meeting_attendance(meeting: Meeting) -> list[AttendanceRow]:
    """One row per member authority of the meeting's group, recorded or not (three queries)."""
    memberships = group_authorities(meeting.group)
    recorded = {a.authority_id: a for a in meeting.attendances.select_related("person").order_by()}
    people = {a.person_id: a.authority_id for a in recorded.values() if a.person_id}
    held = posts_held_on(people, meeting.date)
    rows = []
    for membership in memberships:
        attendance = recorded.get(membership.authority_id)
        appointment = (
            held.get(attendance.person_id) if attendance and attendance.person_id else None
        )
        rows.append(AttendanceRow(membership, attendance, appointment))
    return rows


def meeting_decisions(meeting: Meeting) -> list[Decision]:
    return list(meeting.decisions.order_by("pk"))


def meeting_actions(meeting: Meeting) -> list[Action]:
    return list(meeting.actions.select_related("owner").order_by("due", "pk"))


def people_for_authority(authority: Organisation) -> QuerySet[Person]:
    return Person.objects.filter(organisation=authority).order_by("name")


def overdue_actions(on: datetime.date) -> QuerySet[Action]:
    """Open actions due before `on`, longest overdue first."""
    return (
        Action.objects.overdue(on).select_related("owner", "meeting__group").order_by("due", "pk")
    )


# Engagement ----------------------------------------------------------------------------------


@dataclass
class EngagementCell:
    group_id: int
    authority_id: int
    expected: int
    held: int = 0
    attended: int = 0
    senior: int = 0
    apologies: int = 0
    previous_held: int = 0
    previous_attended: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    @property
    def attended_rate(self) -> int | None:
        return self._rate(self.attended, self.held)

    @property
    def senior_rate(self) -> int | None:
        return self._rate(self.senior, self.held)

    @property
    def previous_rate(self) -> int | None:
        return self._rate(self.previous_attended, self.previous_held)

    @property
    def expected_label(self) -> str:
        return Seniority(self.expected).label

    @property
    def trend(self) -> str:
        """'up', 'down', 'same' or '' when either period had no meetings."""
        now, before = self.attended_rate, self.previous_rate
        if now is None or before is None:
            return ""
        if now > before:
            return "up"
        if now < before:
            return "down"
        return "same"

    @property
    def rag(self) -> str:
        """green: the right person at three in four meetings or more; red: under half."""
        rate = self.senior_rate
        if rate is None:
            return "none"
        if rate >= 75:
            return "green"
        if rate >= 50:
            return "amber"
        return "red"

    # What a cell shows, worked out here rather than in template conditions: a regional table
    # has hundreds of cells.

    @property
    def tag_colour(self) -> str:
        return TAG_COLOURS[self.rag]

    @property
    def headline(self) -> str:
        return f"{self.senior} of {self.held}" if self.held else "No meetings"

    @property
    def detail(self) -> str:
        if not self.held:
            return ""
        parts = [f"attended {self.attended}"]
        if self.apologies:
            parts.append(f"apologies {self.apologies}")
        if self.trend:
            parts.append(self.trend)
        return ", ".join(parts)


TAG_COLOURS = {"green": "green", "amber": "yellow", "red": "red", "none": "grey"}


@dataclass
class EngagementTable:
    period: Period
    previous: Period
    groups: list[Group]
    authorities: list[Organisation]
    cells: dict[tuple[int, int], EngagementCell] = field(default_factory=dict)

    def cell(self, group_id: int, authority_id: int) -> EngagementCell | None:
        return self.cells.get((group_id, authority_id))

    def by_authority(
        self, groups: list[Group] | None = None
    ) -> list[tuple[Organisation, list[tuple[Group, EngagementCell | None]]]]:
        """One row per authority with a cell per group: every group, or only `groups` (a page
        of columns)."""
        columns = self.groups if groups is None else list(groups)
        return [(a, [(g, self.cells.get((g.pk, a.pk))) for g in columns]) for a in self.authorities]

    def rows_for(self, authority: Organisation) -> list[tuple[Group, EngagementCell]]:
        return [
            (g, c) for g in self.groups if (c := self.cells.get((g.pk, authority.pk))) is not None
        ]


def engagement(
    period: Period,
    *,
    today: datetime.date,
    authority: Organisation | None = None,
    groups: list[int] | None = None,
    columns: list[Group] | None = None,
) -> EngagementTable:
    """Engagement per group × member authority in `period`, and the trend from the one before.

    Meetings after `today` have not been held and are not counted. At most five queries,
    whatever the number of groups, authorities, meetings or attendance rows. `columns` (the
    groups of an engagement scope, in order) also sets the table's groups and their order,
    keeping a group that has no member authorities yet.
    """
    if columns is not None:
        groups = [g.pk for g in columns]
    previous = period.previous()
    end = min(period.end, today)
    # Memberships as plain tuples, and each group and authority fetched once: at national scale
    # an authority belongs to hundreds of groups and a network's page has hundreds of cells.
    memberships = GroupAuthority.objects.order_by()
    if authority is not None:
        memberships = memberships.filter(authority=authority)
    if groups is not None:
        memberships = memberships.filter(group_id__in=groups)
    member_rows = list(memberships.values_list("group_id", "authority_id", "expected"))
    group_ids = sorted({g for g, _, _ in member_rows})
    authority_ids = {a for _, a, _ in member_rows}
    if columns is not None:
        group_list = list(columns)
    elif group_ids:
        chosen = Group.objects.filter(pk__in=group_ids).only("name", "kind", "parent_id")
        group_list = list(chosen.order_by("name"))
    else:
        group_list = []
    if authority is not None:
        authority_list = [authority] if member_rows else []
    elif authority_ids:
        authority_list = list(
            Organisation.objects.filter(pk__in=authority_ids)
            .only("name", "short_name", "kind")
            .order_by("name")
        )
    else:
        authority_list = []
    table = EngagementTable(
        period=period, previous=previous, groups=group_list, authorities=authority_list
    )
    for group_id, authority_id, expected in member_rows:
        table.cells[(group_id, authority_id)] = EngagementCell(group_id, authority_id, expected)
    if not member_rows:
        return table
    current = Q(date__gte=period.start, date__lte=end)
    before = Q(date__gte=previous.start, date__lte=min(previous.end, today))
    held = (
        Meeting.objects.filter(group_id__in=group_ids, date__gte=previous.start, date__lte=end)
        .values("group_id")
        .annotate(held=Count("pk", filter=current), previous_held=Count("pk", filter=before))
        .order_by()
    )
    held_by_group = {row["group_id"]: row for row in held}
    attendance = Attendance.objects.filter(
        meeting__group_id__in=group_ids,
        meeting__date__gte=previous.start,
        meeting__date__lte=end,
    )
    if authority is not None:
        attendance = attendance.filter(authority=authority)
    came = Q(status__in=Attendance.ATTENDED)
    now = Q(meeting__date__gte=period.start)
    rows = (
        attendance.annotate(rank=_seniority_on_meeting_date(), expected=_expected_seniority())
        .values("meeting__group_id", "authority_id")
        .annotate(
            attended=Count("pk", filter=came & now),
            senior=Count("pk", filter=came & now & Q(rank__gte=F("expected"))),
            apologies=Count("pk", filter=Q(status=Attendance.Status.APOLOGIES) & now),
            previous_attended=Count("pk", filter=came & ~now),
        )
        .order_by()
    )
    for row in rows:
        cell = table.cells.get((row["meeting__group_id"], row["authority_id"]))
        if cell is None:
            continue
        cell.attended = row["attended"]
        cell.senior = row["senior"]
        cell.apologies = row["apologies"]
        cell.previous_attended = row["previous_attended"]
    for (group_id, _), cell in table.cells.items():
        counts = held_by_group.get(group_id)
        if counts:
            cell.held = counts["held"]
            cell.previous_held = counts["previous_held"]
    return table


# Engagement scopes: one network and the groups that report to it ----------------------------


@dataclass(frozen=True)
class Scope:
    """A group the regional view can show with its children: a top-level group or one that has
    groups reporting to it."""

    pk: int
    name: str
    parent_id: int | None
    has_children: bool = False
    is_mine: bool = False  # one of the reader's authorities is a member


@dataclass
class Scopes:
    """Every scope under its top-level group, and the one a reader lands on."""

    trees: list[tuple[Scope, list[Scope]]]
    default: int | None


def engagement_scopes(authority_ids: set[int] | frozenset[int] = frozenset()) -> Scopes:
    """Every scope under its top-level group (the top-level group first, then the others by
    depth and name), and the default for a reader from `authority_ids`: the first top-level
    group one of them belongs to (their region), else the first with groups reporting to it,
    else the first. One query.

    Every ancestor of a scope has children, so is a scope too: the list is enough to find each
    scope's top-level group.
    """
    has_children = Exists(Group.objects.filter(parent=OuterRef("pk")))
    mine = (
        Exists(GroupAuthority.objects.filter(group=OuterRef("pk"), authority_id__in=authority_ids))
        if authority_ids
        else Value(False)
    )
    found = [
        Scope(*row)
        for row in Group.objects.annotate(has_children=has_children, is_mine=mine)
        .filter(Q(parent__isnull=True) | Q(has_children=True))
        .order_by("name")
        .values_list("pk", "name", "parent_id", "has_children", "is_mine")
    ]
    by_pk = {s.pk: s for s in found}

    def depth_and_root(scope: Scope) -> tuple[int, Scope]:
        depth, node, seen = 0, scope, {scope.pk}
        while node.parent_id is not None and node.parent_id in by_pk:
            node = by_pk[node.parent_id]
            if node.pk in seen:  # a loop the services refuse, but never hang on one
                break
            seen.add(node.pk)
            depth += 1
        return depth, node

    trees: dict[int, list[tuple[int, Scope]]] = defaultdict(list)
    for scope in found:
        depth, root = depth_and_root(scope)
        trees[root.pk].append((depth, scope))
    roots = [s for s in found if s.pk in trees]
    first = min(roots, key=lambda r: (not r.is_mine, not r.has_children, r.name), default=None)
    return Scopes(
        trees=[
            (root, [s for _, s in sorted(trees[root.pk], key=lambda d: (d[0], d[1].name))])
            for root in roots
        ],
        default=first.pk if first else None,
    )


def engagement_scope_groups(pk: int) -> list[Group]:
    """The group `pk` then, by name, the groups reporting to it, each with `has_children`; empty
    when there is no such group. One query."""
    groups: list[Group] = list(
        Group.objects.filter(Q(pk=pk) | Q(parent_id=pk))
        .annotate(has_children=Exists(Group.objects.filter(parent=OuterRef("pk"))))
        .order_by(Case(When(pk=pk, then=Value(0)), default=Value(1)), "name")
    )
    if not groups or groups[0].pk != pk:
        return []
    return groups


def engagement_totals(table: EngagementTable) -> list[tuple[Organisation, dict[str, int]]]:
    """Per authority: meetings held, attended and with the right seniority, across its groups."""
    totals: dict[int, dict[str, int]] = defaultdict(
        lambda: {"held": 0, "attended": 0, "senior": 0, "apologies": 0}
    )
    for (_, authority_id), cell in table.cells.items():
        total = totals[authority_id]
        total["held"] += cell.held
        total["attended"] += cell.attended
        total["senior"] += cell.senior
        total["apologies"] += cell.apologies
    return [(a, totals[a.pk]) for a in table.authorities]


@dataclass
class Totals:
    groups: int = 0
    held: int = 0
    attended: int = 0
    senior: int = 0
    apologies: int = 0


def authority_totals(rows: list[tuple[Group, EngagementCell]]) -> Totals:
    """One authority's figures summed across its groups (the rows of its tracker)."""
    totals = Totals(groups=len(rows))
    for _, cell in rows:
        totals.held += cell.held
        totals.attended += cell.attended
        totals.senior += cell.senior
        totals.apologies += cell.apologies
    return totals


def member_authorities() -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        kind__in=[Organisation.Kind.COUNCIL, Organisation.Kind.TRUST]
    ).order_by("name")


def posts_for_choice() -> QuerySet[Post]:
    return Post.objects.select_related("organisation").filter(
        category__in=[
            Post.Category.NETWORK_OFFICER,
            Post.Category.DIRECTOR,
            Post.Category.CHIEF_EXECUTIVE,
            Post.Category.REGIONAL_TEAM,
        ]
    )
