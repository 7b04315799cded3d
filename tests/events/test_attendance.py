"""Recording attendance after the event, and the attendee and fill-rate downloads."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from regionhub.events import services
from regionhub.events.models import Booking, Event
from tests.events.conftest import make_event, member_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
S = Booking.Status


@pytest.fixture
def held(admin_user, authority, other_authority):
    """An event that started an hour ago: two bookings from `authority`, one from the other."""
    event = make_event(admin_user, capacity=10)
    services.allocations_set(
        actor=admin_user, event=event, per_authority={authority.pk: 4, other_authority.pk: 2}
    )
    ours = [member_of(authority, name=n) for n in ("Ann Ours", "Bea Ours")]
    theirs = member_of(other_authority, name="Cal Theirs")
    for user in (*ours, theirs):
        services.booking_create(actor=user, event=event, person=user.person)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=1))
    event.refresh_from_db()
    return event


def _booking(event, name):
    return event.bookings.get(person__name=name)


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_admin_marks_attendance_for_everyone(client, admin_user, held):
    client.force_login(admin_user)
    url = reverse("events:attendance", args=[held.pk])
    page = client.get(url).content.decode()
    assert all(n in page for n in ("Ann Ours", "Bea Ours", "Cal Theirs"))
    ann, cal = _booking(held, "Ann Ours"), _booking(held, "Cal Theirs")
    response = client.post(url, {f"b{ann.pk}": "attended", f"b{cal.pk}": "no_show"}, follow=True)
    assert "Attendance saved: 2 changed" in response.content.decode()
    assert "1 attended, 1 did not, 1 not yet recorded" in response.content.decode()
    statuses = dict(held.bookings.values_list("person__name", "status"))
    assert statuses == {"Ann Ours": S.ATTENDED, "Bea Ours": S.CONFIRMED, "Cal Theirs": S.NO_SHOW}


def test_coordinator_sees_and_marks_only_their_authority(client, coordinator, held):
    client.force_login(coordinator)
    url = reverse("events:attendance", args=[held.pk])
    page = client.get(url).content.decode()
    assert "Ann Ours" in page and "Cal Theirs" not in page
    cal = _booking(held, "Cal Theirs")
    # A field for someone else's booking is not on the form, so it is ignored.
    client.post(url, {f"b{cal.pk}": "attended"})
    assert _booking(held, "Cal Theirs").status == S.CONFIRMED
    with pytest.raises(PermissionDenied):
        services.attendance_record(actor=coordinator, event=held, marks={cal.pk: True})


def test_attendance_is_all_or_nothing(admin_user, coordinator, held):
    ann, cal = _booking(held, "Ann Ours"), _booking(held, "Cal Theirs")
    with pytest.raises(PermissionDenied):
        services.attendance_record(
            actor=coordinator, event=held, marks={ann.pk: True, cal.pk: True}
        )
    assert _booking(held, "Ann Ours").status == S.CONFIRMED
    other = make_event(admin_user)
    with pytest.raises(services.BookingError, match="not for this event"):
        services.attendance_record(actor=admin_user, event=other, marks={ann.pk: True})


def test_members_and_strangers_get_404(client, held, authority):
    client.force_login(member_of(authority))
    for url in (
        reverse("events:attendance", args=[held.pk]),
        reverse("events:attendees-export", args=[held.pk, "csv"]),
        reverse("events:fill-export", args=["csv"]),
    ):
        assert client.get(url).status_code == 404


def test_before_the_start_nothing_is_recorded(client, admin_user, authority):
    event = make_event(admin_user)
    user = member_of(authority)
    booking = services.booking_create(actor=user, event=event, person=user.person)
    client.force_login(admin_user)
    url = reverse("events:attendance", args=[event.pk])
    assert "once the event has started" in client.get(url).content.decode()
    client.post(url, {f"b{booking.pk}": "attended"})
    assert Booking.objects.get(pk=booking.pk).status == S.CONFIRMED


def test_attendee_csv_for_a_coordinator_lists_only_their_people(client, coordinator, held):
    client.force_login(coordinator)
    response = client.get(reverse("events:attendees-export", args=[held.pk, "csv"]))
    assert (
        response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    )
    rows = _csv(response)
    assert sorted(r["name"] for r in rows) == ["Ann Ours", "Bea Ours"]
    assert {r["status"] for r in rows} == {"Confirmed"}
    assert rows[0]["date"] == timezone.localtime(held.starts_at).date().isoformat()


def test_attendee_xlsx_for_an_admin_lists_everyone(client, admin_user, held):
    client.force_login(admin_user)
    response = client.get(reverse("events:attendees-export", args=[held.pk, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("event", "date", "authority", "name")
    assert sorted(r[3] for r in rows[1:]) == ["Ann Ours", "Bea Ours", "Cal Theirs"]


def test_unknown_format_is_404(client, admin_user, held):
    client.force_login(admin_user)
    assert client.get(reverse("events:attendees-export", args=[held.pk, "pdf"])).status_code == 404
    assert client.get(reverse("events:fill-export", args=["pdf"])).status_code == 404


def test_fill_rates(client, admin_user, coordinator, held, authority, other_authority):
    services.attendance_mark(actor=admin_user, booking=_booking(held, "Ann Ours"), attended=True)
    services.attendance_mark(actor=admin_user, booking=_booking(held, "Bea Ours"), attended=False)
    client.force_login(admin_user)
    rows = _csv(client.get(reverse("events:fill-export", args=["csv"])))
    ours = next(r for r in rows if r["authority"] == authority.name)
    theirs = next(r for r in rows if r["authority"] == other_authority.name)
    assert (ours["allocated"], ours["confirmed"], ours["attended"], ours["no_show"]) == (
        "4",
        "2",
        "1",
        "1",
    )
    assert ours["fill_rate_percent"] == "50" and theirs["fill_rate_percent"] == "50"
    client.force_login(coordinator)
    rows = _csv(client.get(reverse("events:fill-export", args=["csv"])))
    assert {r["authority"] for r in rows} == {authority.name}


def test_fill_export_query_count_does_not_grow(
    client, admin_user, authority, django_assert_max_num_queries
):
    for _ in range(6):
        event = make_event(admin_user)
        services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 2})
    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        rows = _csv(client.get(reverse("events:fill-export", args=["csv"])))
    assert len(rows) == 6


def test_event_page_links_attendance_for_managers_only(client, held, coordinator, authority):
    client.force_login(coordinator)
    assert (
        reverse("events:attendance", args=[held.pk])
        in client.get(held.get_absolute_url()).content.decode()
    )
    client.force_login(UserFactory(role="member", organisation=authority))
    assert (
        reverse("events:attendance", args=[held.pk])
        not in client.get(held.get_absolute_url()).content.decode()
    )
