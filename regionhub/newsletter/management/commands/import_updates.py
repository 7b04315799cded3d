"""`manage.py import_updates FILE... [--month FILE=July 2024]`: the old archive, from the shell."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from regionhub.accounts.models import User
from regionhub.newsletter import services
from regionhub.newsletter.importing import month_of


class Command(BaseCommand):
    help = "Import Regional Updates saved from the old website (.txt or .html) into the archive."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--month",
            action="append",
            default=[],
            metavar="FILE=MONTH",
            help="The month of a file with no title line, e.g. --month 'update.txt=March 2025'.",
        )
        parser.add_argument("--as", dest="email", help="The regional admin doing the import.")

    def handle(self, *args, files, month, email, **options):
        actor = User.objects.filter(role=User.Role.REGIONAL_ADMIN, is_active=True)
        actor = (actor.filter(email__iexact=email) if email else actor.order_by("pk")).first()
        if actor is None:
            raise CommandError("No active regional admin to import as (use --as EMAIL).")
        months = {}
        for item in month:
            name, _, value = item.partition("=")
            parsed = month_of(value)
            if parsed is None:
                raise CommandError(f"--month {item!r}: give it as FILE=July 2024.")
            months[Path(name).name] = parsed
        failed = 0
        for path in files:
            if not path.is_file():
                self.stderr.write(f"{path}: no such file.")
                failed += 1
                continue
            report = services.issue_import(
                actor=actor, filename=path.name, data=path.read_bytes(), month=months.get(path.name)
            )
            if report.ok:
                assert report.issue is not None
                verb = "created" if report.created else "updated"
                self.stdout.write(
                    f"{path.name}: {report.issue.title} {verb}, {report.sections} sections "
                    f"(month from {report.month_from})."
                )
            else:
                failed += 1
                self.stderr.write(f"{path.name}: not imported. {report.error}")
            for note in report.notes:
                self.stdout.write(f"  {note}")
        if failed:
            raise CommandError(f"{failed} file(s) not imported.")
