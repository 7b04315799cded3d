"""Sending in a real browser: a regional admin sends a demo issue to the demo list, starts it,
watches the progress page count up by itself (htmx) while a worker sends, pauses and resumes,
sees it finish and reads the per-recipient log; axe on every page."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from regionhub.mailing.models import Campaign, MailingList
from regionhub.mailing.tasks import Worker
from regionhub.newsletter.models import Issue

from .conftest import ADMIN, MEMBER, check_axe, check_error_summary, sign_in, submit, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_sends_an_issue_and_watches_it_go(page, demo):
    mailing_list = MailingList.objects.get(name="Regional Update")
    issue = (
        Issue.objects.published()
        .exclude(campaigns__mailing_list=mailing_list)
        .order_by("-month")
        .first()
    )
    assert issue is not None
    mail.outbox.clear()

    sign_in(page, ADMIN)
    visit(page, "/mailing/campaigns/")
    page.get_by_role("link", name="Send an issue").click()
    page.wait_for_url("**/mailing/campaigns/new/")
    check_axe(page)
    submit(page, "Continue")
    check_error_summary(page, "Choose the issue to send.", "Choose the list to send it to.")
    page.get_by_label("Issue").select_option(label=issue.title)
    page.get_by_label("Mailing list").select_option(label=mailing_list.name)
    page.get_by_label("Messages a minute, at most").fill("0")
    submit(page, "Continue")
    main = page.locator("main")
    expect(main).to_contain_text("would receive it now")

    submit(page, "Start sending")
    campaign = Campaign.objects.get(issue=issue, mailing_list=mailing_list)
    audience = campaign.deliveries.count()
    assert audience > 10
    expect(main).to_contain_text(f"Sending started to {audience} subscribers.")
    sent = page.locator('[data-count="sent"]')
    expect(sent).to_have_text("0")
    expect(page.locator('[data-count="remaining"]')).to_have_text(str(audience))

    # A worker sends one batch; the page counts it without being reloaded.
    Worker(name="browser-test", batch_size=10).send_batch(campaign)
    expect(sent).to_have_text("10", timeout=8000)
    expect(main).to_contain_text("Sending")
    check_axe(page)

    submit(page, "Pause")
    expect(main).to_contain_text("Sending paused.")
    expect(page.locator("#campaign-progress")).not_to_have_attribute("hx-trigger", "every 2s")
    submit(page, "Resume")
    expect(main).to_contain_text("Sending resumed.")

    # The worker finishes the campaign; the page notices and reloads itself with no buttons.
    Worker(name="browser-test").run(exit_when_done=True)
    expect(page.locator("main .govuk-tag").first).to_have_text("Finished", timeout=8000)
    expect(sent).to_have_text(str(audience))
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    check_axe(page)
    assert len({m.to[0] for m in mail.outbox}) == audience

    page.get_by_role("link", name="Each recipient and what happened").click()
    page.wait_for_url("**/recipients/")
    check_axe(page)
    expect(main).to_contain_text(f"{audience} recipients")
    one = campaign.deliveries.order_by("email").first().email
    page.get_by_label("Email address contains").fill(one)
    page.get_by_label("Status").select_option(label="Sent")
    submit(page, "Filter")
    expect(main).to_contain_text("1 recipient matches")
    expect(page.locator("tbody")).to_contain_text(one)

    visit(page, "/mailing/campaigns/")
    expect(page.locator("tbody")).to_contain_text(issue.title)


def test_members_cannot_see_campaigns(page, demo):
    sign_in(page, MEMBER)
    visit(page, "/mailing/campaigns/", status=404)
