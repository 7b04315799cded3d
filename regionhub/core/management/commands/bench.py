"""Measure the project's pages under load against production settings and national-scale data.

Each page is compared with a floor: a view that does nothing but return a few bytes through the
same gunicorn, middleware and client, measured in the same run. Ratios against the floor travel
between machines better than raw milliseconds. See bench/README.md for how to read the output.

Suites. Every installed app named `regionhub.*` may have a `<app>.bench` module; those found are
run in INSTALLED_APPS order, each through two functions:

- `generate_commands(options: dict) -> list[list[str]]`: manage.py argv lists that build the
  app's national-scale data, run in order after `migrate` unless --skip-generate. Each must be
  idempotent. `options` is this command's parsed options; the parameter may be left out.
- `targets() -> list[dict]`, called in a child process connected to the bench database: one
  `{"name", "path", "user", "p95_goal_ms", "throughput_goal_ratio"}` per page. `user` is the
  email of an existing account (the suite's generate step makes it) to read the page signed in
  as, or None for an anonymous reader; a goal of None means none.

The floor is always measured first and has no goals.
"""

import http.client
import importlib
import importlib.util
import inspect
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FLOOR = "floor"
FLOOR_PATH = "/bench/floor/"
TARGET_KEYS = ("name", "path", "user", "p95_goal_ms", "throughput_goal_ratio")


@dataclass
class Measurement:
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    errors: Counter = field(default_factory=Counter)
    bytes_per_response: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks, as numpy's default does."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def build_results(measurements: dict[str, Measurement], floor: str = FLOOR) -> dict:
    """The contract's shape: one entry per page per metric, each against the floor's figure."""
    base = measurements[floor]
    floor_p50, floor_p95, floor_rps = base.percentile(50), base.percentile(95), base.throughput
    results = []
    for name, m in measurements.items():
        p50, p95, rps = m.percentile(50), m.percentile(95), m.throughput
        results += [
            _entry(f"{name} p50", p50, "ms", floor_p50, floor_p50 / p50 if p50 else 0.0),
            _entry(f"{name} p95", p95, "ms", floor_p95, floor_p95 / p95 if p95 else 0.0),
            _entry(
                f"{name} throughput", rps, "req/s", floor_rps, rps / floor_rps if floor_rps else 0.0
            ),
        ]
    return {"results": results}


def _entry(name: str, value: float, unit: str, floor: float, ratio: float) -> dict:
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "floor": round(floor, 3),
        "ratio": round(ratio, 4),
    }


def goal_for(entry: dict, goals: dict[str, dict]) -> tuple[str, bool | None]:
    """The goal a result entry is held to, and whether it is met (None: no goal).

    `goals` maps each page's name to its target, which carries the goals.
    """
    page, _, metric = entry["name"].rpartition(" ")
    target = goals.get(page, {})
    p95_goal, throughput_goal = target.get("p95_goal_ms"), target.get("throughput_goal_ratio")
    if metric == "p95" and p95_goal is not None:
        return f"<= {p95_goal:g} ms", entry["value"] <= p95_goal
    if metric == "throughput" and throughput_goal is not None:
        return f">= {throughput_goal:.0%} of floor", entry["ratio"] >= throughput_goal
    return "", None


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    tmp.replace(path)


def add_results(path: Path, entries: list[dict]) -> None:
    """Add `entries` to the results file at `path` (made when missing), replacing entries of
    the same names and keeping the others: how the write benchmarks join the page benchmark's
    figures."""
    existing = json.loads(path.read_text()) if path.exists() else {"results": []}
    names = {e["name"] for e in entries}
    kept = [e for e in existing.get("results", []) if e["name"] not in names]
    write_results(path, {**existing, "results": kept + entries})


