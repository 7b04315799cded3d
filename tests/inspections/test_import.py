from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regionhub.directory.importing import ImportFileError
from regionhub.inspections.importing import (
    inspections_import,
    normalise_authority,
    parse_grade,
    read_inspection_sheet,
)
from regionhub.inspections.models import Inspection
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "ofsted-ilacs"
REAL_FILE = DATA / "ofsted_csc_ilacs_overview.xlsx"
HEADER = (
    "urn,local_authority,inspection_framework,inspection_start_date,inspection_end_date,"
    "publication_date,overall_inspection_grade,help_and_protection_grade,in_care_grade,"
    "care_leavers_grade,impact_of_leaders_grade,inspection_link\n"
)


def csv_file(text: str, name: str = "ilacs.csv"):
    return SimpleUploadedFile(name, text.encode())


def rows(text: str):
    return read_inspection_sheet(csv_file(text)).rows


@pytest.fixture
def west_midlands(db):
    return {
        "birmingham": OrganisationFactory(
            name="Birmingham City Council", short_name="Birmingham", urn="80429"
        ),
        "telford": OrganisationFactory(
            name="Telford and Wrekin Council", short_name="Telford & Wrekin"
        ),
        "wolverhampton": OrganisationFactory(name="City of Wolverhampton Council", short_name=""),
        "dudley": OrganisationFactory(name="Dudley Metropolitan Borough Council", urn="80464"),
    }


@pytest.mark.parametrize(
    "value, grade",
    [
        ("good", "good"),
        ("GOOD", "good"),
        ("Requires Improvement", "requires_improvement"),
        ("requires improvement to be good", "requires_improvement"),
        ("RI", "requires_improvement"),
        (4, "inadequate"),
        (1.0, "outstanding"),
        ("nan", None),
        ("", None),
        (None, None),
        ("inspection_pre_dates_judgement", None),
    ],
)
def test_grades_in_any_common_form(value, grade):
    assert parse_grade(value, "overall_grade") == grade


def test_authority_names_match_however_written():
    assert normalise_authority("City of Wolverhampton Council") == normalise_authority(
        "wolverhampton"
    )
    assert normalise_authority("Telford & Wrekin") == normalise_authority("telford and wrekin")
    assert normalise_authority("Stoke-on-Trent City Council") == normalise_authority(
        "stoke-on-trent"
    )


