import pytest

from regionhub.directory.demo import load_demo
from regionhub.programmes.demo import load_demo_data
from regionhub.programmes.models import (
    Application,
    AwardNomination,
    Cohort,
    Endorsement,
    Match,
    MenteeApplication,
    Programme,
)

pytestmark = pytest.mark.django_db


def test_demo_loads_once_with_every_stage():
    load_demo()
    summary = load_demo_data()
    assert summary.startswith("Programmes demo loaded")
    breaking = Programme.objects.get(title="Breaking Through")
    assert (breaking.regional_price, breaking.direct_price) == (1584, 1950)
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {"applied", "endorsed", "confirmed", "accepted", "declined", "withdrawn"} <= statuses
    leading = Cohort.objects.get(programme__title="Leading Change in SEND/AP")
    assert (leading.last_day.day, leading.last_day.month) == (26, 7)
    assert Programme.objects.get(title="Aspirant Leaders Programme").interests.exists()
    assert not Programme.objects.get(title="Aspirant Leaders Programme").cohorts.exists()
    assert MenteeApplication.objects.count() == 3
    assert Endorsement.objects.count() == 2
    assert Match.objects.count() == 1
    assert AwardNomination.objects.filter(status="winner").count() == 1
    assert load_demo_data() == "Programmes demo already loaded; nothing changed."
    assert Programme.objects.count() == 6
