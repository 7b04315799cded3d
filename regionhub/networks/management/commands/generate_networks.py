"""National-scale networks for `make bench`: 2,000 groups, 50,000 meetings and 600,000 attendance
rows, with decisions and actions, over the directory's generated regions (`generate_national`).

Each region gets a DCS network; reporting to it, the networks, boards and workstreams a region
runs (principal social workers, safeguarding, the care leaver offer, ...); and reporting to each
of those, workstreams, boards and communities of practice on one area of work. Chairs and
sponsors are the generated network's officer posts or an authority's post; each authority has a
habit of attending and of sending someone senior enough, so the tracker shows every colour.

The rows are written with `bulk_create` (and PostgreSQL's COPY for attendance) rather than
through the services, which check and audit one row at a time. Generated groups carry
`terms_of_reference = MARKER`; a second run at the same scale does nothing, a run at another
scale replaces them, and `--remove` deletes them and everything hanging off them.
"""

import bisect
import datetime
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from regionhub.core.pagecache import data_changed
from regionhub.directory.management.commands.generate_national import MARKER, allocate
from regionhub.directory.models import Appointment, Organisation, Person, Post, today
from regionhub.networks.apps import CACHE_NAMESPACE
from regionhub.networks.models import (
    Action,
    Attendance,
    Decision,
    Group,
    GroupAuthority,
    Meeting,
    Seniority,
    seniority_of,
)

BATCH = 5000
YEARS = 4.5  # of meetings before today; a few more are already planned after it
S = Seniority
K = Group.Kind

# (name, kind, expected seniority, relative meeting frequency)
CHILD_NETWORKS = [
    ("Principal Social Worker network", K.NETWORK, S.LEAD, 2),
    ("Media and Communications Network", K.NETWORK, S.LEAD, 1.5),
    ("Participation Leads network", K.NETWORK, S.LEAD, 1.5),
    ("Regional Safeguarding Network", K.NETWORK, S.HEAD_OF_SERVICE, 2),
    ("Lead Members network", K.NETWORK, S.OTHER, 1.5),
    ("Education and Skills Group", K.NETWORK, S.ASSISTANT_DIRECTOR, 2),
    ("RCLO Board", K.BOARD, S.HEAD_OF_SERVICE, 2.5),
    ("Workforce and Leadership Workstream", K.WORKSTREAM, S.ASSISTANT_DIRECTOR, 2),
    ("Anti-racist community of practice", K.COMMUNITY, S.OTHER, 1),
    ("Finance directors' group", K.NETWORK, S.ASSISTANT_DIRECTOR, 1.5),
    ("Chief executives' group", K.NETWORK, S.DIRECTOR, 1),
]
# Sponsors are the generated network's officer posts; some chairs are an authority's post.
SPONSORS = {
    "Regional Safeguarding Network": "DCS Sponsor, Safeguarding",
    "Education and Skills Group": "DCS Sponsor, SEND",
    "Workforce and Leadership Workstream": "DCS Sponsor, Workforce",
}
CHAIRED_BY_CATEGORY = {
    "Principal Social Worker network": Post.Category.PRINCIPAL_SOCIAL_WORKER,
    "RCLO Board": Post.Category.DIRECTOR,
    "Chief executives' group": Post.Category.CHIEF_EXECUTIVE,
}
AREAS = [
    "Children in Care",
    "Care Leavers",
    "Fostering",
    "Adoption",
    "Front Door",
    "Child Protection",
    "Disabled Children",
    "Youth Justice",
    "Family Support",
    "Residential Care",
    "Virtual School",
    "Exploitation and Missing",
    "Court and Legal",
    "Independent Reviewing",
    "Early Help",
    "SEND and Inclusion",
    "Commissioning",
    "Quality Assurance",
    "Sufficiency",
    "Data and Performance",
    "Practice Standards",
    "Recruitment and Retention",
]
SUB_KINDS = [
    (K.WORKSTREAM, "workstream"),
    (K.COMMUNITY, "community of practice"),
    (K.BOARD, "board"),
]
DECISIONS = [
    "Adopt the shared {area} practice standard across the region.",
    "Commission a regional review of {area}.",
    "Share each authority's {area} data before the next meeting.",
    "Agree the terms of reference as circulated.",
    "Report progress on {area} to the DCS network.",
]
ACTIONS = [
    "Circulate the {area} paper to every authority",
    "Collect each authority's figures on {area}",
    "Draft the regional {area} protocol",
    "Invite a speaker on {area} to the next meeting",
    "Update the risk register for {area}",
]


