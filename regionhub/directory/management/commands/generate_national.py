"""Generate a national-scale directory (regions, authorities, posts, people, appointment histories).

The rows are written with `bulk_create` rather than through `directory.services`: the services
validate and audit one appointment at a time, which would take hours for 80,000 rows, and the
generator builds every history non-overlapping by construction, so there is nothing for them to
check. Every generated organisation and person carries `notes = MARKER`, which is how a later
run recognises (and, when the scale changed, removes) them.
"""

import datetime
import heapq
import math
import random
import sys
import time
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from regionhub.core.pagecache import data_changed
from regionhub.directory.models import Appointment, Organisation, Person, Post, today

MARKER = "generated"
BATCH = 5000

REGIONS = [
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
]
# Authorities per region in England, so that a default run has the real shape (153 in all).
REGION_WEIGHTS = [12, 24, 15, 10, 14, 11, 33, 19, 15]

AD_AREAS = [
    "Safeguarding",
    "Early Help",
    "Education",
    "SEND and Inclusion",
    "Commissioning",
    "Quality Assurance",
    "Corporate Parenting",
    "Partnerships",
]
SERVICE_AREAS = [
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
    "School Admissions",
    "Educational Psychology",
    "Participation",
    "Workforce Development",
    "Performance",
    "Children's Health",
    "Exploitation and Missing",
    "Court and Legal",
    "Independent Reviewing",
]
NETWORK_POSTS = [
    ("Chair", Post.Category.NETWORK_OFFICER, 1),
    ("Vice Chair", Post.Category.NETWORK_OFFICER, 2),
    ("DCS Sponsor, Workforce", Post.Category.NETWORK_OFFICER, 1),
    ("DCS Sponsor, SEND", Post.Category.NETWORK_OFFICER, 1),
    ("DCS Sponsor, Safeguarding", Post.Category.NETWORK_OFFICER, 1),
    ("Network Coordinator", Post.Category.REGIONAL_TEAM, 1),
]
# Relative turnover: directors and network officers change more often than teams do.
TURNOVER = {
    Post.Category.DIRECTOR: 2.5,
    Post.Category.CHIEF_EXECUTIVE: 1.2,
    Post.Category.ASSISTANT_DIRECTOR: 1.6,
    Post.Category.HEAD_OF_SERVICE: 1.0,
    Post.Category.PRINCIPAL_SOCIAL_WORKER: 1.2,
    Post.Category.LEAD: 0.9,
    Post.Category.NETWORK_OFFICER: 2.0,
    Post.Category.REGIONAL_TEAM: 1.0,
}
FIRST_NAMES = [
    "Aisha",
    "Alan",
    "Alice",
    "Amir",
    "Andrew",
    "Anita",
    "Ben",
    "Bethan",
    "Carol",
    "Chen",
    "Chris",
    "Claire",
    "Daniel",
    "Deepa",
    "David",
    "Eleanor",
    "Emma",
    "Farah",
    "Fiona",
    "Gareth",
    "Grace",
    "Hannah",
    "Harjit",
    "Helen",
    "Ian",
    "Imran",
    "Jack",
    "James",
    "Jane",
    "Jo",
    "Karen",
    "Kwame",
    "Laura",
    "Leon",
    "Lucy",
    "Mark",
    "Marta",
    "Michael",
    "Nadia",
    "Neil",
    "Nikhil",
    "Olu",
    "Paul",
    "Priya",
    "Rachel",
    "Rebecca",
    "Richard",
    "Rosa",
    "Sam",
    "Sarah",
    "Simon",
    "Sophie",
    "Stephen",
    "Tariq",
    "Tom",
    "Una",
    "Victoria",
    "Wei",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Adams",
    "Ahmed",
    "Ali",
    "Allen",
    "Bailey",
    "Baker",
    "Begum",
    "Bennett",
    "Brown",
    "Campbell",
    "Carter",
    "Chen",
    "Clarke",
    "Collins",
    "Cooper",
    "Davies",
    "Edwards",
    "Evans",
    "Fisher",
    "Green",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Jones",
    "Kaur",
    "Khan",
    "King",
    "Lewis",
    "Martin",
    "Mensah",
    "Mitchell",
    "Moore",
    "Morgan",
    "Murphy",
    "Nowak",
    "Okafor",
    "Owen",
    "Parker",
    "Patel",
    "Phillips",
    "Price",
    "Roberts",
    "Robinson",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Williams",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
]


