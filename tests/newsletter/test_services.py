import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from regionhub.core.models import AuditEntry
from regionhub.directory.models import Organisation, Post
from regionhub.newsletter import services, tasks
from regionhub.newsletter.models import Comment, Issue, IssueView, Section
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, PostFactory


def test_issue_create_defaults_title_and_records_drafter(admin_user):
    issue = services.issue_create(actor=admin_user, month=datetime.date(2024, 7, 15))
    assert issue.month == datetime.date(2024, 7, 1)
    assert issue.title == "Regional Update – July 2024"
    assert issue.status == Issue.Status.DRAFT
    assert issue.drafted_by == admin_user
    assert AuditEntry.objects.filter(action="newsletter.issue.created").count() == 1


def test_one_issue_per_month(admin_user, issue):
    with pytest.raises(services.NewsletterError) as error:
        services.issue_create(actor=admin_user, month=datetime.date(2024, 7, 3))
    assert error.value.field == "month"
    assert "already an issue for July 2024" in error.value.message


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_only_regional_admins_compose(role, authority, issue):
    from tests.factories import UserFactory

    user = UserFactory(role=role, organisation=authority)
    with pytest.raises(PermissionDenied):
        services.issue_create(actor=user, month=datetime.date(2024, 8, 1))
    with pytest.raises(PermissionDenied):
        services.section_add(actor=user, issue=issue, heading="x", body="y")
    with pytest.raises(PermissionDenied):
        services.issue_approve(actor=user, issue=issue)
    with pytest.raises(PermissionDenied):
        services.issue_publish(actor=user, issue=issue)


def test_foreword_author_must_have_held_the_post(admin_user):
    shropshire = OrganisationFactory(name="Shropshire Council", short_name="Shropshire")
    post = PostFactory(
        title="Director of Children's Services",
        organisation=shropshire,
        category=Post.Category.DIRECTOR,
    )
    tanya = PersonFactory(name="Tanya Miles")
    other = PersonFactory(name="Someone Else")
    AppointmentFactory(person=tanya, post=post, start=datetime.date(2024, 1, 1))
    issue = services.issue_create(
        actor=admin_user,
        month=datetime.date(2024, 7, 1),
        foreword="Hello",
        foreword_author=tanya,
        foreword_post=post,
        sign_off="Kind regards",
    )
    assert issue.author_line == "From Shropshire’s DCS"
    assert issue.signature == "Tanya Miles"
    with pytest.raises(services.NewsletterError) as error:
        services.issue_create(
            actor=admin_user,
            month=datetime.date(2024, 8, 1),
            foreword_author=other,
            foreword_post=post,
        )
    assert error.value.field == "foreword_post"


def test_section_markdown_is_sanitised(admin_user, issue):
    section = services.section_add(
        actor=admin_user,
        issue=issue,
        heading="Ofsted",
        body="**Good** news <script>alert('x')</script> [report](javascript:alert(1))",
    )
    assert "<strong>Good</strong>" in section.body_html
    assert "<script" not in section.body_html
    assert "alert" not in section.body_html
    assert "javascript:" not in section.body_html


def test_empty_section_refused(admin_user, issue):
    with pytest.raises(services.NewsletterError) as error:
        services.section_add(actor=admin_user, issue=issue, heading=" ", body="")
    assert error.value.field == "heading"


def test_sections_reorder_up_and_down(admin_user, issue):
    a, b, c = (
        services.section_add(actor=admin_user, issue=issue, heading=h, body="")
        for h in ("A", "B", "C")
    )
    services.section_move(actor=admin_user, section=c, direction="up")
    assert [s.heading for s in issue.sections.all()] == ["A", "C", "B"]
    services.section_move(actor=admin_user, section=a, direction="up")  # already first
    services.section_move(actor=admin_user, section=a, direction="down")
    assert [s.heading for s in issue.sections.all()] == ["C", "A", "B"]
    services.section_delete(actor=admin_user, section=b)
    assert [s.heading for s in issue.sections.all()] == ["C", "A"]


def test_the_drafter_cannot_approve(admin_user, second_admin, issue):
    services.section_add(actor=admin_user, issue=issue, heading="A", body="text")
    with pytest.raises(services.NewsletterError) as error:
        services.issue_approve(actor=admin_user, issue=issue)
    assert error.value.code == "same_admin"
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT
    approved = services.issue_approve(actor=second_admin, issue=issue)
    assert approved.status == Issue.Status.APPROVED
    assert approved.approved_by == second_admin
    assert approved.approved_at is not None


