from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from regionhub.accounts.models import User
from regionhub.networks.models import Attendance, Group
from regionhub.plan.models import Initiative
from regionhub.plan.selectors import plan_as_at

pytestmark = pytest.mark.django_db


def test_demo_loads_once_with_memory_engagement_and_plan(client):
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "Networks demo loaded: 10 groups" in text
    assert "Plan demo loaded: 5 initiatives" in text
    call_command("load_demo", stdout=(again := StringIO()))
    assert "Networks demo already loaded" in again.getvalue()
    assert "Plan demo already loaded" in again.getvalue()

    rclo = Group.objects.get(name="RCLO Board")
    admin = User.objects.get(email="admin@regionhub.example")
    client.force_login(admin)
    page = client.get(rclo.get_absolute_url()).content.decode()
    assert "Jo Britton" in page and "June 2023" in page
    workforce = Group.objects.get(name="Workforce and Leadership Workstream")
    page = client.get(workforce.get_absolute_url()).content.decode()
    assert "John Gregg" in page and "June 2023" in page

    # Attendance varies: some authorities send the right person, some a deputy, some nobody.
    statuses = set(Attendance.objects.values_list("status", flat=True))
    assert statuses == {"present", "deputy", "apologies", "absent"}
    page = client.get(reverse("networks:engagement") + "?kind=year&on=2024-06-01").content
    assert b"govuk-tag--green" in page and b"govuk-tag--red" in page

    safe = Initiative.objects.get(title="Safe Centre")
    assert safe.milestones.filter(done__isnull=False).count() == 4
    rags = {i.title: i.rag for i in plan_as_at(safe.start.replace(year=2024, month=1))}
    assert rags["Safe Centre"] == "red"
    csa = Initiative.objects.get(title="Child sexual abuse response pathway")
    assert "Solihull" in str(csa.sponsor_post)
