import datetime
import io
import os
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regionhub.core.models import AuditEntry
from regionhub.directory.importing import (
    ImportFileError,
    directory_import,
    parse_date,
    read_rows,
)
from regionhub.directory.models import Appointment, Organisation, Person, Post
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, PostFactory

URL = reverse("directory:import")
HEADER = (
    "person_name,person_email,person_organisation,post_title,post_organisation,"
    "post_category,max_holders,start,end,basis,on_behalf_of,approximate"
)


@pytest.fixture
def dudley(db):
    return OrganisationFactory(name="Dudley Metropolitan Borough Council", short_name="Dudley")


@pytest.fixture
def network(db):
    return OrganisationFactory(name="DCS Network & Regional Team", kind="network", is_member=False)


def csv_file(
    *lines: str, name: str = "directory.csv", encoding: str = "utf-8"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join(lines).encode(encoding), content_type="text/csv")


def good_file() -> SimpleUploadedFile:
    return csv_file(
        HEADER,
        "Alex Morgan,alex.morgan@dudley.gov.uk,Dudley,Director of Children's Services,Dudley,"
        "director,1,2019-04-01,2023-05-31,substantive,,no",
        "Sam Patel,,Dudley,Director of Children's Services,Dudley,director,,01/06/2023,,interim,,",
        "Alex Morgan,ALEX.MORGAN@dudley.gov.uk,,Co-Vice Chair,DCS Network and Regional Team,"
        "network_officer,2,Jun 2022,,,dudley,",
    )


def upload(client, file, action="check"):
    return client.post(URL, {"file": file, "action": action})


def rejections(response) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in response.context["report"].rejected]


def directory_counts() -> tuple[int, int, int]:
    return Person.objects.count(), Post.objects.count(), Appointment.objects.count()


# Reading files -------------------------------------------------------------------------------


def test_read_rows_normalises_headers_and_counts_lines():
    rows = read_rows(
        csv_file(
            " Person Name ,POST TITLE,post-organisation,Start,Notes",
            "Alex Morgan,Director,Dudley,2023-06-01,ignored",
            ",,,,",
            "Sam Patel,Director,Dudley,2023-07-01,",
        )
    )
    assert [r.line for r in rows] == [2, 4]
    assert rows[0].values == {
        "person_name": "Alex Morgan",
        "post_title": "Director",
        "post_organisation": "Dudley",
        "start": "2023-06-01",
    }


def test_read_rows_reads_windows_1252_and_utf8_with_bom():
    lines = (
        "person_name,post_title,post_organisation,start",
        "Zoë Ní Bhriain,Director,Dudley,2023",
    )
    for encoding in ("cp1252", "utf-8-sig"):
        rows = read_rows(csv_file(*lines, encoding=encoding))
        assert rows[0].values["person_name"] == "Zoë Ní Bhriain"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2023-06-01", (datetime.date(2023, 6, 1), False)),
        ("01/06/2023", (datetime.date(2023, 6, 1), False)),
        ("1 June 2023", (datetime.date(2023, 6, 1), False)),
        ("1st Sept 2023", (datetime.date(2023, 9, 1), False)),
        ("Jun 2023", (datetime.date(2023, 6, 1), True)),
        ("June 2023", (datetime.date(2023, 6, 1), True)),
        (datetime.datetime(2023, 6, 1, 0, 0), (datetime.date(2023, 6, 1), False)),
        ("", (None, False)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, "start") == expected


def test_read_rows_refuses_broken_files():
    with pytest.raises(ImportFileError, match="not a valid Excel"):
        read_rows(SimpleUploadedFile("directory.xlsx", os.urandom(2000)))
    with pytest.raises(ImportFileError, match="empty"):
        read_rows(SimpleUploadedFile("directory.csv", b""))
    with pytest.raises(ImportFileError, match="missing these columns: post_organisation, start"):
        read_rows(csv_file("person_name,post_title", "Alex,Director"))
    with pytest.raises(ImportFileError, match="CSV file or an Excel"):
        read_rows(SimpleUploadedFile("directory.pdf", b"%PDF-1.4"))
    with pytest.raises(ImportFileError, match="5 MB"):
        read_rows(SimpleUploadedFile("big.csv", b"x" * (5 * 1024 * 1024 + 1)))
    with pytest.raises(ImportFileError, match="more than 10,000 rows"):
        read_rows(csv_file(HEADER, *["Alex,,,Director,Dudley,,,2023-01-01,,,,"] * 10_001))


