"""Programmes in a real browser on the demo data: registering interest, applying, nominating
and endorsing, confirming, withdrawing so that the place moves on, and a mentee application the
line manager endorses through the emailed link; axe on every page."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from regionhub.programmes.models import Application, Cohort, MenteeApplication

from .conftest import ADMIN, MEMBER, check_axe, check_error_summary, sign_in, submit, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COORDINATOR_DUDLEY = "coordinator.dudley@regionhub.example"
GOALS = "Prepare for my first team manager post and learn to run group supervision"


def switch_user(page, email: str) -> None:
    page.context.clear_cookies()
    sign_in(page, email)


def banner(page):
    return page.locator(".govuk-notification-banner")


def row(page, name: str):
    return page.locator("#applications").get_by_role("row", name=re.compile(re.escape(name)))


def test_register_interest_apply_endorse_confirm_accept(page, demo):
    sign_in(page, MEMBER)
    visit(page, "/programmes/")
    page.get_by_role("link", name="Aspirant Leaders Programme").click()
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    check_axe(page)
    page.get_by_label("Team manager").check()
    submit(page, "Register interest")
    expect(banner(page)).to_contain_text("Your interest is registered")

    cohort = Cohort.objects.get(programme__title="Breaking Through", name="Second cohort")
    visit(page, cohort.get_absolute_url())
    page.get_by_label("Why you want to take part").fill("I manage a fostering team")
    submit(page, "Apply for a place")
    expect(page.locator("#my-status")).to_contain_text("Applied")

    switch_user(page, COORDINATOR_DUDLEY)
    visit(page, cohort.get_absolute_url())
    submit(page, "Endorse Karen Graham")
    expect(row(page, "Karen Graham")).to_contain_text("Endorsed")

    switch_user(page, ADMIN)
    visit(page, cohort.get_absolute_url())
    submit(page, "Confirm place Karen Graham")
    expect(row(page, "Karen Graham")).to_contain_text("Place confirmed")

    switch_user(page, MEMBER)
    visit(page, cohort.get_absolute_url())
    submit(page, "Accept your place")
    expect(page.locator("#my-status")).to_contain_text("Accepted")


def test_nominate_endorse_withdraw_and_the_place_moves_on(page, demo):
    cohort = Cohort.objects.get(programme__title="SEND Leadership Programme")
    holder = Application.objects.get(
        cohort=cohort, authority__short_name="Dudley", status=Application.Status.ENDORSED
    ).person.name
    sign_in(page, COORDINATOR_DUDLEY)
    visit(page, cohort.get_absolute_url())
    page.get_by_label("Find them by name or email").fill("karen")
    submit(page, "Find a colleague to nominate")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nominate a colleague")
    # Nothing chosen: the error summary links to the list and the search is kept.
    submit(page, "Nominate")
    check_error_summary(page, "Choose who to nominate")
    expect(page.get_by_label("Search by name or email")).to_have_value("karen")
    # The live search narrows the list as one types, without leaving the page.
    page.get_by_label("Search by name or email").fill("zzz")
    expect(page.locator("#results")).to_contain_text("Nobody you can nominate matches")
    page.get_by_label("Search by name or email").fill("Karen Gra")
    expect(page.locator("#results")).to_contain_text("Karen Graham")
    check_axe(page)
    page.get_by_label("Karen Graham").check()
    page.get_by_label("Why this person").fill("Ready for strategic SEND work")
    submit(page, "Nominate")
    expect(banner(page)).to_contain_text("Karen Graham is nominated")
    submit(page, "Endorse Karen Graham")
    expect(row(page, "Karen Graham")).to_contain_text("Endorsed, waiting for a place")

    submit(page, f"Withdraw {holder}")
    expect(row(page, holder)).to_contain_text("Withdrawn")
    expect(row(page, "Karen Graham")).to_contain_text("Endorsed")
    expect(row(page, "Karen Graham")).not_to_contain_text("waiting")
    karen = Application.objects.get(cohort=cohort, person__name="Karen Graham")
    assert karen.status == Application.Status.ENDORSED


def test_mentee_applies_and_the_line_manager_endorses_through_the_emailed_link(page, demo):
    sign_in(page, MEMBER)
    visit(page, "/programmes/mentoring/")
    page.get_by_role("link", name=re.compile("^Apply to be mentored")).click()
    page.wait_for_url(re.compile(r"/apply/$"))
    check_axe(page)
    page.get_by_label("What you want from mentoring").fill(GOALS)
    page.get_by_label("Leadership and management").check()
    page.get_by_label("Your line manager's name").fill("Sam Manager")
    page.get_by_label("Your line manager's email address").fill("sam.manager@dudley.gov.uk")
    mail.outbox.clear()
    submit(page, "Send application")
    expect(page.locator("#mentee-status")).to_contain_text("Waiting for the line manager")

    [message] = [m for m in mail.outbox if m.to == ["sam.manager@dudley.gov.uk"]]
    assert GOALS not in message.body
    link = re.search(r"https?://\S+/programmes/mentoring/endorse/\S+/", message.body)[0]
    path = "/" + link.split("/", 3)[3]

    page.context.clear_cookies()
    visit(page, path)
    assert GOALS not in page.content()
    assert "Leadership and management" not in page.content()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support a mentoring application")
    page.get_by_label("Yes, I support it").check()
    submit(page, "Send answer")
    expect(page.locator(".govuk-panel")).to_contain_text("Answer sent")

    visit(page, path[:-6] + "xxxxx/", status=400)
    expect(page.locator("#link-problem")).to_contain_text("This link is not valid")

    application = MenteeApplication.objects.get(person__name="Karen Graham")
    assert application.status == MenteeApplication.Status.SUPPORTED
    switch_user(page, ADMIN)
    visit(page, f"/programmes/mentoring/applications/{application.pk}/")
    expect(page.locator("#mentee-status")).to_contain_text("Supported by the line manager")


def test_admin_pages_read_well(page, demo):
    from django.utils import timezone

    from regionhub.programmes.models import Programme

    sign_in(page, ADMIN)
    aspirant = Programme.objects.get(title="Aspirant Leaders Programme")
    visit(page, f"/programmes/{aspirant.pk}/demand/")
    expect(page.get_by_role("table")).to_contain_text("All authorities")
    visit(page, "/programmes/savings/")
    expect(page.locator("main")).to_contain_text("Total saved: £")
    page.locator("#savings-years").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"\?year=\d{4}-\d{2}$"))
    check_axe(page)
    page.locator("#savings-programmes").get_by_role("link", name="Breaking Through").click()
    page.wait_for_url(re.compile(r"programme=\d+"))
    check_axe(page)
    expect(page.locator("#savings-cohorts")).to_contain_text("Pilot cohort")

    year = timezone.localdate().year - 1
    visit(page, f"/programmes/awards/?year={year}")
    expect(page.get_by_role("table")).to_contain_text("Winner")
    page.locator("#award-ceremony").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/events/\d+/$"))
    check_axe(page)
    visit(page, "/programmes/?q=send")
    expect(page.locator("#results")).to_contain_text("SEND Leadership Programme")
    expect(page.locator("#results")).not_to_contain_text("Breaking Through")
    visit(page, f"/programmes/{aspirant.pk}/cohorts/add/")
    submit(page, "Save")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Name the cohort")
