"""Mailing lists in a real browser: subscribe with double opt-in through the emailed link,
unsubscribe through the link in an issue, preferences, and the admins' pages; axe on every
page."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from regionhub.mailing import emails
from regionhub.mailing.models import MailingList, Subscription
from regionhub.newsletter.models import Issue

from .conftest import ADMIN, check_axe, check_error_summary, sign_in, submit, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADDRESS = "sam.reader@example.org"


def _path(url: str) -> str:
    return urlsplit(url).path


def test_subscribe_confirm_and_unsubscribe(page, demo):
    mailing_list = MailingList.objects.get(name="Regional Update")
    mail.outbox.clear()
    cache.clear()  # the subscribe form's per-connection limit

    visit(page, "/mailing/subscribe/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscribe to the Regional Update")
    page.get_by_label("Your name").fill("Sam Reader")
    page.get_by_label("Email address").fill("sam.reader@")
    submit(page, "Subscribe")
    check_error_summary(page, "Enter an email address in the correct format, like name@example.org")
    expect(page.get_by_label("Your name")).to_have_value("Sam Reader")
    page.get_by_label("Email address").fill(ADDRESS)
    page.get_by_label("Organisation").fill("Dudley Council")
    submit(page, "Subscribe")
    expect(page.locator(".govuk-panel")).to_contain_text("Check your email")

    [message] = [m for m in mail.outbox if m.to == [ADDRESS]]
    link = re.search(r"https?://\S+/mailing/confirm/\S+/", message.body)[0]
    subscription = Subscription.objects.get(subscriber__email=ADDRESS, mailing_list=mailing_list)
    assert subscription.status == Subscription.Status.PENDING

    visit(page, _path(link))
    expect(page.locator("main")).to_contain_text("Regional Update")
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PENDING
    submit(page, "Confirm my subscription")
    expect(page.locator(".govuk-panel")).to_contain_text("Subscription confirmed")
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CONFIRMED
    assert "Double opt-in" in subscription.consent_note

    # The issue email as a campaign would send it to this subscriber.
    issue = Issue.objects.published().order_by("-month").first()
    email = emails.personalise(
        emails.issue_email(issue),
        subscriber_id=subscription.subscriber_id,
        list_id=mailing_list.pk,
        email=ADDRESS,
        name="Sam Reader",
    )
    assert "Dear Sam Reader," in email.body
    preferences = re.search(r"https?://\S+/mailing/preferences/\S+/", email.body)[0]
    visit(page, _path(preferences))
    expect(page.get_by_label("Regional Update")).to_be_checked()
    expect(page.get_by_label("Organisation")).to_have_value("Dudley Council")

    unsubscribe = re.search(r"Unsubscribe: (https?://\S+/mailing/unsubscribe/\S+/)", email.body)[1]
    assert email.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    visit(page, _path(unsubscribe))
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from Regional Update")
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CONFIRMED
    submit(page, "Unsubscribe")
    expect(page.locator(".govuk-panel")).to_contain_text("You are unsubscribed")
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.UNSUBSCRIBED

    visit(page, _path(unsubscribe)[:-6] + "xxxxx/", status=400)
    expect(page.locator("#link-problem")).to_contain_text("This link is not valid")


def test_admin_pages(page, demo):
    mailing_list = MailingList.objects.get(name="Regional Update")
    sign_in(page, ADMIN)
    visit(page, "/mailing/lists/")
    expect(page.get_by_role("table")).to_contain_text("Regional Update")
    page.get_by_role("table").get_by_role("link", name="Regional Update", exact=True).click()
    page.wait_for_url(f"**/mailing/lists/{mailing_list.pk}/")
    check_axe(page)
    expect(page.locator("#list-counts")).to_contain_text("29")

    page.get_by_role("link", name="Add a subscriber").click()
    page.wait_for_url("**/add/")
    check_axe(page)
    page.get_by_label("Email address").fill("new.colleague@example.org")
    submit(page, "Add the subscriber")
    check_error_summary(page, "Say how and when this person agreed to receive the list")
    page.get_by_label("Consent note").fill("Asked at the DCS Network, 4 July 2024")
    submit(page, "Add the subscriber")
    expect(page.locator("main")).to_contain_text("new.colleague@example.org added")

    visit(page, f"/mailing/lists/{mailing_list.pk}/?q=new.colleague")
    expect(page.locator("#subscribers")).to_contain_text("Asked at the DCS Network")

    visit(page, f"/mailing/lists/{mailing_list.pk}/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": "list.csv",
                "mimeType": "text/csv",
                "buffer": b"email,name,consent note\nbad-address,X,Yes\nok@example.org,Ok,\n",
            }
        ]
    )
    submit(page, "Check the file")
    expect(page.locator("#rejected")).to_contain_text("Not a valid email address")
    expect(page.locator("#rejected")).to_contain_text("No consent note")

    visit(page, "/mailing/suppression/")
    expect(page.locator("#suppressions")).to_contain_text("old.mailbox@walsall.example")
    page.get_by_role("link", name="Add an address").click()
    page.wait_for_url("**/suppression/add/")
    check_axe(page)
