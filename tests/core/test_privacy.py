"""Per-person export and erasure of personal data, across every app that holds some."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from regionhub.core import privacy
from regionhub.core.audit import audit_record, snapshot
from regionhub.core.models import AuditEntry
from regionhub.directory.models import Appointment, Person
from regionhub.events.models import Booking, FeedbackSubmission
from regionhub.mailing.models import MailingList, Subscriber, Subscription
from regionhub.newsletter.models import Comment, Issue
from regionhub.programmes.models import MenteeApplication, MentoringScheme
from tests.events.conftest import make_event
from tests.factories import AppointmentFactory, PersonFactory, UserFactory

NAME = "Harriet Quimby-Vance"
EMAIL = "harriet.vance@dudley.example"


@pytest.fixture
def person(authority, admin_user):
    person = PersonFactory(name=NAME, email=EMAIL, phone="01384 000000", notes="Prefers mornings")
    user = UserFactory(person=person, email=EMAIL, name=NAME, organisation=authority)
    appointment = AppointmentFactory(person=person, note="Covering maternity leave")
    audit_record(
        actor=admin_user, action="directory.person.updated", obj=person, after=snapshot(person)
    )
    audit_record(
        actor=admin_user, action="directory.appointment.started", obj=appointment,
        after={"person": person.pk, "post": appointment.post_id},
    )  # fmt: skip
    # A past event they attended and gave feedback on.
    past = make_event(admin_user, title="Big Thinking 24")
    Booking.objects.create(event=past, person=person, authority=authority, status="attended")
    past.__class__.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - datetime.timedelta(days=30),
        ends_at=timezone.now() - datetime.timedelta(days=30, hours=-6),
    )
    FeedbackSubmission.objects.create(event=past, person=person)
    issue = Issue.objects.create(
        title="Regional Update – May 2026", month=datetime.date(2026, 5, 1)
    )
    Comment.objects.create(issue=issue, user=user, body="Thank you for the foreword")
    scheme = MentoringScheme.objects.create(name="Regional mentoring")
    MenteeApplication.objects.create(
        scheme=scheme, person=person, goals="Confidential goals", line_manager_name="L M",
        line_manager_email="lm@dudley.example",
    )  # fmt: skip
    subscriber = Subscriber.objects.create(email=EMAIL, name=NAME)
    Subscription.objects.create(
        mailing_list=MailingList.objects.create(name="Regional Update", slug="update"),
        subscriber=subscriber,
        status="confirmed",
    )
    return person


def test_export_gathers_every_app(person, admin_user):
    data = privacy.person_export(actor=admin_user, person=person)
    sections = data["sections"]
    assert sections["Directory record"][0]["email"] == EMAIL
    assert sections["Posts held"][0]["note"] == "Covering maternity leave"
    assert sections["Sign-in account"][0]["email"] == EMAIL
    assert sections["Event bookings"][0]["event"] == "Big Thinking 24"
    assert sections["Comments on the Regional Update"][0]["comment"] == "Thank you for the foreword"
    assert sections["Mentoring: applications to be mentored"][0]["goals"] == "Confidential goals"
    assert sections["Mailing lists"][0]["status"] == "Subscribed"
    assert AuditEntry.objects.filter(action="directory.person.exported").count() == 1


def test_export_view_is_for_regional_admins_only(client, person, admin_user, coordinator, member):
    url = reverse("directory:person-data", args=[person.pk])
    assert client.get(url).status_code == 302  # sign in first
    for user in (coordinator, member):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["sections"]["Directory record"][0]["name"] == NAME


def test_an_upcoming_booking_blocks_erasure_and_nothing_changes(
    client, person, admin_user, authority
):
    upcoming = make_event(admin_user, title="Safeguarding Conference", days=20)
    Booking.objects.create(event=upcoming, person=person, authority=authority, status="confirmed")
    client.force_login(admin_user)
    url = reverse("directory:person-erase", args=[person.pk])
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 200
    assert "Safeguarding Conference" in response.text
    assert "cancel it first" in response.text
    person.refresh_from_db()
    assert person.name == NAME and person.email == EMAIL
    with pytest.raises(privacy.ErasureBlocked):
        privacy.person_erase(actor=admin_user, person=person)


def test_erasure_needs_the_box_ticked(client, person, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("directory:person-erase", args=[person.pk]), {})
    assert "Tick the box to confirm the erasure" in response.text
    assert Person.objects.get(pk=person.pk).name == NAME


def test_erasure_removes_what_identifies_them_and_keeps_the_history(client, person, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("directory:person-erase", args=[person.pk]), {"confirm": "on"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.email, person.phone, person.notes) == ("Erased person", "", "", "")
    # The post's history and the event's attendance still add up.
    assert Appointment.objects.filter(person=person, note="").count() == 1
    assert Booking.objects.filter(person=person, status="attended").count() == 1
    # Everything else that identifies them is gone.
    user = person.user
    assert not user.is_active and not user.has_usable_password() and EMAIL not in user.email
    assert not FeedbackSubmission.objects.filter(person=person).exists()
    assert not Comment.objects.exists()
    assert not MenteeApplication.objects.exists()
    assert not Subscriber.objects.filter(email=EMAIL).exists()
    for entry in AuditEntry.objects.all():
        text = json.dumps([entry.object_repr, entry.before, entry.after])
        assert NAME not in text and EMAIL not in text, entry.action
    erased = AuditEntry.objects.get(action="directory.person.erased")
    assert erased.actor == admin_user and erased.after["comments deleted"] == 1
    # Erasing twice is refused plainly.
    with pytest.raises(privacy.ErasureBlocked, match="already been erased"):
        privacy.person_erase(actor=admin_user, person=person)


def test_erasure_is_for_regional_admins_only(client, person, coordinator):
    client.force_login(coordinator)
    url = reverse("directory:person-erase", args=[person.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirm": "on"}).status_code == 404
    assert Person.objects.get(pk=person.pk).name == NAME