@dataclass
class RegionData:
    name: str
    network: Organisation | None
    authorities: list[int]
    officer_posts: dict[str, int] = field(default_factory=dict)


@dataclass
class GroupSpec:
    name: str
    kind: str
    region: int
    depth: int
    expected: int
    weight: float
    parent: int | None = None  # index into the specs
    chair_post: int | None = None
    sponsor_post: int | None = None
    members: list[int] = field(default_factory=list)
    area: str = ""


class Holders:
    """Who held which kind of post at each authority, to pick a plausible attendee for a date."""

    def __init__(self, authority_ids: list[int]):
        # (authority, seniority) -> (starts sorted, [(start, end, person)])
        rows: dict[tuple[int, int], list[tuple[datetime.date, datetime.date, int]]] = defaultdict(
            list
        )
        far = datetime.date(9999, 12, 31)
        for org, category, person, start, end in Appointment.objects.filter(
            post__organisation_id__in=authority_ids
        ).values_list("post__organisation_id", "post__category", "person_id", "start", "end"):
            rows[(org, seniority_of(category))].append((start, end or far, person))
        self.by_key = {key: sorted(found) for key, found in rows.items()}
        self.starts = {key: [r[0] for r in found] for key, found in self.by_key.items()}
        self.staff: dict[int, list[int]] = defaultdict(list)
        for person, org in Person.objects.filter(organisation_id__in=authority_ids).values_list(
            "pk", "organisation_id"
        ):
            self.staff[org].append(person)

    def on(self, rng: random.Random, authority: int, seniority: int, date: datetime.date):
        """Someone holding a post of `seniority` at `authority` on `date`, or None."""
        found = self.by_key.get((authority, seniority))
        if not found:
            return None
        # Holdings that started by the date; try a few of the latest for one still running.
        upto = bisect.bisect_right(self.starts[(authority, seniority)], date)
        for _ in range(4):
            if upto == 0:
                return None
            start, end, person = found[rng.randrange(max(0, upto - 12), upto)]
            if end >= date:
                return person
        return None

    def anyone(self, rng: random.Random, authority: int) -> int | None:
        staff = self.staff.get(authority)
        return rng.choice(staff) if staff else None


