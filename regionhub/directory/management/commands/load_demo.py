"""`manage.py load_demo`: the West Midlands demo data, then the demo sign-ins."""

from django.core.management.base import BaseCommand, CommandError

from regionhub.accounts.models import User
from regionhub.directory import demo
from regionhub.directory.services import DirectoryError


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