def test_publish_needs_approval_and_editing_reopens(admin_user, second_admin, issue):
    section = services.section_add(actor=admin_user, issue=issue, heading="A", body="text")
    with pytest.raises(services.NewsletterError):
        services.issue_publish(actor=admin_user, issue=issue)
    services.issue_approve(actor=second_admin, issue=issue)
    services.section_update(actor=admin_user, section=section, heading="A", body="changed")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT
    assert issue.approved_by is None
    services.issue_approve(actor=second_admin, issue=issue)
    published = services.issue_publish(actor=admin_user, issue=issue)
    assert published.status == Issue.Status.PUBLISHED
    assert published.published_at is not None
    with pytest.raises(services.NewsletterError):
        services.issue_delete(actor=admin_user, issue=published)


def test_scheduled_publication_runs_when_due(admin_user, second_admin, issue):
    services.section_add(actor=admin_user, issue=issue, heading="A", body="text")
    services.issue_approve(actor=second_admin, issue=issue)
    with pytest.raises(services.NewsletterError) as error:
        services.issue_schedule(
            actor=admin_user, issue=issue, when=timezone.now() - datetime.timedelta(hours=1)
        )
    assert error.value.field == "publish_at"
    when = timezone.now() + datetime.timedelta(hours=2)
    with pytest.MonkeyPatch.context() as patch:
        calls = []
        patch.setattr(tasks, "schedule_publication", lambda pk, at: calls.append((pk, at)))
        services.issue_schedule(actor=admin_user, issue=issue, when=when)
    issue.refresh_from_db()
    assert issue.publish_at == when and issue.status == Issue.Status.APPROVED
    # Not due yet: the task leaves it alone.
    assert tasks.publish_scheduled_issue.call(issue.pk) is False
    assert services.issue_publish_if_due(issue_id=issue.pk, now=when) is True
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED
    assert issue.published_at == when


def test_scheduled_task_is_enqueued_on_commit(admin_user, second_admin, issue, monkeypatch):
    services.section_add(actor=admin_user, issue=issue, heading="A", body="text")
    services.issue_approve(actor=second_admin, issue=issue)
    calls = []
    monkeypatch.setattr(tasks, "schedule_publication", lambda pk, at: calls.append(pk))
    with transaction.atomic():
        services.issue_schedule(
            actor=admin_user, issue=issue, when=timezone.now() + datetime.timedelta(days=1)
        )
        assert calls == []
    # pytest-django's test transaction never commits; run the hooks it collected.
    from django.db import connection

    for _, hook, _ in connection.run_on_commit:
        hook()
    assert calls == [issue.pk]


def test_publish_due_issues_sweeps_overdue(admin_user, second_admin, issue):
    services.section_add(actor=admin_user, issue=issue, heading="A", body="text")
    services.issue_approve(actor=second_admin, issue=issue)
    Issue.objects.filter(pk=issue.pk).update(
        publish_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert tasks.publish_due_issues.call() == 1
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED


def test_comments_are_held_and_moderated(member, admin_user, published_issue):
    comment = services.comment_create(user=member, issue=published_issue, body=" Thank you ")
    assert comment.status == Comment.Status.HELD
    assert comment.body == "Thank you"
    services.comment_moderate(actor=admin_user, comment=comment, approve=True)
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    assert comment.moderated_by == admin_user
    with pytest.raises(PermissionDenied):
        services.comment_moderate(actor=member, comment=comment, approve=False)


def test_anonymous_comments_are_impossible(published_issue):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.comment_create(user=AnonymousUser(), issue=published_issue, body="Hi")
    with pytest.raises(PermissionDenied):
        services.comment_create(user=None, issue=published_issue, body="Hi")
    # And the database refuses a comment without a user.
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(issue=published_issue, user=None, body="Hi")
    assert not Comment.objects.exists()


def test_comment_validation(member, issue, published_issue):
    with pytest.raises(services.NewsletterError) as error:
        services.comment_create(user=member, issue=published_issue, body="   ")
    assert error.value.field == "body"
    with pytest.raises(services.NewsletterError):
        services.comment_create(user=member, issue=issue, body="On a draft")


def test_views_count_once_per_visitor_per_day(published_issue):
    day = datetime.date(2024, 6, 3)
    for _ in range(3):
        services.issue_view_record(issue_id=published_issue.pk, visitor="a" * 64, day=day)
    services.issue_view_record(issue_id=published_issue.pk, visitor="b" * 64, day=day)
    services.issue_view_record(
        issue_id=published_issue.pk, visitor="a" * 64, day=day + datetime.timedelta(days=1)
    )
    assert IssueView.objects.filter(issue=published_issue).count() == 3


# Drafting from the records ---------------------------------------------------------------------


@pytest.fixture
def dudley_records(db):
    dudley = OrganisationFactory(name="Dudley Metropolitan Borough Council", short_name="Dudley")
    worcs = OrganisationFactory(name="Worcestershire County Council", short_name="Worcestershire")
    dcs = "Director of Children's Services"
    dudley_dcs = PostFactory(title=dcs, organisation=dudley, category=Post.Category.DIRECTOR)
    worcs_dcs = PostFactory(title=dcs, organisation=worcs, category=Post.Category.DIRECTOR)
    network = OrganisationFactory(name="DCS Network", kind=Organisation.Kind.NETWORK)
    chair = PostFactory(
        title="Chair, DCS Network", organisation=network, category=Post.Category.NETWORK_OFFICER
    )
    AppointmentFactory(
        person=PersonFactory(name="Karen Graham"), post=dudley_dcs, start=datetime.date(2024, 7, 1)
    )
    AppointmentFactory(
        person=PersonFactory(name="Tina Russell"),
        post=worcs_dcs,
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2024, 6, 30),
    )
    AppointmentFactory(
        person=PersonFactory(name="Nigel Minns"),
        post=chair,
        start=datetime.date(2024, 7, 1),
        start_approximate=True,
        on_behalf_of=worcs,
    )
    # Not a leadership post: not news for the Regional Update.
    AppointmentFactory(
        person=PersonFactory(name="Hidden Person"),
        post=PostFactory(organisation=dudley, category=Post.Category.HEAD_OF_SERVICE),
        start=datetime.date(2024, 7, 2),
    )


