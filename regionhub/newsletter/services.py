"""Every write to the Regional Update: check permission, validate, change, audit, then tasks.

Only regional admins compose, approve and publish. An issue is approved by a different admin
from the one who drafted it; changing an approved issue sends it back to draft, so what is
published is always what a second person read. Every write tells the page cache that the
archive changed.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.pagecache import data_changed
from regionhub.core.permissions import is_regional_admin, require
from regionhub.directory.models import Appointment, Person, Post

from . import drafting, importing
from .models import Comment, Issue, IssueView, Section
from .rendering import render_markdown

LONDON = zoneinfo.ZoneInfo("Europe/London")
ISSUE_FIELDS = [
    "title",
    "month",
    "foreword",
    "foreword_author",
    "foreword_post",
    "author_line",
    "sign_off",
    "signature",
]
MAX_COMMENT_LENGTH = 5000


class NewsletterError(Exception):
    """A change to the Regional Update that is refused, with a message a person can read."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _require_admin(actor) -> None:
    require(is_regional_admin(actor), "Only regional admins can edit the Regional Update.")


def _changed() -> None:
    data_changed("newsletter")


def first_of_month(date: datetime.date) -> datetime.date:
    return date.replace(day=1)


def next_month(date: datetime.date) -> datetime.date:
    return (date.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


# Issues ----------------------------------------------------------------------------------------


def _validate_issue(
    *, issue_pk, month: datetime.date, foreword_author: Person | None, foreword_post: Post | None
) -> None:
    if Issue.objects.filter(month=month).exclude(pk=issue_pk).exists():
        raise NewsletterError(
            f"There is already an issue for {month:%B %Y}.", field="month", code="duplicate"
        )
    if foreword_post is not None and foreword_author is None:
        raise NewsletterError(
            "Choose who wrote the foreword as well as their post.", field="foreword_author"
        )
    if foreword_author is not None and foreword_post is not None:
        held = Appointment.objects.filter(
            person=foreword_author, post=foreword_post, start__lt=next_month(month)
        ).exclude(end__lt=month)
        if not held.exists():
            raise NewsletterError(
                f"{foreword_author.name} did not hold the post {foreword_post} in {month:%B %Y}.",
                field="foreword_post",
            )


def _author_line(post: Post | None) -> str:
    if post is None:
        return ""
    org = post.organisation
    if post.category == Post.Category.DIRECTOR:
        return f"From {org.short_name or org.name}’s DCS"
    return f"From the {post}"


def _reopen(issue: Issue) -> None:
    """An approved issue that changes needs approving again."""
    if issue.status == Issue.Status.APPROVED:
        issue.status = Issue.Status.DRAFT
        issue.approved_by = None
        issue.approved_at = None
        issue.publish_at = None
        issue.save(update_fields=["status", "approved_by", "approved_at", "publish_at", "updated"])


@transaction.atomic
def issue_create(
    *,
    actor,
    month: datetime.date,
    title: str = "",
    foreword: str = "",
    foreword_author: Person | None = None,
    foreword_post: Post | None = None,
    author_line: str = "",
    sign_off: str = "",
    signature: str = "",
) -> Issue:
    _require_admin(actor)
    month = first_of_month(month)
    _validate_issue(
        issue_pk=None, month=month, foreword_author=foreword_author, foreword_post=foreword_post
    )
    issue = Issue(
        month=month,
        title=title.strip() or f"Regional Update – {month:%B %Y}",
        foreword=foreword,
        foreword_html=render_markdown(foreword),
        foreword_author=foreword_author,
        foreword_post=foreword_post,
        author_line=author_line.strip() or _author_line(foreword_post),
        sign_off=sign_off.strip(),
        signature=signature.strip() or (foreword_author.name if foreword_author else ""),
        drafted_by=actor,
    )
    try:
        with transaction.atomic():
            issue.save()
    except IntegrityError as error:
        # Two admins starting the same month at once: the unique month decides.
        raise NewsletterError(
            f"There is already an issue for {month:%B %Y}.", field="month", code="duplicate"
        ) from error
    audit_record(actor=actor, action="newsletter.issue.created", obj=issue, after=snapshot(issue))
    _changed()
    return issue


@transaction.atomic
def issue_update(
    *,
    actor,
    issue: Issue,
    month: datetime.date,
    title: str,
    foreword: str,
    foreword_author: Person | None,
    foreword_post: Post | None,
    author_line: str,
    sign_off: str,
    signature: str,
) -> Issue:
    _require_admin(actor)
    month = first_of_month(month)
    _validate_issue(
        issue_pk=issue.pk, month=month, foreword_author=foreword_author, foreword_post=foreword_post
    )
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    before = snapshot(issue, ISSUE_FIELDS)
    issue.month = month
    issue.title = title.strip() or f"Regional Update – {month:%B %Y}"
    issue.foreword = foreword
    issue.foreword_html = render_markdown(foreword)
    issue.foreword_author = foreword_author
    issue.foreword_post = foreword_post
    issue.author_line = author_line.strip() or _author_line(foreword_post)
    issue.sign_off = sign_off.strip()
    issue.signature = signature.strip() or (foreword_author.name if foreword_author else "")
    after = snapshot(issue, ISSUE_FIELDS)
    if before == after:
        return issue
    issue.save()
    _reopen(issue)
    audit_record(
        actor=actor, action="newsletter.issue.updated", obj=issue, before=before, after=after
    )
    _changed()
    return issue


@transaction.atomic
def issue_delete(*, actor, issue: Issue) -> None:
    _require_admin(actor)
    if issue.status == Issue.Status.PUBLISHED:
        raise NewsletterError("A published issue stays in the archive; it cannot be deleted.")
    audit_record(actor=actor, action="newsletter.issue.deleted", obj=issue, before=snapshot(issue))
    issue.delete()
    _changed()


# Sections --------------------------------------------------------------------------------------


def _validate_section(heading: str, body: str) -> None:
    if not heading.strip() and not body.strip():
        raise NewsletterError("Enter a heading or some text for the section.", field="heading")


def _lock(issue: Issue) -> Issue:
    return Issue.objects.select_for_update().get(pk=issue.pk)


@transaction.atomic
def section_add(*, actor, issue: Issue, heading: str, body: str, records_key: str = "") -> Section:
    _require_admin(actor)
    _validate_section(heading, body)
    issue = _lock(issue)
    last = issue.sections.aggregate(last=Max("order"))["last"]
    section = Section.objects.create(
        issue=issue,
        order=0 if last is None else last + 1,
        heading=heading.strip(),
        body=body,
        body_html=render_markdown(body),
        records_key=records_key,
    )
    _reopen(issue)
    audit_record(
        actor=actor, action="newsletter.section.added", obj=section, after=snapshot(section)
    )
    _changed()
    return section


@transaction.atomic
def section_update(*, actor, section: Section, heading: str, body: str) -> Section:
    _require_admin(actor)
    _validate_section(heading, body)
    issue = _lock(section.issue)
    before = snapshot(section, ["heading", "body"])
    section.heading = heading.strip()
    section.body = body
    section.body_html = render_markdown(body)
    section.save(update_fields=["heading", "body", "body_html"])
    _reopen(issue)
    audit_record(
        actor=actor,
        action="newsletter.section.updated",
        obj=section,
        before=before,
        after=snapshot(section, ["heading", "body"]),
    )
    _changed()
    return section


@transaction.atomic
def section_delete(*, actor, section: Section) -> None:
    _require_admin(actor)
    issue = _lock(section.issue)
    audit_record(
        actor=actor, action="newsletter.section.deleted", obj=section, before=snapshot(section)
    )
    section.delete()
    _reopen(issue)
    _changed()


@transaction.atomic
def section_move(*, actor, section: Section, direction: str) -> None:
    """Swap the section with its neighbour above ("up") or below ("down"); at either end,
    nothing changes."""
    _require_admin(actor)
    if direction not in ("up", "down"):
        raise NewsletterError("Move a section up or down.")
    issue = _lock(section.issue)
    ordered = list(issue.sections.order_by("order", "pk"))
    index = next(i for i, s in enumerate(ordered) if s.pk == section.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        if item.order != position:
            item.order = position
            item.save(update_fields=["order"])
    _reopen(issue)
    audit_record(
        actor=actor,
        action="newsletter.section.moved",
        obj=section,
        after={"direction": direction, "position": ordered.index(section) + 1},
    )
    _changed()


# Drafting from the records ---------------------------------------------------------------------


def draft_period(issue: Issue) -> tuple[datetime.date, datetime.date]:
    """From the month after the previous issue's month (or this issue's month when there is no
    earlier issue) to the last day of this issue's month."""
    previous = Issue.objects.filter(month__lt=issue.month).order_by("-month").first()
    start = next_month(previous.month) if previous else issue.month
    return start, next_month(issue.month) - datetime.timedelta(days=1)


@transaction.atomic
def issue_draft_from_records(*, actor, issue: Issue) -> list[Section]:
    """Add, or refresh, the sections written from the records. Sections an admin wrote are not
    touched; a records section whose source has nothing this time is removed."""
    _require_admin(actor)
    issue = _lock(issue)
    if issue.status == Issue.Status.PUBLISHED:
        raise NewsletterError("This issue is published; draft the next one instead.")
    start, end = draft_period(issue)
    drafted = drafting.sections_for(start, end)
    existing = {s.records_key: s for s in issue.sections.exclude(records_key="")}
    last = issue.sections.aggregate(last=Max("order"))["last"]
    order = -1 if last is None else last
    result = []
    for draft in drafted:
        section = existing.pop(draft.key, None)
        if section is None:
            order += 1
            section = Section(issue=issue, order=order, records_key=draft.key)
        section.heading = draft.heading
        section.body = draft.body
        section.body_html = render_markdown(draft.body)
        section.save()
        result.append(section)
    for stale in existing.values():
        stale.delete()
    _reopen(issue)
    audit_record(
        actor=actor,
        action="newsletter.issue.drafted",
        obj=issue,
        after={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "sections": [s.heading for s in result],
        },
    )
    _changed()
    return result


# Approval and publication ----------------------------------------------------------------------


@transaction.atomic
def issue_approve(*, actor, issue: Issue) -> Issue:
    _require_admin(actor)
    issue = _lock(issue)
    if issue.status != Issue.Status.DRAFT:
        raise NewsletterError(f"This issue is already {issue.get_status_display().lower()}.")
    if issue.drafted_by_id is not None and issue.drafted_by_id == actor.pk:
        raise NewsletterError(
            "You drafted this issue, so another regional admin must approve it.", code="same_admin"
        )
    if not issue.foreword.strip() and not issue.sections.exists():
        raise NewsletterError("Add a foreword or a section before approving the issue.")
    issue.status = Issue.Status.APPROVED
    issue.approved_by = actor
    issue.approved_at = timezone.now()
    issue.save(update_fields=["status", "approved_by", "approved_at", "updated"])
    audit_record(
        actor=actor,
        action="newsletter.issue.approved",
        obj=issue,
        after=snapshot(issue, ["status", "approved_by", "approved_at"]),
    )
    _changed()
    return issue


def _publish(issue: Issue, actor, when: datetime.datetime) -> None:
    issue.status = Issue.Status.PUBLISHED
    issue.published_at = when
    issue.publish_at = None
    issue.save(update_fields=["status", "published_at", "publish_at", "updated"])
    audit_record(
        actor=actor,
        action="newsletter.issue.published",
        obj=issue,
        after=snapshot(issue, ["status", "published_at"]),
    )
    _changed()


def _require_approved(issue: Issue) -> None:
    if issue.status == Issue.Status.PUBLISHED:
        raise NewsletterError("This issue is already published.")
    if issue.status != Issue.Status.APPROVED:
        raise NewsletterError(
            "Another regional admin must approve this issue before it is published."
        )


@transaction.atomic
def issue_publish(*, actor, issue: Issue) -> Issue:
    _require_admin(actor)
    issue = _lock(issue)
    _require_approved(issue)
    _publish(issue, actor, timezone.now())
    return issue


@transaction.atomic
def issue_schedule(*, actor, issue: Issue, when: datetime.datetime) -> Issue:
    """Publish the approved issue at `when`; a task does it then (see tasks.py)."""
    from . import tasks

    _require_admin(actor)
    issue = _lock(issue)
    _require_approved(issue)
    if timezone.is_naive(when):
        when = timezone.make_aware(when, LONDON)
    if when <= timezone.now():
        raise NewsletterError("Choose a time in the future, or publish it now.", field="publish_at")
    issue.publish_at = when
    issue.save(update_fields=["publish_at", "updated"])
    audit_record(
        actor=actor,
        action="newsletter.issue.scheduled",
        obj=issue,
        after=snapshot(issue, ["publish_at"]),
    )
    _changed()
    transaction.on_commit(lambda: tasks.schedule_publication(issue.pk, when))
    return issue


@transaction.atomic
def issue_publish_if_due(*, issue_id: int, now: datetime.datetime | None = None) -> bool:
    """Publish a scheduled issue whose time has come; the task calls this. An issue that was
    changed (and so sent back to draft) or rescheduled since is left alone."""
    now = now or timezone.now()
    issue = Issue.objects.select_for_update().filter(pk=issue_id).first()
    if (
        issue is None
        or issue.status != Issue.Status.APPROVED
        or issue.publish_at is None
        or issue.publish_at > now
    ):
        return False
    _publish(issue, None, issue.publish_at)
    return True


# Comments and views ----------------------------------------------------------------------------


@transaction.atomic
def comment_create(*, user, issue: Issue, body: str) -> Comment:
    """A signed-in reader's comment, held until an admin approves it."""
    require(bool(user and user.is_authenticated), "Sign in to comment.")
    body = body.strip()
    if not body:
        raise NewsletterError("Enter your comment.", field="body")
    if len(body) > MAX_COMMENT_LENGTH:
        raise NewsletterError(
            f"Keep your comment under {MAX_COMMENT_LENGTH} characters.", field="body"
        )
    if issue.status != Issue.Status.PUBLISHED:
        raise NewsletterError("Comments open when the issue is published.")
    comment = Comment.objects.create(issue=issue, user=user, body=body)
    audit_record(
        actor=user, action="newsletter.comment.created", obj=comment, after={"issue": issue.pk}
    )
    return comment


@transaction.atomic
def comment_moderate(*, actor, comment: Comment, approve: bool) -> Comment:
    _require_admin(actor)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    before = {"status": comment.status}
    comment.status = Comment.Status.APPROVED if approve else Comment.Status.REJECTED
    comment.moderated_by = actor
    comment.moderated_at = timezone.now()
    comment.save(update_fields=["status", "moderated_by", "moderated_at"])
    audit_record(
        actor=actor,
        action=f"newsletter.comment.{comment.status}",
        obj=comment,
        before=before,
        after={"status": comment.status},
    )
    _changed()
    return comment


def issue_view_record(*, issue_id: int, visitor: str, day: datetime.date) -> None:
    """Count a view once per visitor per day. Not audited and not a change to the pages: a view
    is not a change anyone makes to the archive."""
    IssueView.objects.bulk_create(
        [IssueView(issue_id=issue_id, visitor=visitor, day=day)], ignore_conflicts=True
    )


# Import of the old archive ---------------------------------------------------------------------


@dataclass
class ImportReport:
    filename: str
    created: bool = False
    updated: bool = False
    issue: Issue | None = None
    sections: int = 0
    month_from: str = ""
    notes: list[str] = field(default_factory=list)
    error: str = ""
    needs_month: bool = False

    @property
    def ok(self) -> bool:
        return not self.error


def _foreword_author(name: str, month: datetime.date) -> tuple[Person | None, Post | None]:
    """The directory's person of that name (if exactly one) and the leadership post they held
    that month."""
    if not name:
        return None, None
    people = list(Person.objects.filter(name__iexact=name)[:2])
    if len(people) != 1:
        return None, None
    person = people[0]
    appointment = (
        Appointment.objects.filter(
            person=person, post__category__in=Post.LEADERSHIP, start__lt=next_month(month)
        )
        .exclude(end__lt=month)
        .select_related("post")
        .order_by("post__category", "-start")
        .first()
    )
    return person, appointment.post if appointment else None


def issue_import(
    *, actor, filename: str, data: bytes, month: datetime.date | None = None
) -> ImportReport:
    """Import one saved page as a published archive issue, all of it or nothing.

    The same text imported again updates the issue it made before. A file whose month already
    has a different issue is refused and asks for the month, so that a guessed month never
    overwrites another issue.
    """
    _require_admin(actor)
    report = ImportReport(filename=filename)
    try:
        parsed = importing.parse(data, month=month)
    except importing.ImportFileError as error:
        report.error, report.needs_month = error.message, error.needs_month
        return report
    assert parsed.month is not None
    report.month_from, report.notes = parsed.month_from, list(parsed.notes)
    try:
        with transaction.atomic():
            _store_import(actor=actor, parsed=parsed, filename=filename, report=report)
    except NewsletterError as error:
        report.error, report.needs_month = error.message, error.code == "month_taken"
        report.created = report.updated = False
        report.issue = None
    return report


def _store_import(*, actor, parsed: importing.ParsedIssue, filename: str, report: ImportReport):
    assert parsed.month is not None
    issue = Issue.objects.select_for_update().filter(import_fingerprint=parsed.fingerprint).first()
    others = Issue.objects.filter(month=parsed.month)
    taken = (others.exclude(pk=issue.pk) if issue else others).first()
    if taken is not None:
        raise NewsletterError(
            f"{taken.title} is already in the archive"
            + (f" (from {taken.import_filename})" if taken.import_filename else "")
            + f"; this file's month was taken from {parsed.month_from}. Give its month.",
            code="month_taken",
        )
    before = snapshot(issue) if issue else None
    if issue is None:
        issue = Issue(drafted_by=actor, source=Issue.Source.IMPORTED)
        report.created = True
    else:
        report.updated = True
    author, post = _foreword_author(parsed.signature, parsed.month)
    foreword = "\n\n".join(importing._escape(p) for p in parsed.foreword)
    issue.title = parsed.title
    issue.month = parsed.month
    issue.foreword = foreword
    issue.foreword_html = render_markdown(foreword)
    issue.foreword_author, issue.foreword_post = author, post
    issue.author_line = parsed.author_line
    issue.sign_off = parsed.sign_off
    issue.signature = parsed.signature
    issue.status = Issue.Status.PUBLISHED
    issue.published_at = issue.published_at or datetime.datetime.combine(
        parsed.month, datetime.time(9), tzinfo=LONDON
    )
    issue.import_fingerprint = parsed.fingerprint
    issue.import_filename = filename[:255]
    issue.save()
    issue.sections.all().delete()
    Section.objects.bulk_create(
        Section(
            issue=issue,
            order=n,
            heading=section.heading[:300],
            body=section.body,
            body_html=render_markdown(section.body),
        )
        for n, section in enumerate(parsed.sections)
    )
    report.issue, report.sections = issue, len(parsed.sections)
    audit_record(
        actor=actor,
        action="newsletter.issue.imported",
        obj=issue,
        before=before,
        after={**snapshot(issue, ["title", "month", "signature"]), "sections": report.sections},
    )
    _changed()
