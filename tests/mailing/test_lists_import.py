"""Importing an existing list from CSV: every rejected row reported with its line and reason,
nothing imported unless every row is accepted, and importing again adds nobody twice."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regionhub.core.models import AuditEntry
from regionhub.mailing import importing, services
from regionhub.mailing.models import Subscriber, Subscription, Suppression

from .factories import SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
S = Subscription.Status

GOOD = (
    "Email,Name,Organisation,Consent note\n"
    "ann.jones@dudley.gov.uk,Ann Jones,Dudley Council,Asked to join at the DCS Network 4/7/2024\n"
    "BOB.SMITH@walsall.gov.uk,Bob Smith,,Emailed us asking to be added 1/2/2024\n"
)
BAD = (
    "email,name,organisation,consent note\n"
    "ann.jones@dudley.gov.uk,Ann Jones,Dudley Council,Asked at the DCS Network\n"
    "not-an-address,Nobody,,Said yes\n"
    "\n"
    "carl@sandwell.gov.uk,Carl,,\n"
    "ANN.JONES@dudley.gov.uk,Ann again,,Asked twice\n"
    "gone@example.org,Gone,,Said yes\n"
)


def _run(admin_user, mailing_list, text: str, *, commit: bool):
    return services.subscribers_import(
        actor=admin_user, mailing_list=mailing_list, data=text.encode(), commit=commit
    )


def test_dry_run_reports_every_bad_row_and_changes_nothing(admin_user, main_list):
    Suppression.objects.create(email="gone@example.org", reason="unsubscribed")
    report = _run(admin_user, main_list, BAD, commit=False)
    assert not report.ok and not report.committed
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "Not a valid email address"),
        (5, "No consent note: say how and when they agreed"),
        (6, "Duplicate: already on line 2"),
        (7, "On the suppression list (unsubscribed from everything)"),
    ]
    assert not Subscriber.objects.exists()


def test_commit_with_a_bad_row_imports_nothing(admin_user, main_list):
    report = _run(admin_user, main_list, BAD, commit=True)
    assert not report.committed
    assert not Subscriber.objects.exists()
    assert not Subscription.objects.exists()


def test_commit_imports_confirmed_with_consent_and_again_adds_nobody(admin_user, main_list):
    report = _run(admin_user, main_list, GOOD, commit=True)
    assert report.committed and (report.new, report.confirmed, report.already) == (2, 2, 0)
    bob = Subscription.objects.select_related("subscriber").get(
        subscriber__email="bob.smith@walsall.gov.uk"
    )
    assert bob.status == S.CONFIRMED
    assert bob.source == Subscription.Source.IMPORT
    assert bob.consent_note == "Emailed us asking to be added 1/2/2024"
    assert bob.subscriber.name == "Bob Smith"
    assert AuditEntry.objects.filter(action="mailing.list.imported", actor=admin_user).exists()

    again = _run(admin_user, main_list, GOOD, commit=True)
    assert again.committed and (again.new, again.confirmed, again.already) == (0, 0, 2)
    assert Subscriber.objects.count() == 2
    assert Subscription.objects.count() == 2


def test_import_refuses_people_who_unsubscribed_or_bounced(admin_user, main_list):
    SubscriptionFactory(
        mailing_list=main_list,
        subscriber=SubscriberFactory(email="ann.jones@dudley.gov.uk"),
        status=S.UNSUBSCRIBED,
    )
    from django.utils import timezone

    SubscriberFactory(email="bob.smith@walsall.gov.uk", bounced_at=timezone.now())
    report = _run(admin_user, main_list, GOOD, commit=True)
    assert [r.line for r in report.rejected] == [2, 3]
    assert Subscription.objects.get().status == S.UNSUBSCRIBED


def test_pending_subscriber_becomes_confirmed_by_import(admin_user, main_list):
    pending = SubscriptionFactory(
        mailing_list=main_list,
        subscriber=SubscriberFactory(email="ann.jones@dudley.gov.uk", name=""),
        status=S.PENDING,
    )
    _run(admin_user, main_list, GOOD, commit=True)
    pending.refresh_from_db()
    assert pending.status == S.CONFIRMED and pending.source == Subscription.Source.IMPORT
    pending.subscriber.refresh_from_db()
    assert pending.subscriber.name == "Ann Jones"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x00\x00binary", "This file is not a CSV file"),
        (b"name,organisation\nAnn,Dudley\n", "No email or consent note column"),
        (b"email,name\nann@example.org,Ann\n", "No consent note column"),
        (b"email,consent note\n", "The file has a header line but no rows."),
    ],
)
def test_unparseable_files(data, message):
    with pytest.raises(importing.ImportFileError) as error:
        importing.parse(data)
    assert message in error.value.message


def test_semicolons_and_windows_encoding_are_read():
    rows = importing.parse("E-mail;Name;Consent\nzoe@example.org;Zoë;Oui\n".encode("cp1252"))
    assert rows == [importing.Row(2, "zoe@example.org", "Zoë", "", "Oui")]


def test_import_page_dry_run_then_import(client, admin_user, main_list):
    client.force_login(admin_user)
    url = reverse("mailing:list-import", args=[main_list.pk])
    response = client.post(
        url, {"action": "check", "file": SimpleUploadedFile("list.csv", GOOD.encode())}
    )
    page = response.content.decode()
    assert "The file can be imported" in page
    assert "Import 2 subscribers" in page
    assert not Subscriber.objects.exists()
    carried = response.context["form"]["carried"].value()
    response = client.post(url, {"action": "import", "carried": carried})
    assert response.status_code == 302
    assert Subscription.objects.filter(status=S.CONFIRMED).count() == 2


def test_import_page_lists_rejected_rows(client, admin_user, main_list):
    client.force_login(admin_user)
    url = reverse("mailing:list-import", args=[main_list.pk])
    response = client.post(
        url, {"action": "import", "file": SimpleUploadedFile("list.csv", BAD.encode())}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 rows cannot be imported" in page
    assert "Nothing has been imported" in page
    assert "Duplicate: already on line 2" in page
    assert not Subscriber.objects.exists()


def test_import_page_unreadable_file_message_beside_the_field(client, admin_user, main_list):
    client.force_login(admin_user)
    url = reverse("mailing:list-import", args=[main_list.pk])
    response = client.post(
        url, {"action": "check", "file": SimpleUploadedFile("list.xlsx", b"PK\x03\x04\x00\x00")}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("This file is not a CSV file")
    assert 'id="id_file-error"' in response.content.decode()
    response = client.post(url, {"action": "check"})
    assert response.context["form"].errors["file"] == ["Choose a CSV file"]
