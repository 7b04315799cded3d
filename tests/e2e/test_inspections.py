"""Inspection journeys in a real browser on the demo data, checking accessibility on every page."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from regionhub.directory.models import Organisation
from regionhub.inspections.models import Inspection

from .conftest import ADMIN, MEMBER, check_error_summary, sign_in, submit, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def good_overall(page) -> int:
    return int(page.locator("#count-good").inner_text())


def test_record_an_inspection_and_see_the_ambition_change(page, demo):
    sign_in(page, ADMIN)
    visit(page, "/inspections/")
    before = good_overall(page)
    expect(page.locator("#headline")).to_contain_text("The ambition is 11 of 14")

    page.get_by_role("link", name="Record an inspection").click()
    page.wait_for_url(re.compile(r"/inspections/new/"))
    dudley = Organisation.objects.get(short_name="Dudley")
    page.get_by_label("Authority").select_option(str(dudley.pk))
    page.get_by_label("Type of inspection").select_option("ilacs_short")
    page.get_by_label("First day on site").fill("3/3/2025")
    page.get_by_label("Last day on site").fill("1/3/2025")
    page.get_by_label("Publication date").fill("20/4/2025")
    page.get_by_label("Overall effectiveness").select_option("good")
    submit(page, "Save the inspection")
    check_error_summary(page, "The last day (1 March 2025) is before the first day (3 March 2025).")
    expect(page.get_by_label("Publication date")).to_have_value("20/4/2025")

    page.get_by_label("Last day on site").fill("7/3/2025")
    page.get_by_label("The experiences and progress of care leavers").select_option("good")
    submit(page, "Save the inspection")
    expect(page.locator("#current")).to_contain_text("Good")
    expect(page.locator("#next")).to_contain_text(
        "Likely between 7 September 2027 and 7 September 2028"
    )
    assert Inspection.objects.filter(authority=dudley, start=datetime.date(2025, 3, 3)).exists()

    visit(page, "/inspections/?date=2025-04-19")
    on_the_eve = good_overall(page)
    visit(page, "/inspections/?date=2025-04-20")
    assert good_overall(page) == on_the_eve + 1
    expect(page.locator("#list-good")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Dudley")
    visit(page, "/inspections/")
    assert good_overall(page) >= before


def test_view_the_chart_and_its_table(page, demo):
    sign_in(page, MEMBER)
    visit(page, "/inspections/?date=2024-08-01")
    chart = page.get_by_role("img", name=re.compile(r"Member councils Good or better"))
    expect(chart).to_be_visible()
    page.get_by_text("The chart's numbers as a table").click()
    table = page.get_by_role("table", name="Member councils Good or better on each date")
    expect(table).to_be_visible()
    last = table.locator("tbody tr").last
    expect(last.locator("th")).to_have_text("1 August 2024")
    expect(last.locator("td").first).to_have_text(page.locator("#count-good").inner_text())
    # Members read but do not change.
    expect(page.get_by_role("link", name="Record an inspection")).to_have_count(0)
    visit(page, "/inspections/new/", status=404)


def test_import_a_file_with_a_bad_row(page, demo, tmp_path):
    sign_in(page, ADMIN)
    visit(page, "/inspections/import/")
    upload = tmp_path / "ilacs.csv"
    upload.write_text(
        "urn,local_authority,inspection_framework,inspection_start_date,inspection_end_date,"
        "publication_date,overall_effectiveness_grade\n"
        "80549,sandwell,short,02/02/2026,06/02/2026,20/03/26,good\n"
        ",Walsall,standard,10/02/2026,21/02/2026,01/04/26,splendid\n"
        "80426,barnsley,short,11/09/2023,15/09/2023,27/10/23,good\n"
    )
    count = Inspection.objects.count()
    page.get_by_label("Upload a spreadsheet").set_input_files(str(upload))
    submit(page, "Import")
    rejected = page.locator("#rejected")
    expect(rejected).to_contain_text("3")
    expect(rejected).to_contain_text("overall_grade 'splendid' is not a grade")
    expect(page.locator("main")).to_contain_text("Nothing has been imported")
    assert Inspection.objects.count() == count

    upload.write_text(upload.read_text().replace("splendid", "RI"))
    page.get_by_label("Upload a spreadsheet").set_input_files(str(upload))
    submit(page, "Import")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("2 added")
    assert Inspection.objects.count() == count + 2
