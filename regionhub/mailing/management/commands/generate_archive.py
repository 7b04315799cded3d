"""`manage.py generate_archive`: a Regional Update archive at scale for the page benchmark.

120 published issues (one a month from January 2010, long before any real one), six sections
each, and 10,000 comments from 20 bench readers, nine in ten of them approved. Generated issues
carry `import_filename = "generated-archive"`; a second run at the same scale does nothing, a
run at another scale replaces them, `--remove` deletes them. Touches the newsletter's issues,
sections and comments, and the bench readers' accounts, nothing else.
"""

import datetime
import random
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from regionhub.accounts.models import User
from regionhub.newsletter.models import Comment, Issue, Section
from regionhub.newsletter.rendering import render_markdown

MARKER = "generated-archive"
FIRST_MONTH = datetime.date(2010, 1, 1)
READERS = 20
HEADINGS = ["DCS updates", "Inspections", "Key events", "Programmes", "Plan", "Networks"]


def month_after(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def generated():
    return Issue.objects.filter(import_filename=MARKER)


class Command(BaseCommand):
    help = "Make (or keep) 120 published Regional Update issues with 10,000 comments."

    def add_arguments(self, parser):
        parser.add_argument("--issues", type=int, default=120)
        parser.add_argument("--comments", type=int, default=10_000)
        parser.add_argument("--remove", action="store_true")

    def handle(self, *args, issues: int, comments: int, remove: bool, **options):
        started = time.perf_counter()
        existing = generated()
        if remove:
            self.stdout.write(f"Removed {existing.delete()[0]} generated rows.")
            return
        have_comments = Comment.objects.filter(issue__import_filename=MARKER).count()
        if existing.count() == issues and have_comments == comments:
            self.stdout.write(
                f"{issues} generated issues and {comments} comments already there; nothing changed."
            )
            return
        rng = random.Random(2010)
        with transaction.atomic():
            existing.delete()
            readers = self.readers()
            now = timezone.now()
            made = Issue.objects.bulk_create(
                self.issue(month_after(FIRST_MONTH, n), now) for n in range(issues)
            )
            made = list(generated().order_by("month"))
            Section.objects.bulk_create(
                Section(
                    issue=issue,
                    order=order,
                    heading=heading,
                    body=(body := self.section_body(heading, issue.month, rng)),
                    body_html=render_markdown(body),
                )
                for issue in made
                for order, heading in enumerate(HEADINGS)
            )
            Comment.objects.bulk_create(
                (
                    Comment(
                        issue=made[n % len(made)],
                        user=readers[n % len(readers)],
                        body=f"Thank you for this month's update; comment {n + 1}.",
                        status=Comment.Status.HELD if n % 10 == 9 else Comment.Status.APPROVED,
                    )
                    for n in range(comments)
                ),
                batch_size=2000,
            )
        self.stdout.write(
            f"{issues} generated issues, {comments} comments in "
            f"{time.perf_counter() - started:.1f}s."
        )

    def readers(self) -> list[User]:
        readers = []
        for n in range(1, READERS + 1):
            email = f"bench.reader{n}@regionhub.example"
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(email, None, name=f"Bench Reader {n}")
            readers.append(user)
        return readers

    def issue(self, month: datetime.date, now: datetime.datetime) -> Issue:
        foreword = (
            f"Welcome to the Regional Update for {month:%B %Y}. This month the network met "
            "twice, two authorities welcomed new directors and the events below have places "
            "left.\n\nPlease share this update with colleagues."
        )
        return Issue(
            month=month,
            title=f"Regional Update – {month:%B %Y}",
            foreword=foreword,
            foreword_html=render_markdown(foreword),
            author_line="From the Regional Team",
            sign_off="Kind regards",
            signature="The Regional Team",
            status=Issue.Status.PUBLISHED,
            published_at=now,
            source=Issue.Source.IMPORTED,
            import_filename=MARKER,
        )

    def section_body(self, heading: str, month: datetime.date, rng: random.Random) -> str:
        return "\n".join(
            f"- {heading} in {month:%B %Y}, item {n + 1}: "
            f"{rng.choice(['a new director', 'an inspection', 'a workshop', 'a cohort'])} "
            f"([details](https://example.org/{month:%Y/%m}/{n}))"
            for n in range(rng.randint(4, 10))
        )
