import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regionhub.directory.importing import directory_import, read_rows
from regionhub.directory.models import Appointment, Post, today
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, PostFactory


def export(client, listname, fmt, **params):
    return client.get(reverse("directory:export", args=[listname, fmt]), params)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_rows(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def directory(db):
    dudley = OrganisationFactory(name="Dudley Metropolitan Borough Council", short_name="Dudley")
    partner = OrganisationFactory(name="=HYPERLINK(1)", kind="partner", is_member=False)
    alex = PersonFactory(
        name="Alex Morgan", email="alex@dudley.gov.uk", phone="+44 1384 000000", organisation=dudley
    )
    sam = PersonFactory(name="Sam Patel", email="sam@dudley.gov.uk", organisation=None)
    dcs = PostFactory(
        title="Director of Children's Services", organisation=dudley, category="director"
    )
    psw = PostFactory(title="Principal Social Worker", organisation=partner, category="psw")
    AppointmentFactory(
        person=alex, post=dcs, start=datetime.date(2019, 4, 1), end=datetime.date(2023, 5, 31)
    )
    AppointmentFactory(
        person=sam, post=dcs, start=datetime.date(2023, 6, 1), basis="interim", on_behalf_of=dudley
    )
    AppointmentFactory(
        person=alex, post=psw, start=datetime.date(2023, 9, 1), start_approximate=True
    )
    return {"dudley": dudley, "partner": partner, "alex": alex, "sam": sam, "dcs": dcs}


def test_organisations_csv_and_xlsx(client, directory):
    response = export(client, "organisations", "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="regionhub-organisations-{today():%Y-%m-%d}.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == ["name", "short_name", "kind", "is_member", "website", "email_domains", "urn"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "Dudley Metropolitan Borough Council"]
    assert rows[2][1:4] == ["Dudley", "council", "yes"]

    response = export(client, "organisations", "xlsx")
    assert f"regionhub-organisations-{today():%Y-%m-%d}.xlsx" in response["Content-Disposition"]
    rows = xlsx_rows(response)
    # In a spreadsheet the text is stored as text, so it is shown exactly and never run.
    assert [r[0] for r in rows[1:]] == ["=HYPERLINK(1)", "Dudley Metropolitan Borough Council"]


def test_organisation_filters(client, directory):
    members = csv_rows(export(client, "organisations", "csv", members="1"))
    assert [r[0] for r in members[1:]] == ["Dudley Metropolitan Borough Council"]
    others = csv_rows(export(client, "organisations", "csv", members="0"))
    assert [r[0] for r in others[1:]] == ["'=HYPERLINK(1)"]
    found = csv_rows(export(client, "organisations", "csv", q="dudley"))
    assert len(found) == 2


def test_people_contact_details_only_for_signed_in_users(client, directory, member):
    rows = csv_rows(export(client, "people", "csv"))
    assert rows == [
        ["name", "organisation"],
        ["Alex Morgan", "Dudley Metropolitan Borough Council"],
        ["Sam Patel", ""],
    ]
    assert xlsx_rows(export(client, "people", "xlsx"))[0] == ("name", "organisation")
    # Anonymous visitors cannot find someone by email address.
    assert len(csv_rows(export(client, "people", "csv", q="sam@dudley"))) == 1

    client.force_login(member)
    response = export(client, "people", "csv")
    assert "no-store" in response["Cache-Control"]
    rows = csv_rows(response)
    assert rows[0] == ["name", "organisation", "email", "phone"]
    assert rows[1] == [
        "Alex Morgan",
        "Dudley Metropolitan Borough Council",
        "alex@dudley.gov.uk",
        "'+44 1384 000000",
    ]
    rows = xlsx_rows(export(client, "people", "xlsx", q="sam@dudley"))
    assert rows == [
        ("name", "organisation", "email", "phone"),
        ("Sam Patel", None, "sam@dudley.gov.uk", None),
    ]


def test_posts_csv_and_category_filter(client, directory):
    rows = csv_rows(export(client, "posts", "csv"))
    assert rows[0] == ["title", "organisation", "category", "max_holders", "abolished"]
    assert len(rows) == 3
    rows = xlsx_rows(export(client, "posts", "xlsx", category="director"))
    assert rows[1:] == [
        (
            "Director of Children's Services",
            "Dudley Metropolitan Borough Council",
            "director",
            1,
            None,
        )
    ]
    assert export(client, "posts", "csv", category="nonsense").status_code == 400


def test_appointments_csv_uses_iso_dates_and_xlsx_real_dates(client, directory, member):
    rows = csv_rows(export(client, "appointments", "csv"))
    assert "person_email" not in rows[0]
    header = rows[0]
    records = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    # Ordered by the post's organisation, then title and start.
    assert [(r["person_name"], r["start"], r["end"]) for r in records] == [
        ("Alex Morgan", "2023-09-01", ""),
        ("Alex Morgan", "2019-04-01", "2023-05-31"),
        ("Sam Patel", "2023-06-01", ""),
    ]
    assert records[0]["approximate"] == "yes"
    assert records[0]["post_organisation"] == "'=HYPERLINK(1)"
    assert records[2]["basis"] == "interim"
    assert records[2]["on_behalf_of"] == "Dudley Metropolitan Borough Council"

    client.force_login(member)
    rows = xlsx_rows(export(client, "appointments", "xlsx"))
    assert "person_email" in rows[0]
    start = rows[0].index("start")
    assert rows[2][start] == datetime.datetime(2019, 4, 1)


def test_appointments_on_a_date(client, directory):
    rows = csv_rows(export(client, "appointments", "csv", on="2023-01-01"))
    assert [r[0] for r in rows[1:]] == ["Alex Morgan"]
    rows = csv_rows(export(client, "appointments", "csv", on="2024-01-01"))
    assert sorted(r[0] for r in rows[1:]) == ["Alex Morgan", "Sam Patel"]
    assert export(client, "appointments", "csv", on="1 January").status_code == 400


def test_appointments_export_imports_again_unchanged(client, directory, admin_user):
    client.force_login(admin_user)
    body = b"".join(export(client, "appointments", "csv").streaming_content)
    rows = read_rows(SimpleUploadedFile("appointments.csv", body))
    report = directory_import(actor=admin_user, rows=rows, commit=True)
    assert report.rejected == []
    assert report.unchanged_lines == [2, 3, 4]
    assert Appointment.objects.count() == 3


def test_import_template_lists_the_import_columns(client, db):
    rows = csv_rows(export(client, "import-template", "csv"))
    assert rows[0][:5] == [
        "person_name",
        "person_email",
        "person_organisation",
        "post_title",
        "post_organisation",
    ]
    assert len(rows) == 2
    assert xlsx_rows(export(client, "import-template", "xlsx"))[0] == tuple(rows[0])


@pytest.mark.parametrize("listname, fmt", [("users", "csv"), ("people", "pdf"), ("audit", "xlsx")])
def test_unknown_lists_and_formats_are_not_found(client, db, listname, fmt):
    assert export(client, listname, fmt).status_code == 404


@pytest.mark.parametrize("listname", ["organisations", "people", "posts", "appointments"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_query_count_does_not_grow(
    client, member, django_assert_max_num_queries, listname, fmt
):
    client.force_login(member)
    for _ in range(30):
        organisation = OrganisationFactory()
        person = PersonFactory(organisation=organisation)
        post = PostFactory(organisation=organisation, category=Post.Category.DIRECTOR)
        AppointmentFactory(person=person, post=post, on_behalf_of=organisation)
    # Session, user, then one query for the list, whatever its length.
    with django_assert_max_num_queries(4):
        response = export(client, listname, fmt)
        rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert len(rows) >= 31
