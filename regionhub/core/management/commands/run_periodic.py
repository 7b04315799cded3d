"""Enqueue periodic tasks when they fall due (settings.PERIODIC_TASKS); the worker runs them."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from regionhub.core.periodic import enqueue_due


class Command(BaseCommand):
    help = "Enqueue periodic background tasks as they fall due, until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and stop.")

    def handle(self, *args, interval, once, **options):
        while True:
            for name in enqueue_due():
                self.stdout.write(f"Enqueued {name}")
            if once:
                return
            close_old_connections()
            time.sleep(interval)
