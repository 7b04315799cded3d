"""`manage.py load_demo`: the West Midlands demo data, then the demo sign-ins."""

import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from regionhub.accounts.models import User
from regionhub.directory import demo
from regionhub.directory.services import DirectoryError


def other_apps_demo_modules():
    """`<app>.demo` modules of the project's other apps, in INSTALLED_APPS order.

    An app joins the demo by giving its `demo` module a `load_demo_data() -> str` function that
    builds on the directory demo and does nothing when its data is already there.
    """
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith("regionhub.") or config.name == "regionhub.directory":
            continue
        if importlib.util.find_spec(f"{config.name}.demo") is None:
            continue
        module = importlib.import_module(f"{config.name}.demo")
        if hasattr(module, "load_demo_data"):
            modules.append(module)
    return modules


class Command(BaseCommand):
    help = "Load the West Midlands demo data if it is not there yet, and print the demo sign-ins."

    def handle(self, *args, **options):
        try:
            result = demo.load_demo()
        except DirectoryError as error:
            # Only a database already holding clashing records gets here; nothing was saved.
            raise CommandError(f"Demo data not loaded: {error.message}") from error
        if result.loaded:
            summary = ", ".join(f"{count} {what}" for what, count in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {summary}."))
        else:
            self.stdout.write("Demo data already loaded; nothing changed.")
        for app_demo in other_apps_demo_modules():
            # Each app's loader is idempotent and reports what it did in one line.
            self.stdout.write(app_demo.load_demo_data())
        self.stdout.write(self.logins_table())

    def logins_table(self) -> str:
        rows = [("Role", "Email", "Password")]
        rows += [
            (str(User.Role(login.role).label), login.email, demo.DEMO_PASSWORD)
            for login in demo.DEMO_LOGINS
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = ["", "Demo sign-ins:"]
        for n, row in enumerate(rows):
            lines.append(
                "  "
                + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        return "\n".join(lines) + "\n"