class Progress:
    """One line on stderr: label, done/total, percent and rate, redrawn in place on a terminal."""

    def __init__(self, label: str, total: int, stream=None):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.interactive = getattr(self.stream, "isatty", lambda: False)()
        self._draw(final=False)

    def advance(self, n: int) -> None:
        self.done += n
        self._draw(final=self.done >= self.total)

    def _draw(self, final: bool) -> None:
        if not (self.interactive or final):
            return
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        percent = 100.0 * self.done / self.total if self.total else 100.0
        width = 24
        filled = int(width * percent / 100)
        line = (
            f"{self.label:<13} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done:>7,}/{self.total:,} {percent:5.1f}% {self.done / elapsed:>9,.0f}/s"
        )
        self.stream.write(("\r" if self.interactive else "") + line + ("\n" if final else ""))
        self.stream.flush()


def bulk_insert(model, objects: list, label: str) -> list:
    progress = Progress(label, len(objects))
    if not objects:
        return objects
    for i in range(0, len(objects), BATCH):
        batch = objects[i : i + BATCH]
        model.objects.bulk_create(batch, batch_size=BATCH)
        progress.advance(len(batch))
    return objects


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainders)."""
    weight_sum = sum(weights) or 1.0
    exact = [total * w / weight_sum for w in weights]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass
class PostSpec:
    org: int
    title: str
    category: str
    max_holders: int = 1
    weight: float = 1.0
    abolished: datetime.date | None = None


@dataclass
class Holding:
    start: datetime.date
    end: datetime.date | None
    post: int
    basis: str
    on_behalf_of: int | None = None
    person: int = -1


class Generator:
    def __init__(self, *, people, appointments, authorities, regions, seed, stdout):
        self.n_people, self.n_appointments = people, appointments
        self.n_authorities, self.n_regions = authorities, regions
        self.rng = random.Random(seed)
        self.today = today()
        self.stdout = stdout

    # --- organisations and posts -------------------------------------------------------------

    def organisations(self) -> tuple[list[Organisation], list[list[int]], list[int]]:
        """Authorities, then one network per region: (orgs, authorities by region, networks)."""
        region_names = [
            REGIONS[i] if i < len(REGIONS) else f"Region {i + 1}" for i in range(self.n_regions)
        ]
        weights = [
            REGION_WEIGHTS[i] if i < len(REGION_WEIGHTS) else 15 for i in range(self.n_regions)
        ]
        per_region = allocate(self.n_authorities, weights)
        orgs: list[Organisation] = []
        by_region: list[list[int]] = [[] for _ in region_names]
        number = 0
        for r, region in enumerate(region_names):
            for _ in range(per_region[r]):
                number += 1
                is_trust = self.rng.random() < 0.06
                orgs.append(
                    Organisation(
                        name=f"Authority {number:03d} ({region})",
                        short_name=f"Authority {number:03d}",
                        kind=Organisation.Kind.TRUST if is_trust else Organisation.Kind.COUNCIL,
                        is_member=True,
                        website=f"https://authority{number:03d}.example.org",
                        email_domains=f"authority{number:03d}.example.org",
                        notes=MARKER,
                    )
                )
                by_region[r].append(len(orgs) - 1)
        networks = []
        for r, region in enumerate(region_names):
            orgs.append(
                Organisation(
                    name=f"Network {r + 1:02d} ({region})",
                    short_name=f"{region} network",
                    kind=Organisation.Kind.NETWORK,
                    notes=MARKER,
                )
            )
            networks.append(len(orgs) - 1)
        return orgs, by_region, networks

    def posts(self, by_region: list[list[int]], networks: list[int]) -> list[PostSpec]:
        rng = self.rng
        specs: list[PostSpec] = []
        C = Post.Category
        for region in by_region:
            for org in region:
                # The first authority is a deliberately large one, the page to measure.
                scale = 3 if org == 0 else 1
                specs.append(PostSpec(org, "Director of Children's Services", C.DIRECTOR))
                if rng.random() < 0.55:
                    specs.append(PostSpec(org, "Chief Executive", C.CHIEF_EXECUTIVE))
                specs.append(PostSpec(org, "Principal Social Worker", C.PRINCIPAL_SOCIAL_WORKER))
                for title in self._titles(
                    "Assistant Director", AD_AREAS, rng.randint(3, 6) * scale
                ):
                    specs.append(PostSpec(org, title, C.ASSISTANT_DIRECTOR))
                for title in self._titles(
                    "Head of Service", SERVICE_AREAS, rng.randint(8, 20) * scale
                ):
                    specs.append(PostSpec(org, title, C.HEAD_OF_SERVICE))
                for title in self._titles(
                    "Team Manager", SERVICE_AREAS, rng.randint(8, 22) * scale
                ):
                    specs.append(PostSpec(org, title, C.LEAD, max_holders=rng.choice([1, 1, 2, 3])))
        for network in networks:
            for title, category, max_holders in NETWORK_POSTS:
                specs.append(PostSpec(network, title, category, max_holders=max_holders))
        for spec in specs:
            spec.weight = TURNOVER[spec.category] * spec.max_holders * rng.lognormvariate(0, 0.35)
        return specs

    @staticmethod
    def _titles(prefix: str, areas: list[str], n: int) -> list[str]:
        titles = []
        for i in range(n):
            area = areas[i % len(areas)]
            suffix = f" {i // len(areas) + 1}" if i >= len(areas) else ""
            titles.append(f"{prefix}, {area}{suffix}")
        return titles

    # --- histories ---------------------------------------------------------------------------

    def lane(self, post: int, n: int, network_region: list[int] | None) -> list[Holding]:
        """`n` successive, non-overlapping holdings of one seat, the last reaching about today."""
        if n == 0:
            return []
        rng = self.rng
        span = int(min(14600, max(n * rng.uniform(250, 700), 900)))
        ending = rng.random()
        if ending < 0.08:  # vacant today
            last_day = self.today - datetime.timedelta(days=rng.randint(15, 400))
        elif ending < 0.12:  # successor already appointed, starting soon
            last_day = self.today + datetime.timedelta(days=rng.randint(20, 200))
        else:
            last_day = self.today
        first_day = last_day - datetime.timedelta(days=span)
        interim = [rng.random() < 0.15 for _ in range(n)]
        weights = [rng.expovariate(1.0) * (0.3 if i else 1.0) + 0.15 for i in interim]
        lengths = allocate(span, weights)
        holdings = []
        cursor = first_day
        for i, length in enumerate(lengths):
            length = max(length, 2)
            start = cursor
            cursor = start + datetime.timedelta(days=length)
            # Some handovers leave a gap (the seat is vacant for a while).
            gap = (
                rng.randint(7, min(120, length // 3)) if length > 30 and rng.random() < 0.25 else 0
            )
            end = cursor - datetime.timedelta(days=1 + gap)
            last = i == n - 1
            if last and ending >= 0.08 or last and ending >= 0.08 and ending < 0.12:
                end = None
            holdings.append(
                Holding(
                    start=start,
                    end=end,
                    post=post,
                    basis=Appointment.Basis.INTERIM
                    if interim[i]
                    else Appointment.Basis.SUBSTANTIVE,
                    on_behalf_of=rng.choice(network_region) if network_region else None,
                )
            )
        if ending >= 0.08 and ending < 0.12 and n >= 2:
            # The current holder leaves the day before the successor starts.
            successor = holdings[-1]
            successor.start = max(
                self.today + datetime.timedelta(days=rng.randint(20, 200)), successor.start
            )
            holdings[-2].end = successor.start - datetime.timedelta(days=1)
        return holdings

    def histories(
        self, specs: list[PostSpec], network_regions: dict[int, list[int]]
    ) -> list[Holding]:
        counts = allocate(self.n_appointments, [s.weight for s in specs])
        holdings: list[Holding] = []
        for p, (spec, n) in enumerate(zip(specs, counts, strict=True)):
            lanes = allocate(n, [1.0] * spec.max_holders)
            post_holdings = []
            for lane_n in lanes:
                post_holdings += self.lane(p, lane_n, network_regions.get(spec.org))
            ended = post_holdings and all(h.end and h.end < self.today for h in post_holdings)
            if ended and self.rng.random() < 0.3:
                spec.abolished = max(h.end for h in post_holdings)
            holdings += post_holdings
        return holdings

    def assign_people(self, holdings: list[Holding]) -> int:
        """Give each holding a person, reusing people whose last post ended (careers).

        A small pool of interim specialists takes most interim holdings, so some people have
        long, busy histories, as on the real interim-director circuit.
        """
        rng = self.rng
        holdings.sort(key=lambda h: (h.start, h.post))
        free: list[tuple[datetime.date, int]] = []
        interim_free: list[tuple[datetime.date, int]] = []
        interim_pool_size = max(1, self.n_people // 500)
        interim_people = 0
        people = 0
        total = len(holdings)
        for i, h in enumerate(holdings):
            is_interim = h.basis == Appointment.Basis.INTERIM
            pool = interim_free if is_interim else free
            fresh_left = self.n_people - people
            reuse_chance = 1.0 - fresh_left / (total - i) if fresh_left else 1.0
            available = bool(pool) and pool[0][0] < h.start
            if available and (is_interim and rng.random() < 0.9 or rng.random() < reuse_chance):
                _, person = heapq.heappop(pool)
            elif fresh_left > 0:
                person = people
                people += 1
                if is_interim and interim_people < interim_pool_size:
                    interim_people += 1
                else:
                    pool = free
            elif available:
                _, person = heapq.heappop(pool)
            else:
                # Everyone is busy and the scale allows no new people: a second, concurrent post.
                person = rng.randrange(people) if people else 0
                people = max(people, 1)
            h.person = person
            if h.end is not None:
                heapq.heappush(pool, (h.end, person))
        return people

    # --- writing -----------------------------------------------------------------------------

    @transaction.atomic
    def run(self) -> dict[str, int]:
        started = time.perf_counter()
        orgs, by_region, networks = self.organisations()
        network_regions = {networks[r]: by_region[r] for r in range(len(networks)) if by_region[r]}
        specs = self.posts(by_region, networks)
        holdings = self.histories(specs, network_regions)
        self.assign_people(holdings)
        self.stdout.write(
            f"Planned {len(orgs):,} organisations, {len(specs):,} posts, {self.n_people:,} people, "
            f"{len(holdings):,} appointments in {time.perf_counter() - started:.1f}s"
        )

        bulk_insert(Organisation, orgs, "organisations")
        posts = bulk_insert(
            Post,
            [
                Post(
                    title=s.title,
                    organisation=orgs[s.org],
                    category=s.category,
                    max_holders=s.max_holders,
                    abolished=s.abolished,
                )
                for s in specs
            ],
            "posts",
        )
        employer: dict[int, int] = {}
        for h in holdings:  # sorted by start, so the latest appointment wins
            employer[h.person] = specs[h.post].org
        rng = self.rng
        people = []
        for i in range(self.n_people):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            org = employer.get(i, rng.randrange(len(orgs)))
            domain = orgs[org].email_domains or "example.org"
            people.append(
                Person(
                    name=f"{first} {last}",
                    email=f"{first}.{last}{i}@{domain}".lower(),
                    organisation=orgs[org],
                    notes=MARKER,
                )
            )
        bulk_insert(Person, people, "people")
        bulk_insert(
            Appointment,
            [
                Appointment(
                    person=people[h.person],
                    post=posts[h.post],
                    start=h.start,
                    end=h.end,
                    basis=h.basis,
                    on_behalf_of=orgs[h.on_behalf_of] if h.on_behalf_of is not None else None,
                )
                for h in holdings
            ],
            "appointments",
        )
        return {
            "organisations": len(orgs),
            "posts": len(posts),
            "people": len(people),
            "appointments": len(holdings),
        }


def generated_counts() -> dict[str, int]:
    return {
        "authorities": Organisation.objects.filter(notes=MARKER, is_member=True).count(),
        "people": Person.objects.filter(notes=MARKER).count(),
        "appointments": Appointment.objects.filter(post__organisation__notes=MARKER).count(),
    }


@transaction.atomic
def remove_generated() -> None:
    Appointment.objects.filter(post__organisation__notes=MARKER).delete()
    Appointment.objects.filter(person__notes=MARKER).delete()
    Post.objects.filter(organisation__notes=MARKER).delete()
    Person.objects.filter(notes=MARKER).delete()
    Organisation.objects.filter(notes=MARKER).delete()


class Command(BaseCommand):
    help = (
        "Generate a national-scale directory for benchmarks: regions, authorities, posts, people "
        f"and appointment histories, marked notes='{MARKER}'. Skips when already there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=50_000)
        parser.add_argument("--appointments", type=int, default=80_000)
        parser.add_argument("--authorities", type=int, default=153)
        parser.add_argument("--regions", type=int, default=9)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--remove", action="store_true", help="Remove the generated data and stop."
        )

    def handle(self, *args, people, appointments, authorities, regions, seed, remove, **options):
        if remove:
            remove_generated()
            data_changed("directory")
            self.stdout.write("Removed the generated data.")
            return
        if min(people, appointments, authorities, regions) < 1:
            raise CommandError("Every count must be at least 1.")
        if regions > authorities:
            raise CommandError("Every region needs at least one authority.")
        wanted = {"authorities": authorities, "people": people, "appointments": appointments}
        existing = generated_counts()
        if existing == wanted:
            self.stdout.write(
                f"Generated data already present ({authorities} authorities, {people:,} people, "
                f"{appointments:,} appointments): skipping."
            )
            return
        if any(existing.values()):
            self.stdout.write(f"Generated data at another scale ({existing}): replacing it.")
            remove_generated()
        started = time.perf_counter()
        counts = Generator(
            people=people,
            appointments=appointments,
            authorities=authorities,
            regions=regions,
            seed=seed,
            stdout=self.stdout,
        ).run()
        # bulk_create sends no signals, so cached pages are invalidated here.
        data_changed("directory")
        if connection.vendor == "postgresql":
            # Fresh planner statistics: without them PostgreSQL guesses a handful of rows per
            # organisation and picks sequential scans for the directory pages.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                "Generated "
                + ", ".join(f"{n:,} {what}" for what, n in counts.items())
                + f" in {time.perf_counter() - started:.1f}s."
            )
        )
