"""Networks and plan journeys in a real browser on the demo data, with axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from regionhub.directory.models import Organisation, Person
from regionhub.networks.models import Action, Attendance, Group, Meeting
from regionhub.plan.models import Initiative

from .conftest import ADMIN, COORDINATOR_TELFORD, check_error_summary, sign_in, submit, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_record_a_meeting_with_attendance_decisions_and_actions(page, demo):
    group = Group.objects.get(name="RCLO Board")
    sign_in(page, ADMIN)
    visit(page, "/networks/")
    page.get_by_role("link", name="RCLO Board").click()
    page.wait_for_url(re.compile(rf"/networks/groups/{group.pk}/"))
    check_axe_on(page)
    page.get_by_role("link", name="Record a meeting").click()
    page.get_by_label("Date of the meeting").fill("10/6/2025")
    page.get_by_label("Place").fill("Telford")
    submit(page, "Save the meeting")
    meeting = Meeting.objects.get(group=group, place="Telford")
    expect(page.locator("h1")).to_contain_text("Meeting of 10 June 2025")

    page.get_by_role("link", name="Record attendance").click()
    page.wait_for_url(re.compile(r"/attendance/"))
    check_axe_on(page)
    telford = Organisation.objects.get(short_name="Telford & Wrekin")
    dudley = Organisation.objects.get(short_name="Dudley")
    page.get_by_label("Dudley: attendance").select_option("deputy")
    submit(page, "Save attendance")
    check_error_summary(page, "Dudley: Choose who attended")
    expect(page.get_by_label("Dudley: attendance")).to_have_value("deputy")
    jo = Person.objects.get(name="Jo Britton")
    page.get_by_label("Telford & Wrekin: attendance").select_option("present")
    page.get_by_label("Telford & Wrekin: who").select_option(str(jo.pk))
    page.get_by_label("Dudley: attendance").select_option("apologies")
    submit(page, "Save attendance")
    row = page.locator("tr", has_text="Telford & Wrekin")
    expect(row).to_contain_text("Jo Britton, Director of Children's Services, Telford & Wrekin")
    assert Attendance.objects.get(meeting=meeting, authority=telford).person == jo
    assert Attendance.objects.get(meeting=meeting, authority=dudley).status == "apologies"

    page.get_by_role("link", name="Record a decision").click()
    page.get_by_label("Decision").fill("Publish the offer's first annual report")
    submit(page, "Record the decision")
    expect(page.locator("#decisions + ol")).to_contain_text("first annual report")

    page.get_by_role("link", name="Record an action").click()
    page.get_by_label("Action", exact=True).fill("Draft the annual report")
    page.get_by_label("Due date").fill("1/9/2025")
    submit(page, "Record the action")
    check_error_summary(page, "Choose who owns the action")
    # The owner is found by a search: live as one types, with only the results replaced.
    search = page.get_by_label("Search for the owner by name or email")
    search.fill("yates")
    expect(page.get_by_role("radio", name="Chris Yates")).to_be_visible()
    expect(page.locator("#owner-results")).to_contain_text("whose name or email contains ‘yates’")
    check_axe_on(page)
    page.get_by_role("radio", name="Chris Yates").check()
    # The Search button (the way without JavaScript) brings the form back as it was typed.
    search.fill("britton")
    submit(page, "Search")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.get_by_label("Action", exact=True)).to_have_value("Draft the annual report")
    expect(page.get_by_label("Due date")).to_have_value("1/9/2025")
    expect(page.get_by_role("radio", name="Chris Yates")).to_be_checked()
    expect(page.get_by_role("radio", name="Jo Britton")).to_be_visible()
    page.get_by_label("Due date").fill("1/6/2025")
    submit(page, "Record the action")
    check_error_summary(
        page, "The action cannot be due (1 June 2025) before its meeting (10 June 2025)."
    )
    expect(page.get_by_label("Action", exact=True)).to_have_value("Draft the annual report")
    expect(page.get_by_role("radio", name="Chris Yates")).to_be_checked()
    page.get_by_label("Due date").fill("1/9/2025")
    submit(page, "Record the action")
    expect(page.locator("#actions ~ table").first).to_contain_text("Draft the annual report")
    action = Action.objects.get(meeting=meeting, description="Draft the annual report")
    assert action.owner.name == "Chris Yates"

    visit(page, f"/networks/groups/{group.pk}/")
    expect(page.locator("#open-actions ~ table").first).to_contain_text("Draft the annual report")

    visit(page, meeting.get_absolute_url())
    # Changing it: the current owner is shown, chosen, and kept when saved.
    page.get_by_role("link", name="Change the action: Draft the annual report").click()
    page.wait_for_url(re.compile(rf"/networks/actions/{action.pk}/"))
    check_axe_on(page)
    expect(page.get_by_role("radio", name="Chris Yates")).to_be_checked()
    expect(page.locator("#owner-results")).to_contain_text("the current owner")
    page.get_by_label("Status").select_option("done")
    submit(page, "Save the action")
    action.refresh_from_db()
    assert action.status == "done" and action.owner.name == "Chris Yates"

    visit(page, "/networks/actions/overdue/")
    expect(page.locator("#overdue")).to_contain_text(re.compile(r"\d+ overdue actions?"))
    expect(page.get_by_role("button", name="Email the owners now")).to_be_visible()


def test_regional_tracker_and_an_authority_tracker(page, demo):
    sign_in(page, ADMIN)
    visit(page, "/networks/engagement/?kind=year&on=1/6/2024")
    expect(page.locator("h1")).to_contain_text("Financial year 2024/25")
    expect(page.locator("#engagement")).to_contain_text("Telford & Wrekin")
    # The DCS Network and the groups reporting to it; another network is one choice away.
    expect(page.locator("#network")).to_contain_text("DCS Network")
    expect(page.locator("#engagement thead")).to_contain_text("RCLO Board")
    page.get_by_label("Network").select_option(label="Lead Members network")
    submit(page, "Show")
    expect(page.locator("#network")).to_contain_text("Lead Members network")
    expect(page.locator("#engagement thead")).not_to_contain_text("RCLO Board")
    expect(page.locator("h1")).to_contain_text("Financial year 2024/25")
    page.get_by_label("Network").select_option(label="DCS Network")
    submit(page, "Show")
    page.get_by_role("button", name="Email each authority its tracker").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("are on their way")
    check_axe_on(page)

    page.context.clear_cookies()
    sign_in(page, COORDINATOR_TELFORD)
    telford = Organisation.objects.get(short_name="Telford & Wrekin")
    visit(page, "/networks/")
    page.get_by_role("link", name="Engagement tracker for Telford & Wrekin").click()
    page.wait_for_url(re.compile(rf"/networks/engagement/authorities/{telford.pk}/"))
    check_axe_on(page)
    expect(page.locator("#tracker")).to_contain_text("DCS Network")
    page.get_by_label("Period").select_option("year")
    page.get_by_label("Containing the date").fill("1/6/2023")
    submit(page, "Show")
    expect(page.locator("h1")).to_contain_text("Financial year 2023/24")
    visit(page, "/networks/engagement/", status=404)
    dudley = Organisation.objects.get(short_name="Dudley")
    visit(page, f"/networks/engagement/authorities/{dudley.pk}/", status=404)


def test_add_a_status_update_and_see_the_plan_as_at_an_earlier_date(page, demo):
    initiative = Initiative.objects.get(title="Collective work on AI")
    sign_in(page, ADMIN)
    visit(page, "/plan/")
    page.get_by_role("link", name="Collective work on AI").click()
    page.wait_for_url(re.compile(rf"/plan/initiatives/{initiative.pk}/"))
    check_axe_on(page)
    page.get_by_role("link", name="Add a status update").click()
    page.get_by_label("Date of the update").fill("2/6/2025")
    page.get_by_label("What has happened").fill("Scoping paper agreed")
    submit(page, "Add the update")
    check_error_summary(page, "Choose a RAG rating: red, amber or green")
    expect(page.get_by_label("What has happened")).to_have_value("Scoping paper agreed")
    page.get_by_label("RAG rating").select_option("green")
    submit(page, "Add the update")
    expect(page.locator("#timeline + ol")).to_contain_text("Scoping paper agreed")

    visit(page, "/plan/?date=1/7/2025")
    row = page.locator("#plan tr", has_text="Collective work on AI")
    expect(row).to_contain_text("Green")
    page.get_by_label("As at").fill("1/2/2025")
    submit(page, "Show")
    row = page.locator("#plan tr", has_text="Collective work on AI")
    expect(row).to_contain_text("Amber")
    expect(row).not_to_contain_text("Scoping paper agreed")


def check_axe_on(page) -> None:
    from .conftest import check_axe

    check_axe(page)
