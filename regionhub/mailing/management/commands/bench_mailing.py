"""`manage.py bench_mailing`: how fast a campaign goes out, against the floor.

1. Data: `migrate` and `generate_subscribers` (100,000 confirmed subscribers on one list).
2. A local SMTP sink: several processes sharing one port, accepting and discarding.
3. The floor: N processes, each one `smtplib` connection sending a pre-rendered message of the
   real issue (same size as the campaign's) over and over, as many messages in all as the
   campaign has recipients.
4. The campaign: a published issue sent to the list; its audience frozen (timed), then N
   `mailing_worker` processes, already started and waiting, send it and exit when it is
   finished. Throughput is messages sent over the time from the start of sending to the
   campaign's finish, as the database records them. The workers report how long personalising
   and turning each message into bytes took (render time per message), apart from talking to
   the server and the database.
5. Checks: every delivery SENT, the sink accepted exactly one message per recipient.

Beside the rates it reports the CPU time each message cost, read from /proc (Linux): in the
floor's senders and the sink, and in the campaign's workers, the PostgreSQL backends serving
the benchmark database (when it runs on this machine) and the sink. Those hold still on a busy
machine where the rates move, so they are what to compare two versions by. With
`--compare-with DIR` every second worker runs another checkout's code and each version's
workers are reported apart: the two compared within one campaign, under the same load.

Database work happens in child processes connected to the bench database (`DATABASE_URL`, or
`var/bench.sqlite3`), as `manage.py bench` does it. Results are added to `bench/results.json`
when it exists (or written with `--out`).
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from regionhub.core.management.commands.bench import (
    _entry,
    _redact,
    add_results,
    free_port,
    vacuum,
)
from regionhub.events.management.commands.bench_bookings import (
    _cpu_seconds,
    _database_backends,
    _used_since,
)

MARKER = "bench-mailing"
BENCH_MONTH = (2000, 1)
THROUGHPUT_GOAL = 1700.0
RATIO_GOAL = 0.7
RENDER_SAMPLE = 2000


# Child-process steps (run against the bench database) ------------------------------------------


def bench_issue():
    """A published issue the size of a real one, kept for the benchmark (its month is long
    before any real issue's)."""
    import datetime

    from django.utils import timezone

    from regionhub.newsletter.models import Issue, Section
    from regionhub.newsletter.rendering import render_markdown

    month = datetime.date(*BENCH_MONTH, 1)
    issue = Issue.objects.filter(month=month, import_filename=MARKER).first()
    if issue is not None:
        return issue
    foreword = (
        "Welcome to this month's Regional Update. Several authorities have new directors, "
        "two inspections were published and there are places left on three events. "
    ) * 4
    issue = Issue.objects.create(
        month=month,
        title="Regional Update – benchmark issue",
        foreword=foreword,
        foreword_html=render_markdown(foreword),
        author_line="From the Regional Team",
        sign_off="Kind regards",
        signature="The Regional Team",
        status=Issue.Status.PUBLISHED,
        published_at=timezone.now(),
        import_filename=MARKER,
    )
    headings = ["DCS updates", "Inspections", "Key events", "Programmes", "Plan", "Networks"]
    for order, heading in enumerate(headings):
        body = "\n".join(
            f"- {heading} item {n}: a change in the region, with "
            f"[the details](https://example.org/{order}/{n}) for anyone who wants them."
            for n in range(12)
        )
        Section.objects.create(
            issue=issue, order=order, heading=heading, body=body, body_html=render_markdown(body)
        )
    return issue


def prepare(message_path: str) -> dict:
    """A fresh draft campaign of the bench issue to the generated list (earlier bench campaigns
    and their deliveries removed), the render timings, and one personalised message written to
    `message_path` for the floor."""
    from django.contrib.auth import get_user_model

    from regionhub.directory.bench import ADMIN_EMAIL
    from regionhub.mailing import emails, sending
    from regionhub.mailing.management.commands.generate_subscribers import LIST_SLUG
    from regionhub.mailing.models import Campaign, Delivery, MailingList, Subscriber

    mailing_list = MailingList.objects.filter(slug=LIST_SLUG).first()
    if mailing_list is None:
        raise CommandError("No generated list: run generate_subscribers first.")
    admin = get_user_model().objects.filter(email__iexact=ADMIN_EMAIL).first()
    if admin is None:
        raise CommandError(f"No account {ADMIN_EMAIL}: run bench_users.")
    issue = bench_issue()
    Campaign.objects.filter(issue=issue).delete()
    vacuum(Delivery, Campaign)
    campaign = sending.campaign_create(
        actor=admin, issue=issue, mailing_list=mailing_list, rate_per_minute=0
    )
    started = time.perf_counter()
    rendered = emails.issue_email(issue)
    issue_ms = (time.perf_counter() - started) * 1000
    sample = list(
        Subscriber.objects.filter(subscriptions__mailing_list=mailing_list)
        .order_by("pk")
        .values_list("pk", "email", "name")[:RENDER_SAMPLE]
    )
    started = time.perf_counter()
    data = b""
    for pk, email, name in sample:
        message = emails.personalise(
            rendered, subscriber_id=pk, list_id=mailing_list.pk, email=email, name=name
        )
        data = message.message().as_bytes(linesep="\r\n")
    render_ms = (time.perf_counter() - started) * 1000 / max(len(sample), 1)
    Path(message_path).write_bytes(data)
    return {
        "campaign": campaign.pk,
        "issue_ms": round(issue_ms, 1),
        "render_ms": render_ms,
        "message_bytes": len(data),
    }


def start(campaign_id: int) -> dict:
    from django.contrib.auth import get_user_model

    from regionhub.directory.bench import ADMIN_EMAIL
    from regionhub.mailing import sending
    from regionhub.mailing.models import Campaign

    admin = get_user_model().objects.get(email__iexact=ADMIN_EMAIL)
    started = time.perf_counter()
    audience = sending.campaign_start(actor=admin, campaign=Campaign.objects.get(pk=campaign_id))
    return {"audience": audience, "freeze_s": time.perf_counter() - started}


def check(campaign_id: int) -> dict:
    from django.db.models import Count, Max, Min

    from regionhub.mailing.models import Campaign

    campaign = Campaign.objects.get(pk=campaign_id)
    deliveries = campaign.deliveries
    span = deliveries.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    return {
        "status": campaign.status,
        "statuses": dict(deliveries.values_list("status").annotate(n=Count("pk")).order_by()),
        "started_at": campaign.started_at.timestamp() if campaign.started_at else None,
        "finished_at": campaign.finished_at.timestamp() if campaign.finished_at else None,
        "first_sent": span["first"].timestamp() if span["first"] else None,
        "last_sent": span["last"].timestamp() if span["last"] else None,
    }


# CPU time --------------------------------------------------------------------------------------


class BackendCpu:
    """CPU time used by the PostgreSQL backends of the benchmark database during the campaign.

    A backend ends with its worker's connection, before the phase's end could read it, so each
    is read every `interval` seconds while the phase runs and counted at its last reading. A
    backend first seen while the campaign was being started is the start's own (freezing the
    audience, which the rate leaves out too) and is not counted."""

    def __init__(self, pids, interval: float = 0.2):
        self.pids = pids
        self.interval = interval
        self.readings: dict[int, float] = {}
        self.ignored: set[int] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        self.readings.update(_cpu_seconds(self.pids()))

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            self._sample()

    def start(self) -> None:
        self._sample()
        self.base = dict(self.readings)
        self._thread.start()

    def started_campaign(self) -> None:
        """Call when the campaign's start has returned."""
        self._sample()
        self.ignored = set(self.readings) - set(self.base)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        self._sample()
        return sum(
            seconds - self.base.get(pid, 0.0)
            for pid, seconds in self.readings.items()
            if pid not in self.ignored
        )


def _cpu_entry(name: str, ms: float, floor_ms: float) -> dict:
    return _entry(name, ms, "ms", floor_ms, floor_ms / ms if ms else 0.0)


# The run ---------------------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Measure how fast mailing workers send a 100,000-subscriber campaign to a local SMTP "
        "sink, against plain smtplib sending the same message over as many connections."
    )

    def add_arguments(self, parser):
        parser.add_argument("--subscribers", type=int, default=100_000)
        parser.add_argument("--workers", type=int, default=4, help="sending processes (N)")
        parser.add_argument("--sinks", type=int, default=2, help="SMTP sink processes")
        parser.add_argument("--batch", type=int, default=100)
        parser.add_argument("--skip-generate", action="store_true")
        parser.add_argument("--out", default="bench/results.json")
        parser.add_argument("--timeout", type=float, default=900.0)
        parser.add_argument(
            "--compare-with",
            metavar="DIR",
            help="another checkout: every second worker runs its code, and the CPU per message "
            "of each version's workers is reported (an A/B comparison in one campaign)",
        )
        # Internal: run in a child process against the benchmark database.
        parser.add_argument("--prepare", metavar="MESSAGE_FILE", help="(internal)")
        parser.add_argument("--start", type=int, metavar="CAMPAIGN", help="(internal)")
        parser.add_argument("--check", type=int, metavar="CAMPAIGN", help="(internal)")

    def handle(self, *args, **o):
        if o["prepare"]:
            self.stdout.write(json.dumps(prepare(o["prepare"])))
            return
        if o["start"]:
            self.stdout.write(json.dumps(start(o["start"])))
            return
        if o["check"]:
            self.stdout.write(json.dumps(check(o["check"])))
            return
        self.base_dir = Path(settings.BASE_DIR)
        env = os.environ.copy()
        env.setdefault("DATABASE_URL", f"sqlite:///{settings.VAR_DIR / 'bench.sqlite3'}")
        env["DJANGO_SETTINGS_MODULE"] = "regionhub.settings.bench"
        env.setdefault("LOG_LEVEL", "WARNING")
        self.env = env
        self.stdout.write(f"Database: {_redact(env['DATABASE_URL'])}")
        self.run("migrate", "--noinput", "-v", "0")
        if not o["skip_generate"]:
            self.stdout.write(self.run("generate_subscribers", "--count", str(o["subscribers"])))
            self.run("bench_users")
        port = free_port()
        sinks = [self.spawn_module("sink", "--port", str(port)) for _ in range(o["sinks"])]
        workers: list[subprocess.Popen] = []
        try:
            for sink in sinks:
                if sink.stdout.readline().strip() != "ready":
                    raise CommandError("The SMTP sink did not start.")
            with tempfile.TemporaryDirectory() as tmp:
                message = str(Path(tmp) / "message.eml")
                plan = json.loads(self.run("bench_mailing", "--prepare", message))
                floor = self.floor(port, o["workers"], o["subscribers"], message, sinks)
            checkouts = [self.base_dir, Path(o["compare_with"] or self.base_dir).resolve()]
            workers = [
                self.spawn_worker(port, o["batch"], n, checkouts[n % 2])
                for n in range(o["workers"])
            ]
            for worker in workers:
                if "started" not in worker.stdout.readline():
                    raise CommandError("A mailing worker did not start.")
            backends = self.backends_of(env["DATABASE_URL"], o["workers"])
            backends.start()
            sink_cpu = _cpu_seconds(sink.pid for sink in sinks)
            worker_cpu = _cpu_seconds(worker.pid for worker in workers)
            started = json.loads(self.run("bench_mailing", "--start", str(plan["campaign"])))
            backends.started_campaign()
            stats = self.wait_workers(workers, o["timeout"])
            if o["compare_with"]:
                self.compare(checkouts, workers, stats, worker_cpu)
            cpu = {
                "workers": sum(s["cpu_s"] for s in stats) - sum(worker_cpu.values()),
                "database": backends.stop(),
                "sink": _used_since(sink_cpu, _cpu_seconds(sink.pid for sink in sinks)),
            }
            state = json.loads(self.run("bench_mailing", "--check", str(plan["campaign"])))
        finally:
            for process in workers:
                if process.poll() is None:
                    process.kill()
            accepted = self.stop_sinks(sinks)
        self.report(o, plan, floor, started, state, stats, accepted, cpu)

    # Processes ---------------------------------------------------------------------------------

    def run(self, *argv: str) -> str:
        done = subprocess.run(
            [sys.executable, str(self.base_dir / "manage.py"), *argv],
            cwd=self.base_dir,
            env=self.env,
            text=True,
            capture_output=True,
        )
        if done.returncode:
            raise CommandError(f"manage.py {' '.join(argv)} failed.\n{done.stderr[-2000:]}")
        return done.stdout

    def spawn_module(self, *argv: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "regionhub.mailing.bench", *argv],
            cwd=self.base_dir,
            env=self.env,
            stdout=subprocess.PIPE,
            text=True,
        )

    def spawn_worker(self, port: int, batch: int, n: int, checkout: Path) -> subprocess.Popen:
        env = {
            **self.env,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
        }
        return subprocess.Popen(
            [
                sys.executable,
                str(checkout / "manage.py"),
                "mailing_worker",
                "--name",
                f"bench-{n}",
                "--batch",
                str(batch),
                "--poll",
                "0.05",
                "--exit-when-done",
                "--stats",
                "-v",
                "1",
            ],
            cwd=self.base_dir,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )

    def backends_of(self, database_url: str, workers: int) -> BackendCpu:
        """The benchmark database's backends, once every worker has connected (they connect
        on their first look for work, just after saying they started)."""
        pids = _database_backends(database_url)
        deadline = time.monotonic() + 10
        while pids is not list and len(pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        return BackendCpu(pids)

    def floor(self, port: int, connections: int, total: int, message: str, sinks) -> dict:
        start_at = time.time() + 2.0  # time for every sender to connect first
        sink_cpu = _cpu_seconds(sink.pid for sink in sinks)
        share = [total // connections + (n < total % connections) for n in range(connections)]
        senders = [
            self.spawn_module(
                "floor",
                "--port",
                str(port),
                "--count",
                str(count),
                "--message",
                message,
                "--start-at",
                str(start_at),
            )
            for count in share
        ]
        results = [json.loads(sender.communicate()[0]) for sender in senders]
        if any(sender.returncode for sender in senders):
            raise CommandError("A floor sender failed.")
        elapsed = max(r["finished"] for r in results) - min(r["started"] for r in results)
        sent = sum(r["sent"] for r in results)
        return {
            "sent": sent,
            "elapsed_s": elapsed,
            "rate": sent / elapsed if elapsed else 0.0,
            "cpu": {
                "senders": sum(r["cpu_s"] for r in results),
                "sink": _used_since(sink_cpu, _cpu_seconds(sink.pid for sink in sinks)),
            },
        }

    def compare(self, checkouts, workers, stats, cpu_before) -> None:
        """Each checkout's workers: messages sent and CPU per message, from the same campaign
        on the same machine at the same moments."""
        pairs = list(zip(workers, stats, strict=True))
        for n, checkout in enumerate(checkouts):
            mine = pairs[n::2]
            sent = sum(s["sent"] for _, s in mine)
            used = sum(s["cpu_s"] - cpu_before.get(w.pid, 0.0) for w, s in mine)
            self.stdout.write(
                f"  workers of {checkout}: {sent:,} messages, CPU "
                f"{1000 * used / max(sent, 1):.3f} ms per message"
            )

    def wait_workers(self, workers, timeout: float) -> list[dict]:
        """Each worker exits once the campaign is no longer sending; their counts and timings."""
        deadline = time.monotonic() + timeout
        stats = []
        for worker in workers:
            try:
                out, _ = worker.communicate(timeout=max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired as error:
                raise CommandError(f"The campaign did not finish within {timeout:g}s.") from error
            lines = [line for line in out.splitlines() if line.startswith("{")]
            if worker.returncode or not lines:
                raise CommandError("A mailing worker failed.")
            stats.append(json.loads(lines[-1]))
        return stats

    def stop_sinks(self, sinks) -> int:
        accepted = 0
        for sink in sinks:
            if sink.poll() is None:
                sink.send_signal(signal.SIGTERM)
            out, _ = sink.communicate(timeout=30)
            lines = [line for line in out.splitlines() if line.startswith("{")]
            accepted += json.loads(lines[-1])["accepted"] if lines else 0
        return accepted

    # Results -----------------------------------------------------------------------------------

    def report(self, o, plan, floor, started, state, stats, accepted, cpu) -> None:
        sent = state["statuses"].get("sent", 0)
        elapsed = state["finished_at"] - state["started_at"]
        rate = sent / elapsed if elapsed else 0.0
        ratio = rate / floor["rate"] if floor["rate"] else 0.0
        worker_sent = sum(s["sent"] for s in stats)
        render_ms = 1000 * sum(s["render_s"] for s in stats) / max(worker_sent, 1)
        send_ms = 1000 * sum(s["send_s"] for s in stats) / max(worker_sent, 1)
        record_ms = 1000 * sum(s["record_s"] for s in stats) / max(worker_sent, 1)
        # One floor message's time on one connection: what rendering is compared with.
        floor_ms = 1000 * o["workers"] / floor["rate"] if floor["rate"] else 0.0
        floor_cpu = {k: 1000 * v / max(floor["sent"], 1) for k, v in floor["cpu"].items()}
        campaign_cpu = {k: 1000 * v / max(sent, 1) for k, v in cpu.items()}
        self.stdout.write(
            f"\n{o['subscribers']:,} subscribers, {o['workers']} sending processes, "
            f"{o['sinks']} sink processes, message {plan['message_bytes']:,} bytes\n"
            f"  audience frozen     {started['audience']:>8,} deliveries in "
            f"{started['freeze_s']:.2f}s\n"
            f"  floor (smtplib)     {floor['sent']:>8,} messages  {floor['rate']:8.0f}/s\n"
            f"  campaign            {sent:>8,} messages  {rate:8.0f}/s  ratio {ratio:.3f} "
            f"(goal >= {RATIO_GOAL:.0%} and >= {THROUGHPUT_GOAL:,.0f}/s where the floor "
            f"reaches it)\n"
            f"  per message in the workers: render {render_ms:.3f} ms (personalise + bytes), "
            f"SMTP {send_ms:.3f} ms, recording {record_ms:.3f} ms\n"
            f"  render measured alone: {plan['render_ms']:.3f} ms per message, the issue "
            f"itself {plan['issue_ms']:.0f} ms once\n"
            f"  CPU per message: floor senders {floor_cpu['senders']:.3f} ms, sink "
            f"{floor_cpu['sink']:.3f} ms; campaign workers {campaign_cpu['workers']:.3f} ms, "
            f"PostgreSQL {campaign_cpu['database']:.3f} ms, sink {campaign_cpu['sink']:.3f} ms\n"
            f"  deliveries {state['statuses']}; the sink accepted {accepted:,} "
            f"(floor {floor['sent']:,} + campaign {sent:,})"
        )
        problems = []
        if state["status"] != "finished" or set(state["statuses"]) != {"sent"}:
            problems.append(f"the campaign ended {state['status']} with {state['statuses']}")
        if accepted != floor["sent"] + sent or worker_sent != sent:
            problems.append("the sink did not accept exactly one message per recipient")
        results = [
            _entry("mailing throughput", rate, "msg/s", floor["rate"], ratio),
            _entry(
                "mailing render per message",
                render_ms,
                "ms",
                floor_ms,
                floor_ms / render_ms if render_ms else 0.0,
            ),
            # CPU per message against the floor's: the ratio is above 1 where sending a
            # campaign message costs less than plain smtplib sending a ready one.
            _cpu_entry(
                "mailing worker cpu per message", campaign_cpu["workers"], floor_cpu["senders"]
            ),
            _cpu_entry(
                "mailing cpu per message",
                sum(campaign_cpu.values()),
                sum(floor_cpu.values()),
            ),
        ]
        out = Path(o["out"])
        if not out.is_absolute():
            out = self.base_dir / out
        if not problems:
            add_results(out, results)
            self.stdout.write(f"Written to {out}")
        if problems:
            raise CommandError("Mailing benchmark failed: " + "; ".join(problems))
        floor_reaches = floor["rate"] >= THROUGHPUT_GOAL
        met = ratio >= RATIO_GOAL and (rate >= THROUGHPUT_GOAL or not floor_reaches)
        self.stdout.write(
            self.style.SUCCESS("Mailing goals met.")
            if met
            else self.style.WARNING("Mailing goals not met.")
        )