# The page ------------------------------------------------------------------------------------


def test_only_regional_admins_can_import(client, coordinator, member):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    for user in (coordinator, member):
        client.force_login(user)
        assert client.get(URL).status_code == 404
        assert upload(client, good_file(), action="import").status_code == 404


def test_service_refuses_non_admins(coordinator):
    with pytest.raises(PermissionDenied):
        directory_import(actor=coordinator, rows=[], commit=True)


def test_page_offers_upload_and_template(client, admin_user):
    client.force_login(admin_user)
    response = client.get(URL)
    content = response.content.decode()
    assert 'type="file"' in content
    assert 'enctype="multipart/form-data"' in content
    assert reverse("directory:export", args=["import-template", "csv"]) in content


def test_check_reports_what_would_happen_and_imports_nothing(client, admin_user, dudley, network):
    client.force_login(admin_user)
    response = upload(client, good_file())
    report = response.context["report"]
    assert report.ok and not report.committed
    assert (report.people_created, report.posts_created, report.appointments_created) == (2, 2, 3)
    assert directory_counts() == (0, 0, 0)
    assert "All 3 rows can be imported" in response.content.decode()


def test_import_creates_people_posts_and_appointments_with_audit(
    client, admin_user, dudley, network
):
    client.force_login(admin_user)
    response = upload(client, good_file(), action="import")
    assert response.status_code == 302
    assert directory_counts() == (2, 2, 3)
    alex = Person.objects.get(email="alex.morgan@dudley.gov.uk")
    assert alex.organisation == dudley
    vice_chair = Post.objects.get(title="Co-Vice Chair")
    assert (vice_chair.organisation, vice_chair.max_holders) == (network, 2)
    assert vice_chair.category == Post.Category.NETWORK_OFFICER
    appointment = Appointment.objects.get(post=vice_chair)
    assert appointment.start == datetime.date(2022, 6, 1)
    assert appointment.start_approximate is True
    assert appointment.on_behalf_of == dudley
    sam = Appointment.objects.get(person__name="Sam Patel")
    assert (sam.start, sam.basis) == (datetime.date(2023, 6, 1), "interim")
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("directory.person.created") == 2
    assert actions.count("directory.post.created") == 2
    assert actions.count("directory.appointment.created") == 3
    assert AuditEntry.objects.filter(actor=admin_user).count() == len(actions)
    page = client.get(URL).content.decode()
    assert "added 2 people, 2 posts and 3 appointments" in page


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(client, admin_user, dudley, network):
    held = PostFactory(title="Director of Children's Services", organisation=network)
    AppointmentFactory(post=held, start=datetime.date(2020, 1, 1))
    before = directory_counts()
    client.force_login(admin_user)
    lines = (
        HEADER,
        "Alex Morgan,,Dudley,Head of Service,Dudley,,,2023-06-01,2023-01-01,,,",
        "Sam Patel,,Dudley,Head of Service,Nowhere Council,,,2023-06-01,,,,",
        "Jo Bloggs,,Dudley,Head of Service,Dudley,,,31/02/2023,,,,",
        "Kim Lee,,,PSW,Dudley,psw,,2023-01-01,,,,",
        "Lee Kim,,,PSW,Dudley,psw,,2023-06-01,,,,",
        "Ash Roe,,,Director of Children's Services,DCS Network & Regional Team,,,2024-01-01,,,,",
        ",,,,Dudley,,,,,,,",
        "Kim Lee,,,PSW,Dudley,psw,,2023-01-01,,,,",
    )
    for action in ("check", "import"):
        response = upload(client, csv_file(*lines), action=action)
        assert response.status_code == 200
        found = dict(rejections(response))
        assert sorted(found) == [2, 3, 4, 6, 7, 8, 9]
        assert "before the start date" in found[2]
        assert "Unknown organisation 'Nowhere Council'" in found[3]
        assert "start '31/02/2023' is not a date" in found[4]
        assert "allows one holder at a time" in found[6]
        assert "(from line 5 of this file)" in found[6]
        assert "allows one holder at a time" in found[7]
        assert "from line" not in found[7]
        assert "person_name is missing" in found[8] and "post_title is missing" in found[8]
        assert "Duplicate row: line 5" in found[9]
        assert directory_counts() == before
    content = response.content.decode()
    assert "Nothing has been imported." in content
    assert "Unknown organisation &#x27;Nowhere Council&#x27;" in content


