"""Demo Regional Updates, composed by RegionHub from the demo records through the same services
an admin uses: started, drafted from the records, given a foreword, approved by a second admin
and published, with a comment or two. Runs after the directory and events demos."""

import datetime

from django.db import transaction

from regionhub.accounts.models import User
from regionhub.directory.demo import ADMIN_EMAIL, DEMO_PASSWORD
from regionhub.directory.models import Person, Post

from . import services
from .models import Comment, Issue

APPROVER_EMAIL = "approver@regionhub.example"

# (month, foreword author, sign-off, foreword) — the forewords are RegionHub's own words.
ISSUES = [
    (
        datetime.date(2024, 7, 1),
        "Tanya Miles",
        "Kind regards",
        "Welcome to this month's Regional Update. Several authorities have new directors this "
        "month; you will find them under DCS updates below.\n\n"
        "Please take a moment to look at the events with places left, and book through "
        "RegionHub.",
    ),
    (
        datetime.date(2025, 3, 1),
        "Jo Britton",
        "Best wishes",
        "This is my last foreword as chair of the DCS Network. Thank you for the support over "
        "the past two years.\n\nThe people moves and events below come straight from our "
        "records, so they are up to date.",
    ),
]


def _approver() -> User:
    user = User.objects.filter(email__iexact=APPROVER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            APPROVER_EMAIL,
            password=DEMO_PASSWORD,
            name="Second Regional Admin",
            role=User.Role.REGIONAL_ADMIN,
        )
    return user


def _foreword_post(person: Person, month: datetime.date) -> Post | None:
    appointment = (
        person.appointments.filter(
            post__category__in=Post.LEADERSHIP, start__lt=services.next_month(month)
        )
        .exclude(end__lt=month)
        .select_related("post")
        .order_by("post__category")
        .first()
    )
    return appointment.post if appointment else None


@transaction.atomic
def load_demo_data() -> str:
    if Issue.objects.filter(month__in=[month for month, *_ in ISSUES]).exists():
        return "Regional Update demo already loaded; nothing changed."
    admin = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if admin is None:
        return "Regional Update demo skipped: the directory demo's admin is missing."
    approver = _approver()
    member = User.objects.filter(role=User.Role.MEMBER, is_active=True).order_by("pk").first()
    made = []
    for month, author_name, sign_off, foreword in ISSUES:
        author = Person.objects.filter(name=author_name).first()
        post = _foreword_post(author, month) if author else None
        issue = services.issue_create(
            actor=admin,
            month=month,
            foreword=foreword,
            foreword_author=author if post else None,
            foreword_post=post,
            sign_off=sign_off,
            signature=author_name,
        )
        services.issue_draft_from_records(actor=admin, issue=issue)
        if not issue.sections.exists():
            services.section_add(
                actor=admin,
                issue=issue,
                heading="From the Regional Team",
                body="Nothing changed in the records this month.",
            )
        services.issue_approve(actor=approver, issue=issue)
        made.append(services.issue_publish(actor=admin, issue=issue))
    if member is not None:
        comment = services.comment_create(
            user=member, issue=made[0], body="Welcome to our new directors!"
        )
        services.comment_moderate(actor=admin, comment=comment, approve=True)
        services.comment_create(user=member, issue=made[-1], body="Thank you, Jo.")
    held = Comment.objects.filter(status=Comment.Status.HELD).count()
    return (
        f"Regional Update demo loaded: {len(made)} issues composed from the records and "
        f"published, {held} comment(s) waiting for moderation. Second admin for approvals: "
        f"{APPROVER_EMAIL} / {DEMO_PASSWORD}."
    )
