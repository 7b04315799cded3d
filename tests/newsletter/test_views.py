import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regionhub.newsletter import services
from regionhub.newsletter.models import Comment, Issue, IssueView

CHROME_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


def _published(admin, approver, month, **fields):
    issue = services.issue_create(actor=admin, month=month, **fields)
    services.section_add(actor=admin, issue=issue, heading="Ofsted", body=f"News {month:%B}")
    services.issue_approve(actor=approver, issue=issue)
    return services.issue_publish(actor=admin, issue=issue)


@pytest.mark.parametrize("who", [None, "member", "coordinator"])
def test_manage_pages_are_404_for_non_admins(client, who, member, coordinator, issue):
    if who:
        client.force_login({"member": member, "coordinator": coordinator}[who])
    for name, args in [
        ("newsletter:manage", []),
        ("newsletter:issue-create", []),
        ("newsletter:issue-manage", [issue.pk]),
        ("newsletter:issue-preview", [issue.pk]),
        ("newsletter:comment-queue", []),
        ("newsletter:import", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
    assert client.post(reverse("newsletter:issue-approve", args=[issue.pk])).status_code == 404
    assert client.post(reverse("newsletter:issue-draft", args=[issue.pk])).status_code == 404


def test_draft_issues_are_not_public(client, issue):
    response = client.get(reverse("newsletter:issue-detail", args=[2024, 7]))
    assert response.status_code == 404


def test_compose_and_error_summary(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("newsletter:issue-create"), {"month": "Julember 2024"})
    assert response.status_code == 200
    assert "Enter the month as a month name and year" in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    response = client.post(reverse("newsletter:issue-create"), {"month": "July 2024"})
    issue = Issue.objects.get()
    assert response.url == reverse("newsletter:issue-manage", args=[issue.pk])
    again = client.post(reverse("newsletter:issue-create"), {"month": "2024-07"})
    assert "There is already an issue for July 2024." in again.content.decode()
    response = client.post(
        reverse("newsletter:section-create", args=[issue.pk]), {"heading": "", "body": ""}
    )
    assert "Enter a heading or some text for the section." in response.content.decode()
    client.post(
        reverse("newsletter:section-create", args=[issue.pk]),
        {"heading": "Ofsted", "body": "Good <script>x()</script>"},
    )
    page = client.get(reverse("newsletter:issue-preview", args=[issue.pk])).content.decode()
    assert "Ofsted" in page and "<script>x()" not in page


def test_drafter_sees_no_approve_button_and_approval_is_refused(client, admin_user, issue):
    client.force_login(admin_user)
    page = client.get(reverse("newsletter:issue-manage", args=[issue.pk])).content.decode()
    assert "Another regional admin must approve" in page
    client.post(reverse("newsletter:issue-approve", args=[issue.pk]), follow=True)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT


def test_archive_search_and_pagination(client, admin_user, second_admin):
    for n in range(12):
        _published(admin_user, second_admin, datetime.date(2023, 1, 1).replace(month=n + 1))
    page = client.get(reverse("newsletter:archive")).content.decode()
    assert "Regional Update – December 2023" in page
    assert "Regional Update – January 2023" not in page  # on page 2
    page2 = client.get(reverse("newsletter:archive"), {"page": 2}).content.decode()
    assert "Regional Update – January 2023" in page2
    found = client.get(reverse("newsletter:archive"), {"q": "news march"}).content.decode()
    assert "Regional Update – March 2023" in found
    assert "Regional Update – April 2023" not in found
    assert "1 issue mention" in found


def test_archive_query_count_is_bounded(
    client, admin_user, second_admin, django_assert_max_num_queries
):
    for n in range(12):
        _published(admin_user, second_admin, datetime.date(2022, 1, 1).replace(month=n + 1))
    with django_assert_max_num_queries(4):
        client.get(reverse("newsletter:archive"))


def test_issue_page_counts_views_once_per_visitor_per_day(client, admin_user, second_admin):
    issue = _published(admin_user, second_admin, datetime.date(2024, 7, 1))
    url = issue.get_absolute_url()
    for _ in range(3):
        client.get(url, HTTP_USER_AGENT=CHROME_UA)
    client.get(url, HTTP_USER_AGENT=CHROME_UA, REMOTE_ADDR="10.0.0.2")
    client.get(url, HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)")
    client.get(url, HTTP_USER_AGENT="")
    assert IssueView.objects.filter(issue=issue).count() == 2
    page = client.get(url, HTTP_USER_AGENT=CHROME_UA).content.decode()
    assert "2 views" in page


def test_views_are_counted_when_the_page_comes_from_the_cache(
    client, admin_user, second_admin, settings
):
    settings.PAGE_CACHE = True
    issue = _published(admin_user, second_admin, datetime.date(2024, 7, 1))
    url = issue.get_absolute_url()
    client.get(url, HTTP_USER_AGENT=CHROME_UA)
    client.get(url, HTTP_USER_AGENT=CHROME_UA, REMOTE_ADDR="10.0.0.9")
    assert IssueView.objects.filter(issue=issue).count() == 2


def test_issue_page_query_count_is_bounded(
    client, admin_user, second_admin, member, django_assert_max_num_queries
):
    issue = _published(admin_user, second_admin, datetime.date(2024, 7, 1))
    for n in range(10):
        services.section_add(actor=admin_user, issue=issue, heading=f"S{n}", body="x")
        comment = services.comment_create(user=member, issue=issue, body=f"c{n}")
        services.comment_moderate(actor=admin_user, comment=comment, approve=True)
    with django_assert_max_num_queries(8):
        client.get(issue.get_absolute_url(), HTTP_USER_AGENT=CHROME_UA)


def test_comment_flow(client, admin_user, second_admin, member):
    issue = _published(admin_user, second_admin, datetime.date(2024, 7, 1))
    url = reverse("newsletter:comment-create", args=[2024, 7])
    anonymous = client.post(url, {"body": "Hello"})
    assert anonymous.status_code == 302 and "/accounts/" in anonymous.url
    assert not Comment.objects.exists()
    assert "Sign in</a> to comment" in client.get(issue.get_absolute_url()).content.decode()

    client.force_login(member)
    empty = client.post(url, {"body": ""})
    assert "govuk-error-summary" in empty.content.decode()
    client.post(url, {"body": "Great issue"})
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.HELD
    assert "Great issue" not in client.get(issue.get_absolute_url()).content.decode()

    client.force_login(admin_user)
    queue = client.get(reverse("newsletter:comment-queue")).content.decode()
    assert "Great issue" in queue
    client.post(reverse("newsletter:comment-moderate", args=[comment.pk]), {"decision": "approve"})
    client.logout()
    assert "Great issue" in client.get(issue.get_absolute_url()).content.decode()


def test_atom_feed(client, admin_user, second_admin):
    _published(admin_user, second_admin, datetime.date(2024, 7, 1), foreword="Hello <b>all</b>")
    response = client.get("/updates/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert "<title>Regional Update – July 2024</title>" in body
    assert "/updates/2024/7/" in body


def test_publish_and_schedule_pages(client, admin_user, second_admin, issue):
    services.section_add(actor=admin_user, issue=issue, heading="A", body="b")
    services.issue_approve(actor=second_admin, issue=issue)
    client.force_login(admin_user)
    response = client.post(
        reverse("newsletter:issue-schedule", args=[issue.pk]), {"publish_at": "2001-01-01 09:00"}
    )
    assert "Choose a time in the future" in response.content.decode()
    response = client.post(
        reverse("newsletter:issue-schedule", args=[issue.pk]), {"publish_at": "2099-01-01 09:00"}
    )
    issue.refresh_from_db()
    assert issue.publish_at is not None and issue.status == Issue.Status.APPROVED
    client.post(reverse("newsletter:issue-publish", args=[issue.pk]))
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED


SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"


def test_import_page_asks_for_a_missing_month(client, admin_user):
    seed = next(iter(sorted(SEEDS.glob("001_*.txt"))), None) if SEEDS.is_dir() else None
    if seed is None:
        pytest.skip(f"the archived Regional Updates are not at {SEEDS}")
    client.force_login(admin_user)
    july = SEEDS.glob("004_*.txt").__next__()
    response = client.post(
        reverse("newsletter:import"),
        {
            "files": [
                SimpleUploadedFile(seed.name, seed.read_bytes()),
                SimpleUploadedFile(july.name, july.read_bytes()),
                SimpleUploadedFile("picture.txt", b"\x00\x01\x02binary"),
            ]
        },
    )
    page = response.content.decode()
    assert "Regional Update – July 2024" in page and "Created" in page
    assert "This is not a text or HTML file" in page
    assert f"Month of {seed.name}" in page
    assert Issue.objects.count() == 1
    form = {
        "months-TOTAL_FORMS": "1",
        "months-INITIAL_FORMS": "1",
        "months-MIN_NUM_FORMS": "0",
        "months-MAX_NUM_FORMS": "1000",
        "months-0-name": seed.name,
        "months-0-data": response.context["months"].initial[0]["data"],
        "months-0-month": "nonsense",
    }
    bad = client.post(reverse("newsletter:import"), form).content.decode()
    assert "Enter the month as a month name and year" in bad
    form["months-0-month"] = "March 2025"
    done = client.post(reverse("newsletter:import"), form).content.decode()
    assert "Regional Update – March 2025" in done
    assert Issue.objects.count() == 2


def test_signed_in_issue_page_reuses_the_article_until_the_issue_changes(
    client,
    admin_user,
    second_admin,
    member,
    settings,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    from regionhub.core.pagecache import local_pages

    settings.PAGE_CACHE = True
    local_pages.clear()
    issue = _published(admin_user, second_admin, datetime.date(2024, 7, 1))
    services.section_add(actor=admin_user, issue=issue, heading="Key Events", body="First")
    client.force_login(member)
    url = issue.get_absolute_url()
    assert "First" in client.get(url, HTTP_USER_AGENT=CHROME_UA).content.decode()
    # Cached: no section or comment query. Issue id, session, user, the view recorded, issue,
    # recent issues, view count.
    with django_assert_max_num_queries(7):
        client.get(url, HTTP_USER_AGENT=CHROME_UA)
    comment = services.comment_create(user=member, issue=issue, body="A fine foreword")
    assert "A fine foreword" not in client.get(url, HTTP_USER_AGENT=CHROME_UA).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the data version moves on commit
        services.comment_moderate(actor=admin_user, comment=comment, approve=True)
    assert "A fine foreword" in client.get(url, HTTP_USER_AGENT=CHROME_UA).content.decode()
    section = issue.sections.get(heading="Key Events")
    with django_capture_on_commit_callbacks(execute=True):
        services.section_update(
            actor=admin_user, section=section, heading="Key Events", body="Second"
        )
    page = client.get(url, HTTP_USER_AGENT=CHROME_UA).content.decode()
    assert "Second" in page and "First" not in page
