"""`manage.py mailing_worker`: send the messages of every campaign that is sending.

Run one or several (on one machine or many); they share the work through the database.
SIGTERM or Ctrl-C stops a worker cleanly: it finishes the message in hand, gives back the rest
of its batch and closes its connections.
"""

import json
import signal
import time

from django.core.management.base import BaseCommand

from regionhub.mailing import conf
from regionhub.mailing.tasks import Worker


class Command(BaseCommand):
    help = "Send the Regional Update to the lists of every campaign that is sending."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=None, help="deliveries per claim")
        parser.add_argument("--lease", type=float, default=None, help="seconds a claim holds")
        parser.add_argument("--poll", type=float, default=None, help="idle wait in seconds")
        parser.add_argument("--name", default="", help="the worker's name in claims")
        parser.add_argument(
            "--exit-when-done",
            action="store_true",
            help="exit once no campaign is sending any more, having seen one sending",
        )
        parser.add_argument(
            "--stats", action="store_true", help="print counts and timings as JSON on exit"
        )

    def handle(self, *args, **o):
        worker = Worker(
            name=o["name"],
            batch_size=o["batch"] or conf.batch_size(),
            lease=o["lease"] if o["lease"] is not None else conf.lease_seconds(),
            poll=o["poll"] if o["poll"] is not None else conf.poll_seconds(),
        )
        signal.signal(signal.SIGTERM, worker.stop)
        signal.signal(signal.SIGINT, worker.stop)
        if o["verbosity"] >= 1:
            self.stdout.write(f"Mailing worker {worker.name} started.")
            self.stdout.flush()
        stats = worker.run(exit_when_done=o["exit_when_done"])
        if o["stats"]:
            # The process's CPU time so far, for benchmarks to weigh against what it sent.
            cpu_s = time.process_time()
            self.stdout.write(
                json.dumps({"worker": worker.name, **stats.as_dict(), "cpu_s": cpu_s})
            )
        elif o["verbosity"] >= 1:
            self.stdout.write(
                f"Mailing worker {worker.name} stopped: {stats.sent} sent, "
                f"{stats.bounced} bounced, {stats.failed} failed, {stats.retried} to retry."
            )
