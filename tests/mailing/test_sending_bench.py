"""The mailing benchmark's parts: the generators are idempotent, the sink speaks enough SMTP to
take what smtplib sends (and counts it), the floor sends what it is told, the page targets
exist."""

import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import Client

from regionhub.mailing import bench
from regionhub.mailing.management.commands.bench_mailing import BackendCpu
from regionhub.mailing.management.commands.generate_archive import MARKER
from regionhub.mailing.management.commands.generate_subscribers import LIST_SLUG
from regionhub.mailing.models import MailingList, Subscriber, Subscription
from regionhub.newsletter.models import Comment, Issue
from tests.factories import UserFactory

from .smtp_sink import free_port

ROOT = Path(__file__).resolve().parents[2]


def command(*argv) -> str:
    out = StringIO()
    call_command(*argv, stdout=out)
    return out.getvalue()


def test_generate_subscribers_is_idempotent(db):
    assert "(40 added)" in command("generate_subscribers", "--count", "40")
    mailing_list = MailingList.objects.get(slug=LIST_SLUG)
    confirmed = Subscription.objects.filter(mailing_list=mailing_list, status="confirmed")
    assert confirmed.count() == 40
    assert "nothing changed" in command("generate_subscribers", "--count", "40")
    command("generate_subscribers", "--count", "25")
    assert confirmed.count() == Subscriber.objects.count() == 25
    command("generate_subscribers", "--remove")
    assert not Subscriber.objects.exists()


def test_generate_archive_is_idempotent_and_its_pages_are_the_targets(db):
    command("generate_archive", "--issues", "4", "--comments", "30")
    issues = Issue.objects.filter(import_filename=MARKER)
    assert issues.count() == 4
    assert set(issues.values_list("status", flat=True)) == {Issue.Status.PUBLISHED}
    assert Comment.objects.filter(issue__in=issues).count() == 30
    assert "nothing changed" in command("generate_archive", "--issues", "4", "--comments", "30")
    UserFactory(email=bench.MEMBER_EMAIL)

    targets = bench.targets()

    assert [t["name"] for t in targets] == [
        "updates-archive",
        "updates-archive signed-in",
        "updates-issue-page",
        "updates-issue-page signed-in",
    ]
    assert all(t["p95_goal_ms"] == 50 for t in targets)
    for target in targets:
        assert Client().get(target["path"]).status_code == 200
    command("generate_archive", "--remove")
    assert not Issue.objects.exists()


def test_the_sink_takes_what_smtplib_sends_and_the_floor_sends(tmp_path):
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "regionhub.mailing.bench", "sink", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout.readline().strip() == "ready"
        message = b"Subject: x\r\n\r\n.leading dot\r\nline\r\n.\r\n..\r\nend\r\n" + b"x" * 70_000
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for n in range(3):
                refused = connection.sendmail("a@example.org", [f"b{n}@example.org"], message)
                assert refused == {}
        path = tmp_path / "message.eml"
        path.write_bytes(message)
        floor = subprocess.run(
            [
                sys.executable,
                "-m",
                "regionhub.mailing.bench",
                "floor",
                "--port",
                str(port),
                "--count",
                "5",
                "--message",
                str(path),
                "--start-at",
                str(time.time()),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(floor.stdout)
        assert result["sent"] == 5
        assert 0 <= result["cpu_s"] < 30
    finally:
        sink.send_signal(signal.SIGTERM)
        out, _ = sink.communicate(timeout=10)
    assert json.loads(out.splitlines()[-1]) == {"accepted": 8}


def busy(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_backend_cpu_counts_the_phase_and_not_the_start():
    me = [os.getpid()]
    counted = BackendCpu(lambda: me, interval=0.01)
    counted.start()
    busy(0.3)
    counted.started_campaign()
    busy(0.3)
    assert 0.4 <= counted.stop() <= 1.5

    # A backend first seen while the campaign was starting is the start's own.
    seen: list[int] = []
    start_only = BackendCpu(lambda: seen, interval=0.01)
    start_only.start()
    seen.append(os.getpid())
    busy(0.1)
    start_only.started_campaign()
    busy(0.1)
    assert start_only.stop() == 0