def test_one_bad_row_stops_the_whole_import(client, admin_user, dudley, network):
    client.force_login(admin_user)
    file = csv_file(
        HEADER,
        "Alex Morgan,,Dudley,Head of Service,Dudley,,,2023-06-01,,,,",
        "Sam Patel,,Dudley,Head of Service,Dudley,,,not a date,,,,",
    )
    response = upload(client, file, action="import")
    assert rejections(response) == [
        (3, "start 'not a date' is not a date. Write it like 1 June 2023 or 2023-06-01.")
    ]
    assert directory_counts() == (0, 0, 0)
    assert not AuditEntry.objects.exists()


def test_reimporting_the_same_file_changes_nothing(client, admin_user, dudley, network):
    client.force_login(admin_user)
    upload(client, good_file(), action="import")
    audit_rows = AuditEntry.objects.count()
    response = upload(client, good_file(), action="import")
    assert response.status_code == 302
    assert directory_counts() == (2, 2, 3)
    assert AuditEntry.objects.count() == audit_rows
    report = upload(client, good_file()).context["report"]
    assert report.ok
    assert (report.people_matched, report.posts_matched) == (2, 2)
    assert report.unchanged_lines == [2, 3, 4]


def test_a_later_file_can_end_an_existing_appointment(client, admin_user, dudley, network):
    client.force_login(admin_user)
    upload(client, good_file(), action="import")
    file = csv_file(
        HEADER,
        "Sam Patel,,Dudley,Director of Children's Services,Dudley,,,2023-06-01,2024-03-31,,,",
    )
    assert upload(client, file, action="import").status_code == 302
    sam = Appointment.objects.get(person__name="Sam Patel")
    assert sam.end == datetime.date(2024, 3, 31)
    assert AuditEntry.objects.filter(action="directory.appointment.updated").count() == 1


def test_people_are_matched_by_email_then_name_and_organisation(admin_user, dudley):
    by_email = PersonFactory(name="Alexandra Morgan", email="alex@dudley.gov.uk", organisation=None)
    by_name = PersonFactory(name="Sam Patel", email="", organisation=dudley)
    file = csv_file(
        "person_name,person_email,person_organisation,post_title,post_organisation,start",
        "Alex Morgan,Alex@Dudley.gov.uk,,Director,Dudley,2023-01-01",
        "sam patel,,Dudley,Deputy,Dudley,2023-01-01",
    )
    report = directory_import(actor=admin_user, rows=read_rows(file), commit=True)
    assert report.committed and report.people_created == 0 and report.people_matched == 2
    assert set(Appointment.objects.values_list("person", flat=True)) == {by_email.pk, by_name.pk}


def test_same_name_with_another_email_is_reported_not_merged(admin_user, dudley):
    PersonFactory(name="Sam Patel", email="sam@dudley.gov.uk", organisation=dudley)
    file = csv_file(
        "person_name,person_email,person_organisation,post_title,post_organisation,start",
        "Sam Patel,s.patel@example.org,Dudley,Deputy,Dudley,2023-01-01",
    )
    report = directory_import(actor=admin_user, rows=read_rows(file), commit=True)
    assert not report.committed
    assert "may already be in the directory as Sam Patel (sam@dudley.gov.uk" in (
        report.rejected[0].reason
    )


