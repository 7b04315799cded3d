import icalendar
import pytest
from django.core import mail
from django.urls import reverse

from regionhub.events import emails, services, tasks
from tests.events.conftest import make_event, member_of

pytestmark = pytest.mark.django_db


def invite(message) -> icalendar.Calendar:
    [(body, mimetype)] = message.alternatives
    assert mimetype.startswith("text/calendar")
    return icalendar.Calendar.from_ical(body)


def events_in(calendar):
    return list(calendar.walk("VEVENT"))


def test_invite_update_and_cancel_share_a_uid_with_rising_sequence(
    admin_user, authority, django_capture_on_commit_callbacks
):
    event = make_event(admin_user, venue="New Road, Worcester")
    user = member_of(authority)
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(actor=admin_user, event=event, person=user.person)
    request = invite(mail.outbox[-1])
    assert request["METHOD"] == "REQUEST"
    [vevent] = events_in(request)
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert [tz["TZID"] for tz in request.walk("VTIMEZONE")] == ["Europe/London"]
    assert str(vevent["LOCATION"]) == "New Road, Worcester"
    uid, first_sequence = str(vevent["UID"]), int(vevent["SEQUENCE"])

    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(actor=admin_user, event=event, data={"venue": "Edgbaston"})
    update = invite(mail.outbox[-1])
    [changed] = events_in(update)
    assert str(changed["UID"]) == uid and int(changed["SEQUENCE"]) > first_sequence
    assert str(changed["LOCATION"]) == "Edgbaston"

    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(actor=user, booking=booking)
    cancel = invite(mail.outbox[-1])
    assert cancel["METHOD"] == "CANCEL"
    [gone] = events_in(cancel)
    assert str(gone["UID"]) == uid and int(gone["SEQUENCE"]) > int(changed["SEQUENCE"])


def test_online_invite_carries_the_link_only_for_people_with_a_place(admin_user, authority, client):
    link = "https://meet.example/room"
    event = make_event(admin_user, venue="", online_url=link)
    user = member_of(authority)
    booking = services.booking_create(actor=admin_user, event=event, person=user.person)
    message = emails.booking_message(booking, "confirmed")
    [vevent] = events_in(invite(message))
    assert str(vevent["LOCATION"]) == link
    public = icalendar.Calendar.from_ical(
        client.get(reverse("events:event-ics", args=[event.pk])).content
    )
    assert link not in public.to_ical().decode()
    assert "METHOD" not in public


def test_series_invite_has_one_event_per_session(admin_user, authority):
    import datetime

    from django.utils import timezone

    start = timezone.now() + datetime.timedelta(days=5)
    event = services.event_create(
        actor=admin_user,
        data={"title": "IROC bite-sized", "venue": "Online", "capacity": 50},
        sessions=[
            (start + datetime.timedelta(days=i), start + datetime.timedelta(days=i, minutes=15))
            for i in range(3)
        ],
    )
    services.event_publish(actor=admin_user, event=event)
    user = member_of(authority)
    booking = services.booking_create(actor=admin_user, event=event, person=user.person)
    vevents = events_in(invite(emails.booking_message(booking, "confirmed")))
    assert len({str(v["UID"]) for v in vevents}) == 3


def test_private_feed_lists_a_persons_bookings(admin_user, authority, client):
    event = make_event(admin_user, title="Big Thinking")
    user = member_of(authority)
    services.booking_create(actor=admin_user, event=event, person=user.person)
    url = emails.feed_url(user.person.pk).removeprefix("http://127.0.0.1:8000")
    response = client.get(url)
    assert response.status_code == 200
    feed = icalendar.Calendar.from_ical(response.content)
    assert [str(v["SUMMARY"]) for v in events_in(feed)] == ["Big Thinking"]
    tampered = url.replace(".ics", "x.ics")
    assert client.get(tampered).status_code == 404
    other = reverse("events:person-feed", args=[f"{user.person.pk + 1}:forged"])
    assert client.get(other).status_code == 404


def test_reminders_go_to_people_with_places(admin_user, authority):
    event = make_event(admin_user, days=1.5)
    make_event(admin_user, days=5, title="Later")
    user = member_of(authority)
    services.booking_create(actor=admin_user, event=event, person=user.person)
    mail.outbox.clear()
    assert tasks.send_reminders.call() == 1
    assert mail.outbox[0].subject == f"Reminder: {event.title}"
    assert mail.outbox[0].to == [user.person.email]