def test_messy_rows_import_and_bad_rows_are_listed_with_their_line(admin_user, west_midlands):
    text = HEADER + (
        "80429,birmingham,standard,20/02/2023,03/03/2023,18/04/23,good,Good,2,GOOD,good,"
        "https://x.example/1\n"
        ",telford & wrekin,short,29/04/2024,03/05/2024,12/07/24,1,good,outstanding,"
        "outstanding,RI,\n"
        ",City of Wolverhampton,standard,01/10/2022,12/10/2022,25/11/22,good,good,good,"
        "inspection_pre_dates_judgement,good,\n"
        "80426,barnsley,short,11/09/2023,15/09/2023,27/10/23,good,good,good,good,good,\n"
        "80464,dudley,standard,31/10/2022,11/11/2022,13/01/23,excellent,good,good,,good,\n"
    )
    report = inspections_import(actor=admin_user, rows=rows(text), commit=False)
    assert not report.committed
    assert [(r.line, r.reason) for r in report.rejected] == [
        (
            6,
            "overall_grade 'excellent' is not a grade. Use outstanding, good, requires "
            "improvement (or RI), inadequate, or 1 to 4.",
        )
    ]
    assert [(s.line, s.reason) for s in report.skipped] == [
        (5, "barnsley is not in the directory.")
    ]
    assert report.created == 3
    assert not Inspection.objects.exists()

    fixed = text.replace("excellent", "requires improvement")
    report = inspections_import(actor=admin_user, rows=rows(fixed), commit=True)
    assert report.committed and report.created == 4
    telford = Inspection.objects.get(authority=west_midlands["telford"])
    assert telford.type == Inspection.Type.ILACS_SHORT and telford.published.year == 2024
    assert {j.area.code: j.grade for j in telford.judgements.all()}[
        "leaders"
    ] == "requires_improvement"
    wolverhampton = Inspection.objects.get(authority=west_midlands["wolverhampton"])
    assert wolverhampton.framework.code == "ilacs-2018"
    assert "in_care_and_leavers" in {j.area.code for j in wolverhampton.judgements.all()}

    again = inspections_import(actor=admin_user, rows=rows(fixed), commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    changed = fixed.replace(
        "80429,birmingham,standard,20/02/2023,03/03/2023,18/04/23,good",
        "80429,birmingham,standard,20/02/2023,03/03/2023,18/04/23,outstanding",
    )
    again = inspections_import(actor=admin_user, rows=rows(changed), commit=True)
    assert (again.created, again.updated) == (0, 1)
    assert Inspection.objects.count() == 4


@pytest.mark.parametrize(
    "row, reason",
    [
        (
            "80429,birmingham,standard,20/02/2023,01/02/2023,18/04/23,good,,,,,",
            "The end date (1 February 2023) is before the start date (20 February 2023).",
        ),
        (
            "80429,birmingham,standard,31/02/2023,03/03/2023,18/04/23,good,,,,,",
            "inspection_start_date '31/02/2023' is not a date.",
        ),
        (
            "80464,dudley,standard,31/10/2022,11/11/2022,13/01/23,good,,good,good,,",
            "Care leavers was not a judgement under ILACS (January 2018 to December 2022)",
        ),
        (
            "80429,birmingham,thorough,20/02/2023,03/03/2023,18/04/23,good,,,,,",
            "inspection type 'thorough' is not one of",
        ),
        (",,standard,20/02/2023,03/03/2023,18/04/23,good,,,,,", "The row names no authority"),
    ],
)
def test_each_bad_row_is_refused_and_nothing_changes(admin_user, west_midlands, row, reason):
    good_row = "80429,birmingham,short,09/01/2020,13/01/2020,20/02/20,good,,,,,\n"
    report = inspections_import(
        actor=admin_user, rows=rows(HEADER + good_row + row + "\n"), commit=True
    )
    assert not report.committed
    assert report.rejected[0].line == 3 and reason in report.rejected[0].reason
    assert not Inspection.objects.exists()


def test_a_bad_file_is_refused_as_a_whole():
    with pytest.raises(ImportFileError, match="urn or a local_authority"):
        read_inspection_sheet(csv_file("name,start\nx,1/1/2020\n"))
    with pytest.raises(ImportFileError, match="CSV file or an Excel"):
        read_inspection_sheet(csv_file("urn", name="ilacs.pdf"))
    with pytest.raises(ImportFileError, match="not a valid Excel"):
        read_inspection_sheet(SimpleUploadedFile("x.xlsx", b"PK\x03\x04 broken"))


def test_only_admins_import(member):
    with pytest.raises(PermissionDenied):
        inspections_import(actor=member, rows=[], commit=False)


@pytest.fixture
def real_file():
    if not REAL_FILE.exists():
        pytest.skip(f"the Ofsted ILACS file is not at {REAL_FILE}")
    return REAL_FILE


def test_the_published_national_file_imports_the_regions_rows(admin_user, west_midlands, real_file):
    sheet = read_inspection_sheet(SimpleUploadedFile(real_file.name, real_file.read_bytes()))
    assert len(sheet.rows) == 153
    assert "local_link_to_all_inspections" in sheet.ignored_columns
    report = inspections_import(actor=admin_user, rows=sheet.rows, commit=True)
    assert report.committed, report.rejected
    # Birmingham and Dudley by URN, Telford & Wrekin and Wolverhampton by name.
    assert report.created == 4 and len(report.skipped) == 149
    dudley = Inspection.objects.get(authority=west_midlands["dudley"])
    assert dudley.framework.code == "ilacs-2018"
    assert {j.area.code: j.grade for j in dudley.judgements.all()} == {
        "overall": "requires_improvement",
        "help_protection": "requires_improvement",
        "in_care_and_leavers": "requires_improvement",
        "leaders": "requires_improvement",
    }
    again = inspections_import(actor=admin_user, rows=sheet.rows, commit=True)
    assert (again.created, again.unchanged) == (0, 4)


def test_the_whole_national_file_is_checked_when_every_authority_is_known(admin_user, real_file):
    import openpyxl

    workbook = openpyxl.load_workbook(real_file, read_only=True)
    for n, row in enumerate(workbook.worksheets[0].iter_rows(min_row=2, values_only=True)):
        OrganisationFactory(name=f"{row[6]} council", urn=str(row[0]) if n % 2 else "")
    workbook.close()
    report = inspections_import(
        actor=admin_user,
        rows=read_inspection_sheet(SimpleUploadedFile(real_file.name, real_file.read_bytes())).rows,
        commit=True,
    )
    # Two rows give a publication date and grades but no dates on site: refused, with the reason,
    # and so nothing is imported.
    assert not report.committed
    assert [(r.line, r.reason) for r in report.rejected] == [
        (11, "inspection_start_date is missing."),
        (101, "inspection_start_date is missing."),
    ]
    assert report.created == 151 and not report.skipped
    assert not Inspection.objects.exists()


def test_the_import_page_checks_then_imports(client, admin_user, west_midlands):
    client.force_login(admin_user)
    url = reverse("inspections:import")
    bad = HEADER + "80429,birmingham,standard,20/02/2023,03/03/2023,18/04/23,brilliant,,,,,\n"
    page = client.post(url, {"action": "import", "file": csv_file(bad)}).content.decode()
    assert "Nothing has been imported" in page and "brilliant" in page
    assert not Inspection.objects.exists()
    good = bad.replace("brilliant", "good")
    page = client.post(url, {"action": "check", "file": csv_file(good)}).content.decode()
    assert 'id="to-add">1<' in page and not Inspection.objects.exists()
    response = client.post(url, {"action": "import", "file": csv_file(good)})
    assert response.status_code == 302 and Inspection.objects.count() == 1
    page = client.post(url, {"action": "check", "file": csv_file("hello")}).content.decode()
    assert "There is a problem" in page
