"""Directory journeys in a real browser on the demo data, checking accessibility on every page."""

import re

import pytest
from playwright.sync_api import expect

from regionhub.directory.models import Person, Post

from .conftest import (
    ADMIN,
    COORDINATOR_TELFORD,
    DEMO_PASSWORD,
    MEMBER,
    STYLESHEET,
    check_axe,
    check_error_summary,
    sign_in,
    submit,
    visit,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DCS = "Director of Children's Services"


def post_url(short_name: str, title: str = DCS) -> str:
    return Post.objects.get(organisation__short_name=short_name, title=title).get_absolute_url()


def person_url(name: str) -> str:
    return Person.objects.get(name=name).get_absolute_url()


def main(page):
    return page.locator("main")


def test_pages_are_styled(page):
    with page.expect_response(lambda r: r.url.endswith(STYLESHEET)) as stylesheet:
        visit(page, "/")
    assert stylesheet.value.status == 200
    # A 200 for an empty or wrong file would still leave the page unstyled.
    heading = page.get_by_role("heading", level=1)
    font = heading.evaluate("h => getComputedStyle(h).fontFamily")
    assert "arial" in font.lower()
    assert "GDS Transport" not in font
    expect(page.locator("body")).to_have_class(re.compile(r"govuk-frontend-supported"))


def test_sign_in_as_the_admin(page, demo):
    visit(page, "/")
    page.get_by_role("banner").get_by_role("link", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/sign-in/"))
    check_axe(page)

    page.get_by_label("Email address").fill(ADMIN)
    page.get_by_label("Password").fill("not the password")
    submit(page, "Sign in")
    check_error_summary(page, "Enter a correct email address and password.")
    expect(page.get_by_label("Email address")).to_have_value(ADMIN)
    expect(page.get_by_label("Password")).to_have_value("")

    page.get_by_label("Password").fill(DEMO_PASSWORD)
    submit(page, "Sign in")
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))
    expect(page.get_by_role("banner")).to_contain_text("Regional Admin (demo)")
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_be_visible()


def test_browse_the_directory(page, demo):
    visit(page, "/directory/")
    table = page.get_by_role("table", name=re.compile(r"Member authorities"))
    expect(table.locator("caption")).to_have_text("Member authorities (16)")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(16)

    def leader_of(name: str):
        return (
            rows.filter(has=page.get_by_role("rowheader", name=name, exact=True))
            .locator("td")
            .nth(1)
        )

    expect(leader_of("Dudley Metropolitan Borough Council")).to_have_text("Karen Graham")
    expect(leader_of("Telford and Wrekin Council")).to_have_text("Jo Britton")
    expect(leader_of("Warwickshire County Council")).to_have_text("Nigel Minns")
    expect(leader_of("Worcestershire County Council")).to_have_text("Adam Johnston")
    expect(leader_of("Herefordshire Council")).to_have_text("Tina Russell")
    expect(leader_of("Coventry City Council")).to_have_text("Vacant")
    expect(leader_of("Birmingham Children's Trust")).to_have_text("Vacant")

    page.get_by_role("link", name="Dudley Metropolitan Borough Council").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dudley Metropolitan Borough Council")
    check_axe(page)
    expect(main(page)).to_contain_text("Karen Graham")
    expect(main(page)).to_contain_text("since July 2024")

    main(page).get_by_role("link", name=DCS, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DCS)
    check_axe(page)
    expect(page.locator(".govuk-caption-l")).to_contain_text("Dudley Metropolitan Borough Council")
    # Only regional admins and the holder may read handover notes, or manage the post.
    expect(main(page)).not_to_contain_text("Handover notes")
    expect(page.get_by_role("link", name="Hand over this post")).to_have_count(0)

    main(page).get_by_role("link", name="Karen Graham").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Karen Graham")
    check_axe(page)

    Person.objects.filter(name="Karen Graham").update(email="karen.graham@dudley.gov.uk")
    page.reload()
    check_axe(page)
    expect(main(page)).not_to_contain_text("karen.graham@dudley.gov.uk")
    expect(main(page).get_by_role("link", name="Sign in")).to_be_visible()

    karen = page.url
    sign_in(page, MEMBER)
    visit(page, karen)
    expect(main(page).get_by_role("link", name="karen.graham@dudley.gov.uk")).to_have_attribute(
        "href", "mailto:karen.graham@dudley.gov.uk"
    )