class Generator:
    def __init__(self, *, groups: int, meetings: int, attendance: int, seed: int, stdout):
        self.n_groups, self.n_meetings, self.n_attendance = groups, meetings, attendance
        self.rng = random.Random(seed)
        self.today = today()
        self.stdout = stdout

    def regions(self) -> list[RegionData]:
        networks = list(
            Organisation.objects.filter(notes=MARKER, kind=Organisation.Kind.NETWORK).order_by(
                "name"
            )
        )
        members = list(
            Organisation.objects.filter(notes=MARKER, is_member=True)
            .order_by("name")
            .values_list("pk", "name")
        )
        if not members:
            raise CommandError("Run generate_national first: there are no generated authorities.")
        regions = []
        for network in networks:
            # "Network 05 (West Midlands)" serves "Authority 070 (West Midlands)".
            region = network.name.split("(", 1)[-1].rstrip(")")
            authorities = [pk for pk, name in members if name.endswith(f"({region})")]
            if authorities:
                regions.append(RegionData(region, network, authorities))
        if not regions:
            regions = [RegionData("National", None, [pk for pk, _ in members])]
        posts = Post.objects.filter(organisation__in=[r.network for r in regions if r.network])
        by_network = {r.network.pk: r for r in regions if r.network}
        for pk, org, title in posts.values_list("pk", "organisation_id", "title"):
            by_network[org].officer_posts[title] = pk
        return regions

    def plan_groups(self, regions: list[RegionData]) -> list[GroupSpec]:
        rng = self.rng
        per_region = allocate(self.n_groups, [1.0] * len(regions))
        specs: list[GroupSpec] = []
        for r, (region, wanted) in enumerate(zip(regions, per_region, strict=True)):
            if wanted == 0:
                continue
            top = len(specs)
            specs.append(
                GroupSpec(
                    name=f"DCS Network ({region.name})",
                    kind=K.NETWORK,
                    region=r,
                    depth=0,
                    expected=S.DIRECTOR,
                    weight=4,
                    chair_post=region.officer_posts.get("Chair"),
                    members=list(region.authorities),
                )
            )
            children = CHILD_NETWORKS[: max(0, min(len(CHILD_NETWORKS), wanted - 1))]
            child_ids = []
            for name, kind, expected, weight in children:
                spec = GroupSpec(
                    name=f"{name} ({region.name})",
                    kind=kind,
                    region=r,
                    depth=1,
                    expected=expected,
                    weight=weight,
                    parent=top,
                    members=list(region.authorities),
                )
                if name in SPONSORS:
                    spec.sponsor_post = region.officer_posts.get(SPONSORS[name])
                if name in CHAIRED_BY_CATEGORY:
                    spec.chair_post = -1  # an authority post of that category, found below
                    spec.area = CHAIRED_BY_CATEGORY[name]
                child_ids.append(len(specs))
                specs.append(spec)
            left = wanted - 1 - len(children)
            for n in range(left):
                parent = child_ids[n % len(child_ids)] if child_ids else top
                area = AREAS[(n // max(len(child_ids), 1)) % len(AREAS)]
                kind, label = SUB_KINDS[n % len(SUB_KINDS)]
                round_ = n // (max(len(child_ids), 1) * len(AREAS))
                suffix = f" {round_ + 1}" if round_ else ""
                parent_name = specs[parent].name.rsplit(" (", 1)[0]
                share = rng.uniform(0.55, 1.0)
                members = sorted(
                    rng.sample(region.authorities, max(1, round(share * len(region.authorities))))
                )
                specs.append(
                    GroupSpec(
                        name=f"{parent_name}: {area} {label}{suffix} ({region.name})",
                        kind=kind,
                        region=r,
                        depth=2,
                        expected=max(S.OTHER, specs[parent].expected - rng.choice([0, 0, 1])),
                        weight=1,
                        parent=parent,
                        members=members,
                        area=area,
                    )
                )
        return specs

    def authority_posts(self, regions: list[RegionData]) -> dict[tuple[int, str], list[int]]:
        """Post ids by (authority, category), for chairs drawn from an authority."""
        found: dict[tuple[int, str], list[int]] = defaultdict(list)
        authorities = [a for r in regions for a in r.authorities]
        for pk, org, category in Post.objects.filter(organisation_id__in=authorities).values_list(
            "pk", "organisation_id", "category"
        ):
            found[(org, category)].append(pk)
        return found

    def meeting_dates(self, specs: list[GroupSpec]) -> list[list[datetime.date]]:
        rng = self.rng
        counts = allocate(self.n_meetings, [s.weight for s in specs])
        first = self.today - datetime.timedelta(days=round(365.25 * YEARS))
        span = (self.today - first).days + 75  # a few meetings already planned
        dates = []
        for count in counts:
            if count == 0:
                dates.append([])
                continue
            step = span / count
            offset = rng.uniform(0, step)
            chosen = set()
            for i in range(count):
                day = first + datetime.timedelta(days=int(offset + i * step))
                while day.weekday() >= 5 or day in chosen:
                    day += datetime.timedelta(days=1)
                chosen.add(day)
            dates.append(sorted(chosen))
        return dates

    @transaction.atomic
    def run(self) -> dict[str, int]:
        started = time.perf_counter()
        rng = self.rng
        regions = self.regions()
        specs = self.plan_groups(regions)
        if len(specs) != self.n_groups:
            raise CommandError(
                f"{self.n_groups} groups need at least {len(regions)} (one per region)."
            )
        posts = self.authority_posts(regions)
        for spec in specs:
            if spec.chair_post == -1:
                authority = rng.choice(regions[spec.region].authorities)
                candidates = posts.get((authority, spec.area))
                spec.chair_post = rng.choice(candidates) if candidates else None
                spec.area = ""
            elif spec.depth == 2 and rng.random() < 0.5:
                authority = rng.choice(spec.members)
                candidates = posts.get((authority, Post.Category.HEAD_OF_SERVICE))
                spec.chair_post = rng.choice(candidates) if candidates else None

        groups = Group.objects.bulk_create(
            [
                Group(
                    name=s.name,
                    kind=s.kind,
                    purpose=f"Regional work on {s.area.lower()}." if s.area else "",
                    terms_of_reference=MARKER,
                    chair_post_id=s.chair_post,
                    sponsor_post_id=s.sponsor_post,
                )
                for s in specs
            ],
            batch_size=BATCH,
        )
        for group, spec in zip(groups, specs, strict=True):
            if spec.parent is not None:
                group.parent = groups[spec.parent]
        Group.objects.bulk_update(
            [g for g, s in zip(groups, specs, strict=True) if s.parent is not None],
            ["parent"],
            batch_size=BATCH,
        )
        GroupAuthority.objects.bulk_create(
            (
                GroupAuthority(group=group, authority_id=a, expected=spec.expected)
                for group, spec in zip(groups, specs, strict=True)
                for a in spec.members
            ),
            batch_size=BATCH,
        )
        self.stdout.write(f"  {len(groups):,} groups in {time.perf_counter() - started:.1f}s")

        dates = self.meeting_dates(specs)
        meetings = Meeting.objects.bulk_create(
            (
                Meeting(
                    group=group,
                    date=day,
                    place=rng.choice(["Online", "Birmingham", "Leeds", "Manchester", "London"]),
                )
                for group, days in zip(groups, dates, strict=True)
                for day in days
            ),
            batch_size=BATCH,
        )
        self.stdout.write(f"  {len(meetings):,} meetings in {time.perf_counter() - started:.1f}s")

        count = self.attendance(regions, specs, groups, meetings)
        self.stdout.write(f"  {count:,} attendance rows in {time.perf_counter() - started:.1f}s")
        decisions, actions = self.decisions_and_actions(specs, groups, meetings)
        return {
            "groups": len(groups),
            "meetings": len(meetings),
            "attendance rows": count,
            "decisions": decisions,
            "actions": actions,
        }

    def attendance(self, regions, specs, groups, meetings) -> int:
        rng = self.rng
        holders = Holders([a for r in regions for a in r.authorities])
        spec_of = {g.pk: s for g, s in zip(groups, specs, strict=True)}
        # Each authority's habits: how often it comes, and how often with someone senior enough.
        comes = {a: rng.uniform(0.45, 0.98) for r in regions for a in r.authorities}
        senior = {a: rng.uniform(0.3, 0.95) for r in regions for a in r.authorities}
        seats = [len(spec_of[m.group_id].members) for m in meetings]
        if sum(seats) < self.n_attendance:
            raise CommandError(
                f"{self.n_attendance:,} attendance rows need more meetings or authorities: "
                f"there are only {sum(seats):,} seats."
            )
        # In proportion to each meeting's member authorities, so never more than it has.
        counts = allocate(self.n_attendance, [float(n) for n in seats])
        rows: list[tuple[int, int, int | None, str]] = []
        for meeting, wanted in zip(meetings, counts, strict=True):
            spec = spec_of[meeting.group_id]
            recorded = (
                spec.members if wanted >= len(spec.members) else rng.sample(spec.members, wanted)
            )
            for authority in recorded:
                if rng.random() < comes[authority]:
                    deputy = rng.random() < 0.15
                    level = spec.expected
                    if deputy or rng.random() > senior[authority]:
                        level = max(S.OTHER, level - rng.randint(1, 2))
                    elif level < S.DIRECTOR and rng.random() < 0.2:
                        level += 1
                    person = holders.on(rng, authority, level, meeting.date)
                    if person is None:
                        person = holders.anyone(rng, authority)
                    if person is None:
                        rows.append((meeting.pk, authority, None, Attendance.Status.ABSENT))
                        continue
                    status = Attendance.Status.DEPUTY if deputy else Attendance.Status.PRESENT
                    rows.append((meeting.pk, authority, person, status))
                elif rng.random() < 0.6:
                    person = holders.on(rng, authority, spec.expected, meeting.date)
                    rows.append((meeting.pk, authority, person, Attendance.Status.APOLOGIES))
                else:
                    rows.append((meeting.pk, authority, None, Attendance.Status.ABSENT))
        self._write_attendance(rows)
        return len(rows)

    def _write_attendance(self, rows: list[tuple[int, int, int | None, str]]) -> None:
        if connection.vendor == "postgresql":
            table = Attendance._meta.db_table
            sql = f"COPY {table} (meeting_id, authority_id, person_id, status) FROM STDIN"
            # COPY: a few seconds for 600,000 rows, where INSERTs take a minute.
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for i in range(0, len(rows), BATCH):
            Attendance.objects.bulk_create(
                Attendance(meeting_id=m, authority_id=a, person_id=p, status=s)
                for m, a, p, s in rows[i : i + BATCH]
            )

    def decisions_and_actions(self, specs, groups, meetings) -> tuple[int, int]:
        rng = self.rng
        spec_of = {g.pk: s for g, s in zip(groups, specs, strict=True)}
        owners = list(
            Person.objects.filter(notes=MARKER, organisation__is_member=True).values_list(
                "pk", "organisation_id"
            )
        )
        owners_by_org: dict[int, list[int]] = defaultdict(list)
        for pk, org in owners:
            owners_by_org[org].append(pk)
        decisions, actions = [], []
        for meeting in meetings:
            if meeting.date > self.today:
                continue
            spec = spec_of[meeting.group_id]
            area = (spec.area or spec.name.split(" (")[0]).lower()
            if rng.random() < 0.35:
                decisions.append(
                    Decision(meeting=meeting, text=rng.choice(DECISIONS).format(area=area))
                )
            if rng.random() < 0.45:
                staff = owners_by_org.get(rng.choice(spec.members))
                if not staff:
                    continue
                due = meeting.date + datetime.timedelta(days=rng.choice([14, 30, 45, 60, 90]))
                if due >= self.today:
                    status = Action.Status.OPEN
                else:
                    status = rng.choices(
                        [Action.Status.DONE, Action.Status.DROPPED, Action.Status.OPEN],
                        weights=[88, 9, 3],
                    )[0]
                actions.append(
                    Action(
                        meeting=meeting,
                        description=rng.choice(ACTIONS).format(area=area),
                        owner_id=rng.choice(staff),
                        due=due,
                        status=status,
                    )
                )
        Decision.objects.bulk_create(decisions, batch_size=BATCH)
        Action.objects.bulk_create(actions, batch_size=BATCH)
        return len(decisions), len(actions)


def generated_counts() -> dict[str, int]:
    groups = Group.objects.filter(terms_of_reference=MARKER)
    return {
        "groups": groups.count(),
        "meetings": Meeting.objects.filter(group__in=groups).count(),
        "attendance": Attendance.objects.filter(meeting__group__in=groups).count(),
    }


@transaction.atomic
def remove_generated() -> None:
    """Delete the generated groups and everything hanging off them.

    Plain DELETEs for the large tables: a queryset delete would load each of 600,000 rows to
    send its post_delete signal. The cache is invalidated once, by the caller.
    """
    group_ids = f"SELECT id FROM {Group._meta.db_table} WHERE terms_of_reference = %s"
    meeting_ids = f"SELECT id FROM {Meeting._meta.db_table} WHERE group_id IN ({group_ids})"
    with connection.cursor() as cursor:
        for model in (Attendance, Decision, Action):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE meeting_id IN ({meeting_ids})",
                [MARKER],
            )
        cursor.execute(
            f"DELETE FROM {Meeting._meta.db_table} WHERE group_id IN ({group_ids})", [MARKER]
        )
        cursor.execute(
            f"DELETE FROM {GroupAuthority._meta.db_table} WHERE group_id IN ({group_ids})", [MARKER]
        )
    # Groups through the ORM: initiatives overseen by one, members and parents are let go of.
    Group.objects.filter(terms_of_reference=MARKER).update(parent=None)
    Group.objects.filter(terms_of_reference=MARKER).delete()


class Command(BaseCommand):
    help = (
        "Generate national-scale networks for benchmarks: groups, meetings, attendance, "
        f"decisions and actions, marked terms_of_reference='{MARKER}'. Skips when already there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--groups", type=int, default=2000)
        parser.add_argument("--meetings", type=int, default=50_000)
        parser.add_argument("--attendance", type=int, default=600_000)
        parser.add_argument("--seed", type=int, default=6)
        parser.add_argument("--remove", action="store_true", help="Remove the generated data.")

    def handle(self, *args, groups, meetings, attendance, seed, remove, **options):
        if remove:
            remove_generated()
            data_changed(CACHE_NAMESPACE)
            self.stdout.write("Removed the generated networks.")
            return
        if min(groups, meetings) < 1 or attendance < 0:
            raise CommandError("There must be at least one group and one meeting.")
        wanted = {"groups": groups, "meetings": meetings, "attendance": attendance}
        existing = generated_counts()
        if existing == wanted:
            self.stdout.write(
                f"Generated networks already present ({groups:,} groups, {meetings:,} meetings, "
                f"{attendance:,} attendance rows): skipping."
            )
            return
        if any(existing.values()):
            self.stdout.write(f"Generated networks at another scale ({existing}): replacing them.")
            remove_generated()
        started = time.perf_counter()
        counts = Generator(
            groups=groups, meetings=meetings, attendance=attendance, seed=seed, stdout=self.stdout
        ).run()
        # bulk_create sends no signals, so cached tables are invalidated here.
        data_changed(CACHE_NAMESPACE)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Group, GroupAuthority, Meeting, Attendance, Decision, Action):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.stdout.write(
            self.style.SUCCESS(
                "Generated "
                + ", ".join(f"{n:,} {what}" for what, n in counts.items())
                + f" in {time.perf_counter() - started:.1f}s."
            )
        )
