"""Start the development web server, the task worker, the periodic scheduler and the mailing
worker together; Ctrl-C stops them all."""

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the development server, the task worker, the periodic scheduler and the mailing "
        "worker together."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        python = sys.executable
        children = [
            subprocess.Popen([python, "manage.py", "db_worker", "--interval", "1"]),
            subprocess.Popen([python, "manage.py", "run_periodic"]),
            subprocess.Popen([python, "manage.py", "mailing_worker"]),
            subprocess.Popen([python, "manage.py", "runserver", f"{host}:{port}"]),
        ]
        self.stdout.write(self.style.SUCCESS(f"RegionHub: http://{host}:{port}/ (Ctrl-C stops)"))

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
