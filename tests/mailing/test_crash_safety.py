"""Crash safety, end to end on PostgreSQL: real `manage.py mailing_worker` processes send a
campaign to a real SMTP server running in its own process, which writes down every message it
accepts. Workers are killed with SIGKILL part-way (and one is stopped with SIGTERM); the last
ones finish the campaign. Every recipient must have received the issue (nothing lost), with at
most one extra message per killed worker, and every delivery must be recorded SENT.

A worker that recorded messages as sent before sending them would lose the one in hand when
killed; one that recorded them a batch at a time would send a batch again. Either fails here.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from regionhub.mailing import sending
from regionhub.mailing.models import Campaign, Delivery
from tests.factories import UserFactory

from .factories import MailingListFactory
from .sending_helpers import publish_issue, subscribe
from .smtp_sink import SinkProcess

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 2000
LEASE_SECONDS = 2


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(port: int) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        {
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "regionhub.settings.dev",
            "DEBUG": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def start_worker(env: dict[str, str], name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "mailing_worker",
            "--name",
            name,
            "--lease",
            str(LEASE_SECONDS),
            "--batch",
            "25",
            "--poll",
            "0.2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, *, timeout: float, workers=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for worker in workers:
            if worker.poll() is not None:
                raise AssertionError(f"a worker exited early: {worker.stderr.read()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_killed_workers_lose_nothing_and_repeat_at_most_one_message_each(
    require_postgres, tmp_path
):
    admin = UserFactory(role="regional_admin")
    mailing_list = MailingListFactory()
    subscribe(mailing_list, RECIPIENTS)
    issue = publish_issue(admin, datetime.date(2024, 7, 1))
    campaign = sending.campaign_create(
        actor=admin, issue=issue, mailing_list=mailing_list, rate_per_minute=0
    )
    assert sending.campaign_start(actor=admin, campaign=campaign) == RECIPIENTS

    with SinkProcess(tmp_path / "received.log") as sink:
        env = worker_env(sink.port)

        def arrived() -> int:
            return sum(sink.received.values())

        def killed_by_the_sink(worker, *, accepted: int, moment: str) -> None:
            sink.kill_when(worker.pid, accepted=accepted, moment=moment)
            wait_for(lambda: worker.poll() is not None, timeout=120)
            assert worker.returncode == -signal.SIGKILL, worker.stderr.read()[-3000:]

        killed = 0
        # 1. Killed while waiting to begin a message: a worker that had already recorded it
        # as sent would lose it.
        killed_by_the_sink(start_worker(env, "first"), accepted=RECIPIENTS // 5, moment="mail")
        killed += 1
        # 2. Killed just after the server accepted a message, before it could record it: that
        # message is sent again, the only duplicate this worker may cause.
        killed_by_the_sink(
            start_worker(env, "second"), accepted=RECIPIENTS * 2 // 5, moment="accepted"
        )
        killed += 1

        # 3. Stopped cleanly: exits at once and gives its batch back.
        third = start_worker(env, "third")
        wait_for(lambda: arrived() >= RECIPIENTS * 3 // 5, timeout=120, workers=[third])
        third.send_signal(signal.SIGTERM)
        assert third.wait(timeout=15) == 0, third.stderr.read()[-3000:]
        assert not Delivery.objects.filter(
            campaign=campaign, status=Delivery.Status.PENDING, claimed_by="third"
        ).exists()

        # 4. Two at once; one is killed at whatever moment the test gets to it.
        fourth, fifth = start_worker(env, "fourth"), start_worker(env, "fifth")
        wait_for(lambda: arrived() >= RECIPIENTS * 4 // 5, timeout=120, workers=[fourth, fifth])
        fourth.send_signal(signal.SIGKILL)
        fourth.wait(timeout=10)
        killed += 1

        # 5. The survivor finishes, taking over the killed workers' claims as their leases
        # run out.
        campaign_row = Campaign.objects.filter(pk=campaign.pk)
        wait_for(
            lambda: campaign_row.values_list("status", flat=True)[0] == Campaign.Status.FINISHED,
            timeout=120,
            workers=[fifth],
        )
        fifth.send_signal(signal.SIGTERM)
        assert fifth.wait(timeout=15) == 0
        received = sink.received

    emails = set(Delivery.objects.filter(campaign=campaign).values_list("email", flat=True))
    lost = emails - set(received)
    assert not lost, f"{len(lost)} recipients never received the issue"
    assert set(received) == emails
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= killed, f"{duplicates} messages sent twice with {killed} workers killed"
    statuses = set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses == {Delivery.Status.SENT}
    workers = set(Delivery.objects.filter(campaign=campaign).values_list("claimed_by", flat=True))
    assert {"first", "second", "third", "fifth"} <= workers
