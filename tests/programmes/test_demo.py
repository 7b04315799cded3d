import pytest
from django.utils import timezone

from regionhub.directory.demo import load_demo
from regionhub.events.models import Event
from regionhub.programmes import selectors
from regionhub.programmes.demo import load_demo_data
from regionhub.programmes.models import (
    Application,
    AwardNomination,
    AwardRound,
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
    ceremony = AwardRound.objects.get(year=timezone.localdate().year - 1).ceremony
    assert ceremony.status == "published" and "Team Excellence Awards" in ceremony.title
    [shown] = selectors.awards_for_event(ceremony.pk)
    assert len(shown.winners) == 1 and len(shown.shortlisted) == 2
    assert load_demo_data() == "Programmes demo already loaded; nothing changed."
    assert Programme.objects.count() == 6


def test_a_demo_loaded_before_the_ceremony_existed_gets_it_once():
    load_demo()
    load_demo_data()
    AwardRound.objects.all().delete()
    assert load_demo_data().endswith("the awards ceremony event added.")
    assert AwardRound.objects.get().ceremony.title.startswith("Team Excellence Awards ceremony")
    assert Event.objects.filter(title__startswith="Team Excellence Awards").count() == 1
    assert load_demo_data() == "Programmes demo already loaded; nothing changed."