def test_a_persons_timeline(page, demo):
    visit(page, person_url("Jo Britton"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Jo Britton")
    items = page.locator(".rh-timeline__item")

    def entry(title: str):
        heading = re.compile("^" + re.escape(title))
        return items.filter(has=page.get_by_role("heading", name=heading))

    dcs = entry(f"{DCS}, Telford & Wrekin")
    expect(dcs).to_have_count(1)
    expect(dcs).to_contain_text("March 2020 (approximately) to now")
    expect(dcs.locator(".govuk-tag")).to_have_text("Current")

    vice = entry("Co-Vice Chair, DCS Network")
    expect(vice).to_have_count(1)
    expect(vice).to_contain_text("June 2023 (approximately) to June 2023 (approximately)")
    expect(vice).to_contain_text("On behalf of Telford and Wrekin Council")

    chair = entry("Chair, DCS Network,")
    expect(chair).to_have_count(1)
    expect(chair).to_contain_text("July 2023 (approximately) to June 2025 (approximately)")
    expect(chair.locator(".govuk-tag")).to_have_count(0)

    chair.get_by_role("link", name="Chair, DCS Network").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chair, DCS Network")
    check_axe(page)
    expect(main(page).get_by_role("list").first).to_contain_text("Nigel Minns")


def test_hand_over_a_post(page, demo):
    sign_in(page, ADMIN)
    visit(page, post_url("Dudley"))
    expect(page.get_by_role("heading", name="Handover notes")).to_be_visible()
    expect(main(page)).to_contain_text("Regional commitments")

    page.get_by_role("link", name="Hand over this post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand over this post")
    check_axe(page)
    expect(page.get_by_label("Who is handing over")).to_have_value(
        re.compile(r"\d+")
    )  # the single holder is preselected

    # Dudley's only person is the outgoing holder: search everyone for the incoming one.
    page.get_by_label(re.compile(r"Search everyone")).fill("Emma")
    submit(page, "Search people")
    incoming = page.get_by_label("Who takes over")
    incoming.select_option(label="Emma Bennett")
    chosen = incoming.input_value()
    page.get_by_label("Basis").select_option(label="Interim")
    basis = page.get_by_label("Basis").input_value()
    page.get_by_label("Handover date").fill("")

    submit(page, "Hand over")
    summary = check_error_summary(page, "Enter the handover date")
    expect(summary.get_by_role("link")).to_have_count(1)
    group = page.locator(".govuk-form-group--error")
    expect(group).to_have_count(1)
    expect(group.locator(".govuk-error-message")).to_contain_text("Enter the handover date")
    expect(group.get_by_label("Handover date")).to_have_attribute(
        "aria-describedby", re.compile(r"\bid_on-error\b")
    )
    expect(page.get_by_label("Who takes over")).to_have_value(chosen)
    expect(page.get_by_label("Basis")).to_have_value(basis)
    expect(page.get_by_label("Who is handing over")).not_to_have_value("")

    page.get_by_label("Handover date").fill("6 January 2025")
    submit(page, "Hand over")
    expect(page.get_by_role("heading", level=1)).to_have_text(DCS)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "handed over from Karen Graham to Emma Bennett"
    )
    now = page.locator("h2:has-text('Now') + ul")
    expect(now).to_contain_text("Emma Bennett")
    expect(now).to_contain_text("since 6 January 2025")
    expect(now).not_to_contain_text("Karen Graham")

    holders = page.get_by_role("table", name=re.compile(r"Every holder"))
    emma = holders.locator("tbody tr").filter(has_text="Emma Bennett")
    expect(emma.locator("td").nth(1)).to_have_text("6 January 2025 to now")
    expect(emma.locator("td").nth(2)).to_have_text("Interim")
    karen = holders.locator("tbody tr").filter(has_text="Karen Graham")
    expect(karen.locator("td").nth(1)).to_have_text("July 2024 (approximately) to 5 January 2025")

    expect(page.get_by_role("heading", name="Handover notes")).to_be_visible()
    expect(page.get_by_role("heading", name="Regional commitments")).to_be_visible()
    expect(page.get_by_role("heading", name="Participation training")).to_be_visible()


def test_another_authoritys_coordinator_is_refused(page, demo):
    dudley = Post.objects.get(organisation__short_name="Dudley", title=DCS)
    sign_in(page, COORDINATOR_TELFORD)

    visit(page, f"/directory/posts/{dudley.pk}/edit/", status=404)
    expect(page.locator("body")).not_to_contain_text("Edit")
    visit(page, f"/directory/posts/{dudley.pk}/handover/", status=404)
    expect(page.locator("body")).not_to_contain_text("Hand over")

    visit(page, dudley.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(DCS)
    expect(page.get_by_role("link", name="Hand over this post")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit post")).to_have_count(0)

    visit(page, post_url("Telford & Wrekin"))
    page.get_by_role("link", name="Hand over this post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand over this post")
    check_axe(page)
    expect(page.get_by_label("Who is handing over")).to_contain_text("Jo Britton")


def test_leadership_as_at_and_what_changed(page, demo):
    visit(page, "/directory/as-at/?date=2024-13-45")
    check_error_summary(page, "Enter the date as a real date, for example 1/7/2024")
    # A native date input shows nothing for an impossible date; the server must still echo it.
    expect(page.get_by_label("Date")).to_have_attribute("value", "2024-13-45")

    visit(page, "/directory/as-at/?date=2024-01-01")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The region's leadership on 1 January 2024"
    )
    directors = page.get_by_role("table", name="Directors and chief executives")

    def director_of(authority: str):
        return directors.locator("tbody tr").filter(has_text=authority).locator("td").nth(2)

    expect(director_of("Telford and Wrekin Council")).to_have_text("Jo Britton")
    expect(director_of("Warwickshire County Council")).to_have_text("Nigel Minns")
    expect(director_of("Stoke-on-Trent City Council")).to_have_text("Lisa Lyons")
    # Appointed in mid-2024 or gone by mid-2023: not leaders on this date.
    for name in ("Karen Graham", "Tina Russell", "Adam Johnston", "John Gregg"):
        expect(directors).not_to_contain_text(name)

    officers = page.get_by_role("table", name="Network officers")

    def officer(title: str):
        return officers.locator("tbody tr").filter(
            has=page.get_by_role("cell", name=title, exact=True)
        )

    expect(officer("Chair, DCS Network").locator("td").nth(1)).to_have_text("Jo Britton")
    expect(officer("Co-Vice Chair, DCS Network").locator("td").nth(1)).to_have_text("Nigel Minns")
    expect(officer("Chair, RCLO Board").locator("td").nth(1)).to_have_text("Jo Britton")
    expect(main(page)).not_to_contain_text("Jenny Turnross")

    page.get_by_role("link", name="What changed between two dates").click()
    page.wait_for_url(re.compile(r"/directory/changes/"))
    check_axe(page)
    page.get_by_label("From").fill("2024-07-01")
    page.get_by_label("To").fill("2024-07-31")
    submit(page, "Show changes")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "What changed from 1 July 2024 to 31 July 2024"
    )
    started = page.locator("h2:has-text('Appointments that started') + ul")
    for line in (
        f"Karen Graham became {DCS}, Dudley",
        f"Adam Johnston became {DCS}, Worcestershire",
        f"Tina Russell became {DCS}, Herefordshire",
        f"Tanya Miles became {DCS}, Shropshire",
        f"Bernie Brown became {DCS}, Staffordshire",
    ):
        expect(started).to_contain_text(line)
    expect(started).not_to_contain_text("Jo Britton")


def test_erase_a_persons_data(page, demo):
    person = Person.objects.create(name="Quentin Example-Leaver", email="quentin@example.org")
    sign_in(page, ADMIN)
    visit(page, person.get_absolute_url())
    main(page).get_by_role("link", name="Erase Quentin Example-Leaver's data").click()
    page.wait_for_url(re.compile(r"/erase/$"))
    check_axe(page)
    submit(page, "Erase their data")
    check_error_summary(page, "Tick the box to confirm the erasure")
    page.get_by_label(re.compile("I understand")).check()
    submit(page, "Erase their data")
    expect(main(page).get_by_role("heading", level=1)).to_have_text("Erased person")
    expect(page.get_by_text("The person's data has been erased.")).to_be_visible()
    check_axe(page)
    person.refresh_from_db()
    assert person.email == ""


def test_invite_a_coordinator(page, demo):
    sign_in(page, ADMIN)
    visit(page, "/")
    page.get_by_role("navigation").get_by_role("link", name="Accounts").click()
    page.wait_for_url(re.compile(r"/accounts/users/$"))
    check_axe(page)
    main(page).get_by_role("link", name="Invite someone").click()
    page.wait_for_url(re.compile(r"/invite/$"))
    check_axe(page)
    page.get_by_label("Name", exact=True).fill("Nadia Example")
    page.get_by_label("Email address").fill("nadia@dudley.example")
    page.get_by_label("Authority coordinator").check()
    submit(page, "Send invitation")
    check_error_summary(page, "Choose the authorities this coordinator looks after")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Nadia Example")
    check_axe(page)
    page.get_by_role("group", name=re.compile("Authorities they coordinate")).get_by_label(
        "Dudley Metropolitan Borough Council"
    ).check()
    submit(page, "Send invitation")
    expect(page.get_by_text("Invitation sent to nadia@dudley.example.")).to_be_visible()
    expect(main(page).get_by_role("row", name=re.compile("Nadia Example"))).to_contain_text(
        "Invited"
    )
    check_axe(page)
