from io import StringIO

import pytest
from django.core.management import call_command

from regionhub.accounts.models import User
from regionhub.events import selectors
from regionhub.events.models import Booking, Event

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_lets_the_member_join_a_waiting_list(client):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Events demo loaded: 6 past and 3 upcoming events" in out.getvalue()
    call_command("load_demo", stdout=(again := StringIO()))
    assert "Events demo already loaded" in again.getvalue()
    assert Event.objects.filter(title="Safeguarding Conference").count() == 1
    past = Event.objects.get(title="Participation Leads Conference")
    assert past.bookings.filter(status=Booking.Status.ATTENDED).exists()
    results = selectors.feedback_results(past)
    assert results.submissions > 0 and results.questions[0].average is not None
    assert len(results.highlights) == 4
    workshop = Event.objects.get(title="Care leavers' offer workshop")
    member = User.objects.get(email="member@regionhub.example")
    client.force_login(member)
    page = client.get(workshop.get_absolute_url()).content.decode()
    assert "Join the waiting list" in page
