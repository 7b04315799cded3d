"""Scheduled tasks may run more than once; what they do must not repeat."""

import pytest
from django.core import mail

from regionhub.events import services, tasks
from regionhub.events.models import Booking
from tests.events.conftest import make_event, member_of

pytestmark = pytest.mark.django_db


def test_each_booking_is_reminded_once_however_often_the_task_runs(admin_user, authority):
    event = make_event(admin_user, days=1.5)
    first, second = member_of(authority), member_of(authority)
    services.booking_create(actor=admin_user, event=event, person=first.person)
    mail.outbox.clear()
    assert tasks.send_reminders.call() == 1
    assert tasks.send_reminders.call() == 0
    assert [m.to for m in mail.outbox] == [[first.person.email]]
    # Someone booking after the first run is still reminded, once.
    services.booking_create(actor=admin_user, event=event, person=second.person)
    mail.outbox.clear()
    assert tasks.send_reminders.call() == 1
    assert tasks.send_reminders.call() == 0
    assert [m.to for m in mail.outbox] == [[second.person.email]]
    assert not Booking.objects.filter(reminder_sent_at__isnull=True).exists()


def test_a_swapped_place_reminds_its_new_holder(admin_user, coordinator, authority):
    event = make_event(admin_user, days=1.5)
    services.allocations_set(actor=admin_user, event=event, per_authority={authority.pk: 1})
    holder, colleague = member_of(authority), member_of(authority)
    booking = services.booking_create(actor=admin_user, event=event, person=holder.person)
    tasks.send_reminders.call()
    services.booking_swap(actor=coordinator, booking=booking, person=colleague.person)
    mail.outbox.clear()
    assert tasks.send_reminders.call() == 1
    assert mail.outbox[0].to == [colleague.person.email]


def test_no_reminder_for_waiting_cancelled_or_far_off(admin_user, authority):
    event = make_event(admin_user, days=1.5, capacity=1)
    later = make_event(admin_user, days=5)
    users = [member_of(authority) for _ in range(3)]
    services.booking_create(actor=admin_user, event=event, person=users[0].person)
    services.booking_create(actor=admin_user, event=event, person=users[1].person)
    services.booking_create(actor=admin_user, event=later, person=users[2].person)
    cancelled = member_of(authority)
    Booking.objects.create(
        event=event, person=cancelled.person, authority=authority, status="cancelled"
    )
    mail.outbox.clear()
    assert tasks.send_reminders.call() == 1
    assert mail.outbox[0].to == [users[0].person.email]