def format_table(results: dict, goals: dict[str, dict] | None = None) -> str:
    header = ("name", "value", "unit", "floor", "ratio", "goal", "met")
    rows = [header]
    for e in results["results"]:
        goal, met = goal_for(e, goals or {})
        rows.append(
            (
                e["name"],
                f"{e['value']:.2f}",
                e["unit"],
                f"{e['floor']:.2f}",
                f"{e['ratio']:.3f}",
                goal,
                "" if met is None else ("yes" if met else "NO"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {1, 3, 4}
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def worker_of(conn: http.client.HTTPConnection) -> str:
    """The gunicorn worker process behind a connection, as the floor view reports it."""
    conn.request("GET", FLOOR_PATH)
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    if response.status != 200:
        raise CommandError(f"{FLOOR_PATH} answered {response.status}")
    return body.removeprefix("ok ")


def balanced_connections(
    port: int, count: int, workers: int
) -> tuple[list[http.client.HTTPConnection], Counter]:
    """`count` keep-alive connections spread evenly over the gunicorn workers.

    Workers share one listening socket, so which one accepts a connection is down to chance,
    and with keep-alive that chance decides the whole run: all four clients on one worker would
    measure one process, not the server. Connections that land on a full worker are replaced.
    """
    quota = -(-count // workers)
    per_worker: Counter = Counter()
    kept: list[http.client.HTTPConnection] = []
    for _ in range(count * 50):
        if len(kept) == count:
            break
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        pid = worker_of(conn)
        if per_worker[pid] < quota:
            per_worker[pid] += 1
            kept.append(conn)
        else:
            conn.close()
    while len(kept) < count:  # unlucky: accept an uneven spread rather than fail
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        per_worker[worker_of(conn)] += 1
        kept.append(conn)
    return kept, per_worker


def drive(
    port: int,
    path: str,
    *,
    seconds: float,
    concurrency: int,
    workers: int = 1,
    cookie: str | None = None,
) -> tuple[Measurement, Counter]:
    """`concurrency` threads, each on one keep-alive connection, GET `path` until time is up.

    `cookie` ("name=value") goes with every request: a session cookie reads the page signed in.
    """
    result = Measurement()
    headers = {"Cookie": cookie} if cookie else {}
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)
    connections, per_worker = balanced_connections(port, concurrency, workers)

    def client(conn: http.client.HTTPConnection):
        latencies: list[float] = []
        errors: Counter = Counter()
        size = 0
        ready.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            latencies.append((time.perf_counter() - started) * 1000.0)
            size = len(body)
            if response.status != 200:
                errors[f"HTTP {response.status}"] += 1
        conn.close()
        with lock:
            result.latencies_ms += latencies
            result.errors.update(errors)
            result.bytes_per_response = max(result.bytes_per_response, size)

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in connections]
    for t in threads:
        t.start()
    ready.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    result.elapsed_s = time.perf_counter() - started
    return result, per_worker


def vacuum(*models) -> None:
    """PostgreSQL: reclaim the rows an earlier run deleted or updated, and refresh the planner's
    statistics, before measuring. A write benchmark removes what its last run made; with
    autovacuum off or behind (it is off on some machines), the dead rows of every earlier run
    would pile up and each run would measure a more bloated table than the one before."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def discover_suites(only: str = "") -> list[tuple[str, ModuleType]]:
    """(app name, `<app>.bench` module) for every project app that has one, in INSTALLED_APPS
    order; `only` ("events,networks") keeps the named apps' suites."""
    from django.apps import apps

    wanted = {label.strip() for label in only.split(",") if label.strip()}
    suites = []
    for config in apps.get_app_configs():
        if not config.name.startswith("regionhub."):
            continue
        if wanted and config.label not in wanted:
            continue
        if importlib.util.find_spec(f"{config.name}.bench") is None:
            continue
        suites.append((config.name, importlib.import_module(f"{config.name}.bench")))
    return suites


def suite_generate_commands(suite: ModuleType, options: dict) -> list[list[str]]:
    make = getattr(suite, "generate_commands", None)
    if make is None:
        return []
    # The options parameter is optional in the interface: a suite whose data has no scale of its
    # own need not take it.
    try:
        inspect.signature(make).bind(options)
    except TypeError:
        commands = make()
    else:
        commands = make(options)
    for argv in commands:
        if not argv or not all(isinstance(a, str) for a in argv):
            raise CommandError(f"{suite.__name__}.generate_commands() gave {argv!r}")
    return [list(argv) for argv in commands]


def collect_targets(suites: list[tuple[str, ModuleType]]) -> list[dict]:
    """The floor, then every suite's targets, checked: one bad target should fail the run before
    the server starts, not halfway through it."""
    found = [dict.fromkeys(TARGET_KEYS) | {"name": FLOOR, "path": FLOOR_PATH}]
    names = {FLOOR}
    for _app, suite in suites:
        for raw in getattr(suite, "targets", list)():
            target = dict.fromkeys(TARGET_KEYS) | dict(raw)
            name, path = target["name"], target["path"]
            if not isinstance(name, str) or not name.strip() or name in names:
                raise CommandError(f"{suite.__name__}: missing or repeated target name {name!r}")
            if not isinstance(path, str) or not path.startswith("/"):
                raise CommandError(f"{suite.__name__}: target {name!r} has path {path!r}")
            names.add(name)
            found.append({k: target[k] for k in TARGET_KEYS})
    return found


def signed_in_client(email: str):
    """A test client signed in as `email`, and its session cookie as "name=value"."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.filter(email__iexact=email).first()
    if user is None:
        raise CommandError(
            f"No account {email} to sign in as: run the bench without --skip-generate."
        )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return client, f"{settings.SESSION_COOKIE_NAME}={session}"


def probe_targets(targets: list[dict]) -> list[dict]:
    """Each target fetched once in-process, as its reader (anonymous or signed in), with its
    status, query count and timings; the session cookie rides along for the load driver."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    anonymous = Client(HTTP_HOST="127.0.0.1")
    signed_in: dict[str, tuple] = {}
    probes = []
    for target in targets:
        client, cookie = anonymous, None
        if target["user"]:
            if target["user"] not in signed_in:
                signed_in[target["user"]] = signed_in_client(target["user"])
            client, cookie = signed_in[target["user"]]
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(target["path"])
            elapsed = (time.perf_counter() - started) * 1000.0
        sql_ms = [float(q["time"]) * 1000.0 for q in queries.captured_queries]
        probes.append(
            {
                **target,
                "cookie": cookie,
                "status": response.status_code,
                "queries": len(queries),
                "sql_ms": round(sum(sql_ms), 1),
                "slowest_sql_ms": round(max(sql_ms, default=0.0), 1),
                "ms": round(elapsed, 1),
                "bytes": len(response.content),
            }
        )
    return probes


class Command(BaseCommand):
    help = (
        "Benchmark the pages each app's bench suite names, with gunicorn and production settings "
        "against a national data set; writes bench/results.json and prints a table."
    )

    def add_arguments(self, parser):
        parser.add_argument("--skip-generate", action="store_true")
        parser.add_argument("--duration", type=float, default=10.0, help="Seconds per page.")
        parser.add_argument("--warmup", type=float, default=2.0, help="Seconds per page.")
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--out", default="bench/results.json")
        parser.add_argument("--people", type=int, default=50_000)
        parser.add_argument("--appointments", type=int, default=80_000)
        parser.add_argument("--authorities", type=int, default=153)
        # Internal: run in a child process against the benchmark database.
        parser.add_argument(
            "--only", default="", help="Comma-separated app labels whose suites to run."
        )
        parser.add_argument("--print-targets", action="store_true", help="(internal)")

    def handle(self, *args, **o):
        if o["print_targets"]:
            suites = discover_suites(o["only"])
            self.stdout.write(json.dumps(probe_targets(collect_targets(suites))))
            return
        base_dir = Path(settings.BASE_DIR)
        out = Path(o["out"])
        if not out.is_absolute():
            out = base_dir / out
        # A failed run must not leave the previous run's figures looking current.
        out.unlink(missing_ok=True)

        env = os.environ.copy()
        # SQLite runs use their own file so the demo database is left alone.
        env.setdefault("DATABASE_URL", f"sqlite:///{settings.VAR_DIR / 'bench.sqlite3'}")
        env["DJANGO_SETTINGS_MODULE"] = "regionhub.settings.bench"
        env.setdefault("LOG_LEVEL", "WARNING")
        engine = env["DATABASE_URL"].split(":", 1)[0]
        self.stdout.write(f"Database: {engine} ({_redact(env['DATABASE_URL'])})")

        manage = [sys.executable, str(base_dir / "manage.py")]

        def run(*argv: str, capture: bool = False) -> str:
            done = subprocess.run(
                [*manage, *argv], cwd=base_dir, env=env, text=True, capture_output=capture
            )
            if done.returncode:
                detail = (done.stderr or "")[-2000:] if capture else ""
                raise CommandError(f"manage.py {' '.join(argv)} failed.\n{detail}")
            return done.stdout if capture else ""

        suites = discover_suites(o["only"])
        if o["only"] and not suites:
            raise CommandError(f"No bench suite in {o['only']!r}.")
        self.stdout.write("Suites: " + (", ".join(app for app, _ in suites) or "none"))
        step = time.perf_counter()
        run("migrate", "--noinput", "-v", "0")
        if not o["skip_generate"]:
            for _app, suite in suites:
                for argv in suite_generate_commands(suite, dict(o)):
                    run(*argv)
        self.stdout.write(f"Set-up took {time.perf_counter() - step:.1f}s")
        probes = json.loads(run("bench", "--print-targets", "--only", o["only"], capture=True))
        goals = {p["name"]: p for p in probes}
        name_w = max(len(p["name"]) for p in probes)
        path_w = max(len(p["path"]) for p in probes)
        self.stdout.write(
            "\nPages, one request each in-process (signed-in pages signed in): status, queries "
            "(SQL time, slowest), total time, time outside SQL, size"
        )
        for p in probes:
            self.stdout.write(
                f"  {p['name']:<{name_w}}  {p['path']:<{path_w}}  {p['status']}  "
                f"{p['queries']:>3} queries ({p['sql_ms']:.1f} ms, slowest "
                f"{p['slowest_sql_ms']:.1f})  {p['ms']:>7.1f} ms  "
                f"rest {max(p['ms'] - p['sql_ms'], 0.0):>6.1f} ms  {p['bytes']:>8,} bytes"
            )

        port = free_port()
        log_path = base_dir / "bench" / "gunicorn.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
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
        measurements: dict[str, Measurement] = {}
        uneven: list[str] = []
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                command, cwd=base_dir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self._wait_healthy(server, port, log_path)
            self.stdout.write(
                f"\ngunicorn: {o['workers']} workers x {o['threads']} threads on port {port}; "
                f"{o['concurrency']} keep-alive clients, {o['warmup']:g}s warm-up, "
                f"{o['duration']:g}s per page"
            )
            for p in probes:
                name = p["name"]
                load = {
                    "concurrency": o["concurrency"],
                    "workers": o["workers"],
                    "cookie": p["cookie"],
                }
                drive(port, p["path"], seconds=o["warmup"], **load)
                m, per_worker = drive(port, p["path"], seconds=o["duration"], **load)
                measurements[name] = m
                spread = "+".join(str(n) for n in sorted(per_worker.values(), reverse=True))
                if len(per_worker) < min(o["workers"], o["concurrency"]):
                    uneven.append(name)
                errors = ", ".join(f"{k}: {v}" for k, v in m.errors.items()) or "no errors"
                self.stdout.write(
                    f"  {name:<{name_w}} {m.requests:>6} requests  p50 {m.percentile(50):7.1f} ms  "
                    f"p95 {m.percentile(95):7.1f} ms  {m.throughput:7.1f} req/s  "
                    f"connections per worker {spread}  {errors}"
                )
        finally:
            _stop(server)

        if uneven:
            self.stdout.write(
                self.style.WARNING(
                    f"Some workers got no connections for {', '.join(uneven)}: those figures "
                    "understate what the server can do."
                )
            )
        results = build_results(measurements)
        self.stdout.write("\n" + format_table(results, goals) + "\n")
        failures = {n: m.errors for n, m in measurements.items() if m.errors}
        bad_status = {p["name"]: p["status"] for p in probes if p["status"] != 200}
        if failures or bad_status:
            raise CommandError(
                f"Benchmark failed: errors {failures or ''} {bad_status or ''}; results not "
                f"written. See {log_path}."
            )
        write_results(out, results)
        missed = [e["name"] for e in results["results"] if goal_for(e, goals)[1] is False]
        self.stdout.write(
            f"Wrote {out.relative_to(base_dir) if out.is_relative_to(base_dir) else out}"
        )
        if missed:
            self.stdout.write(self.style.WARNING("Goals not met: " + ", ".join(missed)))
        else:
            self.stdout.write(self.style.SUCCESS("Every goal met."))

    def _wait_healthy(self, server: subprocess.Popen, port: int, log_path: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(
                    f"gunicorn exited ({server.returncode}):\n{log_path.read_text()[-3000:]}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise CommandError(f"gunicorn was not healthy within 60s:\n{log_path.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _redact(url: str) -> str:
    """The URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