def test_xlsx_with_real_date_cells(client, admin_user, dudley):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Person name", "Post title", "Post organisation", "Start", "End", "Max holders"])
    sheet.append(["Alex Morgan", "Director", "dudley", datetime.date(2023, 6, 1), None, 2])
    sheet.append([None])
    sheet.append(
        [
            "Sam Patel",
            "Director",
            "DUDLEY METROPOLITAN BOROUGH COUNCIL",
            datetime.datetime(2023, 7, 1),
            "1 Aug 2024",
            2.0,
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(admin_user)
    file = SimpleUploadedFile("directory.xlsx", buffer.getvalue())
    response = upload(client, file, action="import")
    assert response.status_code == 302
    starts = dict(Appointment.objects.values_list("person__name", "start"))
    assert starts == {
        "Alex Morgan": datetime.date(2023, 6, 1),
        "Sam Patel": datetime.date(2023, 7, 1),
    }
    assert Post.objects.get().max_holders == 2
    assert Appointment.objects.get(person__name="Sam Patel").end == datetime.date(2024, 8, 1)


def test_xlsx_line_numbers_count_blank_rows(admin_user, dudley):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["person_name", "post_title", "post_organisation", "start"])
    sheet.append(["Alex Morgan", "Director", "Dudley", datetime.date(2023, 6, 1)])
    sheet.append([])
    sheet.append([])
    sheet.append(["Sam Patel", "Director", "Atlantis", datetime.date(2023, 6, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = read_rows(SimpleUploadedFile("directory.xlsx", buffer.getvalue()))
    report = directory_import(actor=admin_user, rows=rows, commit=False)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (5, "Unknown organisation 'Atlantis' in post_organisation.")
    ]


@pytest.mark.parametrize(
    "file, message",
    [
        (SimpleUploadedFile("directory.xlsx", os.urandom(4000)), "not a valid Excel spreadsheet"),
        (SimpleUploadedFile("directory.csv", b""), "The file is empty."),
        (csv_file("name,title", "Alex,Director"), "missing these columns: person_name"),
        (csv_file(HEADER), "no rows below it"),
    ],
)
def test_malformed_files_get_a_message_by_the_field(client, admin_user, file, message):
    client.force_login(admin_user)
    response = upload(client, file, action="import")
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert message in errors[0]
    assert "choose it again" in errors[0]
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert "govuk-file-upload--error" in content
    assert response.context["report"] is None


def test_missing_file_is_a_form_error(client, admin_user):
    client.force_login(admin_user)
    response = client.post(URL, {"action": "check"})
    assert response.context["form"].errors["file"] == ["Choose a CSV or Excel file to upload."]


def test_organisations_are_never_invented(admin_user, dudley):
    file = csv_file(
        "person_name,person_organisation,post_title,post_organisation,start",
        "Alex Morgan,Walsall,Director,Dudley,2023-01-01",
    )
    report = directory_import(actor=admin_user, rows=read_rows(file), commit=True)
    assert report.rejected[0].reason == "Unknown organisation 'Walsall' in person_organisation."
    assert Organisation.objects.count() == 1


def test_the_documented_example_imports(admin_user, dudley):
    OrganisationFactory(name="DCS Network", kind="network", is_member=False)
    guide = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text()
    example = guide.split("```csv\n", 1)[1].split("```", 1)[0]
    rows = read_rows(SimpleUploadedFile("example.csv", example.encode()))
    report = directory_import(actor=admin_user, rows=rows, commit=True)
    assert report.rejected == []
    assert (report.people_created, report.posts_created, report.appointments_created) == (2, 2, 3)
    vice_chair = Appointment.objects.get(post__title="Co-Vice Chair")
    assert vice_chair.start_approximate and vice_chair.on_behalf_of == dudley


def test_values_the_database_would_refuse_are_rejected_rows(admin_user, dudley):
    file = csv_file(
        "person_name,post_title,post_organisation,start,max_holders",
        f"{'A' * 201},Director,Dudley,2023-01-01,1",
        f"Alex Morgan,{'T' * 201},Dudley,2023-01-01,1",
        "Sam Patel,Deputy,Dudley,2023-01-01,40000",
        "Sam Patel,Deputy,Dudley,2023-01-01,two",
    )
    report = directory_import(actor=admin_user, rows=read_rows(file), commit=True)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, "person_name is longer than 200 characters."),
        (3, "post_title is longer than 200 characters."),
        (4, "max_holders must be a whole number from 1 to 1000, not '40000'."),
        (5, "max_holders must be a whole number from 1 to 1000, not 'two'."),
    ]
