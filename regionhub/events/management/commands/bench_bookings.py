"""`manage.py bench_bookings`: booking throughput on one event under many concurrent clients.

The page benchmark only sends GETs, so bookings are measured here, with the same gunicorn and
production settings `manage.py bench` uses. In the same run, the same clients POST to a floor
view that inserts one row and does nothing else, and each client books colleagues from its own
authority onto one event through the coordinator's booking form (session, CSRF, the allocation
and event locks, the waiting list), as fast as it can; the two phases alternate in slices
(`--slices`), so that both are measured on the machine as it was. Afterwards the event is
checked: no more places taken than its capacity, no authority over its allocation, every
accepted booking stored once, the waiting list numbered in order of arrival. Both phases are
measured on a warm server, and the CPU time each request cost is reported beside the rates.

Database work happens in child processes (`--prepare`, `--check`) connected to the benchmark
database, exactly as `manage.py bench` does it, so this process never touches another database.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from regionhub.core.management.commands.bench import (
    Command as BenchCommand,
)
from regionhub.core.management.commands.bench import (
    _entry,
    _redact,
    _stop,
    add_results,
    balanced_connections,
    free_port,
    percentile,
    vacuum,
)

TITLE = "Bench: booking throughput"
WARMUP_TITLE = "Bench: booking warm-up"
FLOOR_TITLE = "Bench: booking floor"
MARKER = "bench-bookings"
BOOKINGS_PER_S_GOAL = 100
RATIO_GOAL = 0.4


def prepare(clients: int, capacity: int) -> dict:
    """A fresh event with allocations for the clients' authorities, a second one like it to
    warm the server up on, the people each client books, and the bench admin's session and CSRF
    cookies."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from regionhub.directory.bench import ADMIN_EMAIL
    from regionhub.directory.management.commands.generate_national import (
        MARKER as PEOPLE_MARKER,
    )
    from regionhub.directory.models import Organisation, Person
    from regionhub.events.models import Allocation, Booking, Event, EventSession

    Booking.objects.filter(event__partners=MARKER).delete()
    Event.objects.filter(partners=MARKER).delete()
    vacuum(Booking, Event, Allocation, EventSession)
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=30)
    event, warmup, floor = (
        Event.objects.create(
            title=title,
            status=Event.Status.PUBLISHED,
            venue="Benchmark",
            capacity=capacity,
            partners=MARKER,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=6),
        )
        for title in (TITLE, WARMUP_TITLE, FLOOR_TITLE)
    )
    for e in (event, warmup, floor):
        EventSession.objects.create(event=e, start=e.starts_at, end=e.ends_at)
    authorities = list(
        Organisation.objects.filter(notes=PEOPLE_MARKER, is_member=True)
        .annotate(n=Count("people"))
        .filter(n__gt=0)
        .order_by("-n", "pk")[:clients]
    )
    if not authorities:
        raise CommandError("No generated authorities: run generate_national first.")
    # A fifth of the places shared out, the rest in the pool; both run out during the run.
    per_authority = max(capacity // 5 // len(authorities), 1)
    Allocation.objects.bulk_create(
        Allocation(event=e, authority=a, places=per_authority)
        for e in (event, warmup)
        for a in authorities
    )
    people = {
        a.pk: list(
            Person.objects.filter(organisation=a).order_by("pk").values_list("pk", flat=True)
        )
        for a in authorities
    }
    admin = get_user_model().objects.filter(email__iexact=ADMIN_EMAIL).first()
    if admin is None:
        raise CommandError(f"No account {ADMIN_EMAIL}: run bench_users.")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    csrf = get_random_string(32)
    return {
        "event": event.pk,
        "warmup": warmup.pk,
        "floor": floor.pk,
        "capacity": capacity,
        "allocated": per_authority * len(authorities),
        "work": [
            {"authority": a.pk, "people": people[a.pk]}
            for a in (authorities[i % len(authorities)] for i in range(clients))
        ],
        "cookie": f"{settings.SESSION_COOKIE_NAME}="
        f"{client.cookies[settings.SESSION_COOKIE_NAME].value}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}",
        "csrf": csrf,
    }


def check(event_id: int, floor_id: int) -> dict:
    """What the run left: counts and every rule that must hold."""
    from django.db.models import Count

    from regionhub.events.availability import event_availability
    from regionhub.events.models import Booking, Event

    event = Event.objects.get(pk=event_id)
    places = event_availability(event)
    statuses = dict(event.bookings.values_list("status").annotate(n=Count("pk")).order_by())
    positions = list(event.bookings.waiting().values_list("position", flat=True))
    duplicates = event.bookings.values("person_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    over_allocation = [a for a, p in places.authorities.items() if p.used_allocation > p.allocated]
    return {
        "bookings": event.bookings.count(),
        "statuses": statuses,
        "taken": places.taken,
        "capacity": event.capacity,
        "overbooked": max(places.taken - event.capacity, 0) + len(over_allocation),
        "duplicates": duplicates,
        "waitlist_in_order": positions == list(range(1, len(positions) + 1)),
        "floor_rows": Booking.objects.filter(event_id=floor_id).count(),
    }


def profile(clients: int, capacity: int, count: int) -> str:
    """Where a booking's CPU goes: `count` bookings sent one after another through the WSGI
    handler in this process (no gunicorn, no threads), sampled by `core.cpuprofile`, beside
    the floor's CPU per row measured the same way. For finding what to make cheaper; the
    throughput and the ratio come from the full run."""
    import io

    from django.core.wsgi import get_wsgi_application

    from regionhub.core.cpuprofile import cpu_profile

    plan = prepare(clients, capacity)
    app = get_wsgi_application()
    cookie, csrf = plan["cookie"], plan["csrf"]

    def post(path: str, body: str, expected: str) -> None:
        data = body.encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "HTTP_X_CSRFTOKEN": csrf,
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status = []
        response = app(environ, lambda s, headers, exc_info=None: status.append(s))
        b"".join(response)
        response.close()
        if not status[0].startswith(expected):
            raise CommandError(f"POST {path} answered {status[0]}, not {expected}")

    # Every client's people in turn: one authority's, then the next's.
    people = [
        (job["authority"], person)
        for job in {job["authority"]: job for job in plan["work"]}.values()
        for person in job["people"]
    ]
    if len(people) < 2 * count:
        raise CommandError(f"Only {len(people)} people to book: profile fewer bookings.")
    booking = iter(people)

    def book(event_id: int, n: int) -> None:
        for _ in range(n):
            authority, person = next(booking)
            body = urlencode({"action": "book", "book-person": person})
            post(f"/events/{event_id}/places/{authority}/", body, "302")

    def floor(n: int) -> None:
        for _ in range(n):
            post(f"/bench/events/floor/{plan['floor']}/", "", "200")

    book(plan["warmup"], min(count, 300))
    floor(min(count, 300))
    started = time.process_time()
    floor(count)
    floor_ms = (time.process_time() - started) * 1000 / count
    found = cpu_profile(lambda: book(plan["event"], count))
    lines = [
        f"CPU per request in this process, single-threaded: floor {floor_ms:.3f} ms, "
        f"booking {found.cpu_s * 1000 / count:.3f} ms ({found.samples} samples).",
        "Share of the booking's samples with each function on the stack:",
        *(f"  {share:6.1%}  {name}" for share, name in found.top(45)),
        "Share in which each function was the one running:",
        *(f"  {share:6.1%}  {name}" for share, name in found.top(15, own=True)),
    ]
    return "\n".join(lines)


def _cpu_seconds(pids) -> dict[int, float]:
    """User and system CPU seconds each process has used so far (Linux /proc; none elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def _used_since(before: dict[int, float], now: dict[int, float]) -> float:
    """CPU used between two readings by the processes alive at the second: a process that
    started in between counts from zero, one that ended in between is lost."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").exists() else []:
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _database_backends(database_url: str):
    """A function listing the PostgreSQL backends connected to the benchmark database on this
    machine, found by their process titles; none for another database or a remote server."""
    from urllib.parse import urlparse

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    if not url.scheme.startswith("postgres") or url.hostname not in ("127.0.0.1", "localhost"):
        return list

    def pids() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir() if Path("/proc").exists() else []:
            if entry.name.isdigit():
                try:
                    title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                if title.startswith("postgres:") and f" {name} " in title:
                    found.append(int(entry.name))
        return found

    return pids


class Cpu:
    """CPU time used during a phase by the server's processes, the database backends serving
    the benchmark database (when they run on this machine) and this load driver, so that a
    run on a busy machine still says what each request costs."""

    def __init__(self, server_pid: int, database_pids):
        self.server = [server_pid, *_children(server_pid)]
        self.database_pids = database_pids

    def start(self) -> None:
        self._at = (
            _cpu_seconds(self.server),
            _cpu_seconds(self.database_pids()),
            time.process_time(),
        )

    def stop(self) -> dict[str, float]:
        server, database, driver = self._at
        return {
            "server": _used_since(server, _cpu_seconds(self.server)),
            "database": _used_since(database, _cpu_seconds(self.database_pids())),
            "driver": time.process_time() - driver,
        }


class Run:
    def __init__(self):
        self.latencies_ms: list[float] = []
        self.ok = 0
        self.errors: Counter = Counter()
        self.elapsed_s = 0.0
        self.cpu: dict[str, float] = {}
        self.lock = threading.Lock()

    def cpu_ms(self, part: str) -> float:
        """CPU milliseconds per completed request."""
        return self.cpu.get(part, 0.0) * 1000.0 / self.ok if self.ok else 0.0

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def add(self, latencies: list[float], ok: int, errors: Counter) -> None:
        with self.lock:
            self.latencies_ms += latencies
            self.ok += ok
            self.errors.update(errors)

    def extend(self, other: "Run") -> None:
        """Add another slice of the same phase to this one."""
        self.add(other.latencies_ms, other.ok, other.errors)
        self.elapsed_s += other.elapsed_s
        for part, seconds in other.cpu.items():
            self.cpu[part] = self.cpu.get(part, 0.0) + seconds


def post_load(
    port: int, workers: int, jobs: list, seconds: float, request, cpu: Cpu | None = None
) -> Run:
    """One thread per job, each on its own keep-alive connection, POSTing until the time is up
    or its job runs out. `request(job, n)` gives the nth (path, body, headers, ok status)."""
    run = Run()
    ready = threading.Barrier(len(jobs) + 1)
    connections, _ = balanced_connections(port, len(jobs), workers)

    def client(conn: http.client.HTTPConnection, job) -> None:
        latencies: list[float] = []
        errors: Counter = Counter()
        ok = n = 0
        ready.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            spec = request(job, n)
            if spec is None:
                break
            n += 1
            path, body, headers, expected = spec
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            latencies.append((time.perf_counter() - started) * 1000.0)
            if response.status == expected:
                ok += 1
            else:
                errors[f"HTTP {response.status}"] += 1
        conn.close()
        run.add(latencies, ok, errors)

    threads = [
        threading.Thread(target=client, args=(c, j), daemon=True)
        for c, j in zip(connections, jobs, strict=True)
    ]
    for t in threads:
        t.start()
    if cpu:
        cpu.start()
    ready.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    run.elapsed_s = time.perf_counter() - started
    if cpu:
        run.cpu = cpu.stop()
    return run


def booking_requests(event_id: int, headers: dict):
    """`request(job, n)` for `post_load`: the job's client books its people on the event in
    turn, one per request, carrying on where it left off in an earlier slice; None once every
    one of them has been sent."""
    path = f"/events/{event_id}/places/{{}}/"

    def request(job, n):
        done = job.setdefault("done", {}).get(event_id, 0)
        if done >= len(job["people"]):
            return None
        job["done"][event_id] = done + 1
        body = urlencode({"action": "book", "book-person": job["people"][done]})
        return path.format(job["authority"]), body, headers, 302

    return request


class Command(BaseCommand):
    help = (
        "Measure booking throughput on one event under concurrent clients against a floor POST "
        "view, with gunicorn and production settings; check nothing was overbooked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=64)
        parser.add_argument("--duration", type=float, default=10.0)
        parser.add_argument("--warmup", type=float, default=2.0, help="Seconds per phase.")
        parser.add_argument(
            "--slices",
            type=int,
            default=5,
            help="Floor and bookings alternate in this many slices of each phase.",
        )
        parser.add_argument("--capacity", type=int, default=600)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--skip-generate", action="store_true")
        parser.add_argument("--out", default="bench/results.json")
        parser.add_argument(
            "--profile",
            type=int,
            metavar="N",
            help="Instead of the run: profile the CPU of N bookings sent one by one in process.",
        )
        # Internal: run in a child process against the benchmark database.
        parser.add_argument("--prepare", action="store_true", help="(internal)")
        parser.add_argument("--check", nargs=2, type=int, help="(internal)")
        parser.add_argument("--profile-here", type=int, help="(internal)")

    def handle(self, *args, **o):
        if o["prepare"]:
            self.stdout.write(json.dumps(prepare(o["clients"], o["capacity"])))
            return
        if o["check"]:
            self.stdout.write(json.dumps(check(*o["check"])))
            return
        if o["profile_here"]:
            self.stdout.write(profile(o["clients"], o["capacity"], o["profile_here"]))
            return
        base_dir = Path(settings.BASE_DIR)
        env = os.environ.copy()
        env.setdefault("DATABASE_URL", f"sqlite:///{settings.VAR_DIR / 'bench.sqlite3'}")
        env["DJANGO_SETTINGS_MODULE"] = "regionhub.settings.bench"
        env.setdefault("LOG_LEVEL", "WARNING")
        self.stdout.write(f"Database: {_redact(env['DATABASE_URL'])}")
        manage = [sys.executable, str(base_dir / "manage.py")]

        def run(*argv: str) -> str:
            done = subprocess.run(
                [*manage, *argv], cwd=base_dir, env=env, text=True, capture_output=True
            )
            if done.returncode:
                raise CommandError(f"manage.py {' '.join(argv)} failed.\n{done.stderr[-2000:]}")
            return done.stdout

        run("migrate", "--noinput", "-v", "0")
        if not o["skip_generate"]:
            run("generate_national")
            run("bench_users")
        if o["profile"]:
            self.stdout.write(
                run(
                    "bench_bookings",
                    "--profile-here",
                    str(o["profile"]),
                    "--clients",
                    str(o["clients"]),
                    "--capacity",
                    str(o["capacity"]),
                )
            )
            return
        plan = json.loads(
            run(
                "bench_bookings",
                "--prepare",
                "--clients",
                str(o["clients"]),
                "--capacity",
                str(o["capacity"]),
            )
        )
        port = free_port()
        log_path = base_dir / "bench" / "gunicorn-bookings.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "regionhub.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(o["workers"]),
            "--worker-class",
            "gthread",
            "--threads",
            str(o["threads"]),
            "--keep-alive",
            "30",
            "--error-logfile",
            str(log_path),
            "--log-level",
            "warning",
        ]
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                command, cwd=base_dir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            BenchCommand._wait_healthy(self, server, port, log_path)
            cpu = Cpu(server.pid, _database_backends(env["DATABASE_URL"]))
            floor_path = f"/bench/events/floor/{plan['floor']}/"

            def floor_row(job, n):
                return floor_path, b"", {"Content-Length": "0"}, 200

            headers = {
                "Cookie": plan["cookie"],
                "X-CSRFToken": plan["csrf"],
                "Content-Type": "application/x-www-form-urlencoded",
            }

            clients = list(range(o["clients"]))
            # Each phase is measured on a warm server, as production runs: first requests of a
            # kind pay for imports and caches filled once per process.
            warmups = [
                post_load(port, o["workers"], clients, o["warmup"], floor_row),
                post_load(
                    port,
                    o["workers"],
                    plan["work"],
                    o["warmup"],
                    booking_requests(plan["warmup"], headers),
                ),
            ]
            # The phases alternate in slices, so that a machine whose speed drifts during the
            # run (a shared one does, by a third within minutes) slows both alike.
            floor, bookings = Run(), Run()
            slices = max(o["slices"], 1)
            book = booking_requests(plan["event"], headers)
            for _ in range(slices):
                seconds = o["duration"] / slices
                floor.extend(post_load(port, o["workers"], clients, seconds, floor_row, cpu))
                bookings.extend(post_load(port, o["workers"], plan["work"], seconds, book, cpu))
            failed = {k: n for w in warmups for k, n in w.errors.items()}
            if failed:
                raise CommandError(f"Requests failed while warming up: {failed}")
        finally:
            _stop(server)
        state = json.loads(run("bench_bookings", "--check", str(plan["event"]), str(plan["floor"])))
        self._report(o, plan, floor, bookings, state, base_dir)

    def _report(self, o, plan, floor: Run, bookings: Run, state: dict, base_dir: Path) -> None:
        ratio = bookings.throughput / floor.throughput if floor.throughput else 0.0
        f95, b95 = percentile(floor.latencies_ms, 95), percentile(bookings.latencies_ms, 95)
        self.stdout.write(
            f"\n{o['clients']} clients, gunicorn {o['workers']} workers x {o['threads']} threads, "
            f"{o['duration']:g}s each in {max(o['slices'], 1)} alternating slices\n"
            f"  floor    {floor.ok:>6} rows      {floor.throughput:8.1f}/s  p95 {f95:7.1f} ms  "
            f"errors {dict(floor.errors) or 'none'}\n"
            f"  booking  {bookings.ok:>6} bookings  {bookings.throughput:8.1f}/s  p95 {b95:7.1f} ms"
            f"  errors {dict(bookings.errors) or 'none'}\n"
            f"  CPU per request (ms): server, database, load driver: floor "
            f"{floor.cpu_ms('server'):.2f}, {floor.cpu_ms('database'):.2f}, "
            f"{floor.cpu_ms('driver'):.2f}; booking {bookings.cpu_ms('server'):.2f}, "
            f"{bookings.cpu_ms('database'):.2f}, {bookings.cpu_ms('driver'):.2f}\n"
            f"  ratio to floor {ratio:.3f} (goal >= {RATIO_GOAL:.0%}); "
            f"goal >= {BOOKINGS_PER_S_GOAL} bookings/s\n"
            f"  event after the run: {state['taken']} of {state['capacity']} places taken, "
            f"{state['statuses']}, overbooked {state['overbooked']}, duplicates "
            f"{state['duplicates']}, waiting list in order {state['waitlist_in_order']}"
        )
        problems = []
        if state["overbooked"] or state["duplicates"] or not state["waitlist_in_order"]:
            problems.append("the event broke a booking rule")
        if state["bookings"] != bookings.ok:
            problems.append(f"{bookings.ok} bookings accepted but {state['bookings']} stored")
        if bookings.errors or floor.errors:
            problems.append("requests failed")
        results = [
            _entry(
                "booking throughput", bookings.throughput, "bookings/s", floor.throughput, ratio
            ),
            _entry("booking p95", b95, "ms", f95, f95 / b95 if b95 else 0.0),
            _entry(
                "booking overbooked",
                state["overbooked"] + state["duplicates"],
                "places",
                0,
                1.0 if not problems else 0.0,
            ),
        ]
        out = Path(o["out"])
        if not out.is_absolute():
            out = base_dir / out
        if not problems:
            add_results(out, results)
            self.stdout.write(f"Written to {out}")
        if problems:
            raise CommandError("Booking benchmark failed: " + "; ".join(problems))
        met = bookings.throughput >= BOOKINGS_PER_S_GOAL and ratio >= RATIO_GOAL
        self.stdout.write(
            self.style.SUCCESS("Booking goals met.")
            if met
            else self.style.WARNING("Booking goals not met.")
        )