def test_draft_writes_dcs_updates_since_the_previous_issue(admin_user, dudley_records):
    services.issue_create(actor=admin_user, month=datetime.date(2024, 5, 1))
    issue = services.issue_create(actor=admin_user, month=datetime.date(2024, 7, 1))
    sections = services.issue_draft_from_records(actor=admin_user, issue=issue)
    dcs = next(s for s in sections if s.heading == "DCS updates")
    assert (
        "Karen Graham became Director of Children's Services at Dudley on 1 July 2024." in dcs.body
    )
    assert "Tina Russell left the post of Director of Children's Services at Worcestershire" in (
        dcs.body
    )
    assert "Nigel Minns became Chair, DCS Network (for Worcestershire) in July 2024." in (dcs.body)
    assert "Hidden Person" not in dcs.body
    assert "<li>" in dcs.body_html
    # No inspections, events or programmes in the records: no empty sections.
    assert [s.heading for s in issue.sections.all()] == ["DCS updates"]


def test_draft_again_refreshes_instead_of_duplicating(admin_user, dudley_records, issue):
    own = services.section_add(actor=admin_user, issue=issue, heading="Mine", body="kept")
    services.issue_draft_from_records(actor=admin_user, issue=issue)
    services.issue_draft_from_records(actor=admin_user, issue=issue)
    assert Section.objects.filter(issue=issue, heading="DCS updates").count() == 1
    own.refresh_from_db()
    assert own.body == "kept"


def test_draft_period_starts_after_previous_issue(admin_user):
    services.issue_create(actor=admin_user, month=datetime.date(2024, 4, 1))
    issue = services.issue_create(actor=admin_user, month=datetime.date(2024, 7, 1))
    assert services.draft_period(issue) == (datetime.date(2024, 5, 1), datetime.date(2024, 7, 31))


def test_draft_with_nothing_in_the_records_adds_nothing(admin_user, issue):
    assert services.issue_draft_from_records(actor=admin_user, issue=issue) == []
    assert not issue.sections.exists()


def test_draft_includes_inspections_and_events(admin_user, issue):
    from regionhub.events.models import Event
    from regionhub.inspections.models import Framework, Inspection

    authority = OrganisationFactory(name="Birmingham City Council", short_name="Birmingham")
    framework = Framework.objects.first()
    if framework is None:
        pytest.skip("the inspections app ships no framework to hang an inspection on")
    Inspection.objects.create(
        authority=authority,
        type=Inspection.Type.choices[0][0],
        framework=framework,
        start=datetime.date(2024, 5, 1),
        end=datetime.date(2024, 5, 10),
        published=datetime.date(2024, 7, 3),
    )
    start = timezone.now() + datetime.timedelta(days=30)
    Event.objects.create(
        title="Safeguarding Conference",
        status=Event.Status.PUBLISHED,
        capacity=50,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=6),
        venue="Birmingham",
    )
    services.issue_draft_from_records(actor=admin_user, issue=issue)
    headings = [s.heading for s in issue.sections.all()]
    assert "Inspections" in headings
    assert "Key Events" in headings
    events = issue.sections.get(heading="Key Events")
    assert "Safeguarding Conference" in events.body and "50 places left" in events.body
    inspections = issue.sections.get(heading="Inspections")
    assert "Birmingham" in inspections.body and "3 July 2024" in inspections.body
