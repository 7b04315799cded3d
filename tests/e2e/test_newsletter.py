"""The Regional Update in a real browser: compose from the records, approve with a second
admin, publish, and read it in the public archive; axe on every page."""

import pytest
from playwright.sync_api import expect

from regionhub.newsletter.models import Issue
from tests.factories import UserFactory

from .conftest import ADMIN, check_error_summary, sign_in, submit, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECOND_ADMIN = "second.admin@example.org"
PASSWORD = "correct horse battery"


def test_compose_approve_publish_and_read(page, demo):
    UserFactory(email=SECOND_ADMIN, name="Second Admin", role="regional_admin", is_staff=True)

    sign_in(page, ADMIN)
    visit(page, "/updates/manage/")
    page.get_by_role("link", name="Start an issue").click()
    page.wait_for_url("**/updates/manage/new/")
    submit(page, "Start the issue")
    check_error_summary(page, "This field is required.")
    page.get_by_label("Month").fill("Novembruary 2025")
    submit(page, "Start the issue")
    check_error_summary(page, "Enter the month as a month name and year, like July 2024.")
    page.get_by_label("Month").fill("November 2025")
    page.get_by_label("Foreword", exact=False).first.wait_for()
    page.locator("#id_foreword").fill("Welcome to the **November** update.")
    page.get_by_label("Sign off", exact=False).fill("Kind regards")
    page.get_by_label("Signature", exact=False).fill("The Regional Team")
    submit(page, "Start the issue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional Update – November 2025")

    submit(page, "Draft from the records")
    main = page.locator("main")
    expect(main).to_contain_text("DCS updates")
    expect(main).to_contain_text("Another regional admin must approve this issue")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    page.get_by_role("link", name="Preview", exact=True).click()
    page.wait_for_url("**/preview/")
    visit(page, page.url)
    expect(page.locator("main")).to_contain_text(
        "Nigel Minns became Chair, DCS Network (for Warwickshire) in July 2025."
    )

    page.context.clear_cookies()
    sign_in(page, SECOND_ADMIN, PASSWORD)
    issue = Issue.objects.get(month__year=2025, month__month=11)
    visit(page, f"/updates/manage/{issue.pk}/")
    submit(page, "Approve")
    expect(page.locator("main")).to_contain_text("Issue approved.")
    submit(page, "Publish now")
    expect(page.locator("main")).to_contain_text("Issue published to the archive.")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED
    assert issue.approved_by.email == SECOND_ADMIN

    page.context.clear_cookies()
    visit(page, "/updates/")
    first = page.locator("main ul.rh-update-list li").first
    expect(first).to_contain_text("Regional Update – November 2025")
    first.get_by_role("link").click()
    page.wait_for_url("**/updates/2025/11/")
    visit(page, page.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional Update – November 2025")
    expect(page.locator("main")).to_contain_text("DCS updates")
    expect(page.locator("aside")).to_contain_text("Regional Update – March 2025")

    visit(page, "/updates/?q=Minns")
    expect(page.locator("main")).to_contain_text("Regional Update – November 2025")
