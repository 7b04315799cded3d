import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from regionhub.programmes import awards
from regionhub.programmes.models import AwardNomination
from tests.factories import AppointmentFactory, PostFactory, UserFactory
from tests.programmes.conftest import coordinator_of, member_of

pytestmark = pytest.mark.django_db


def nominate(actor, authority, year=2023, team="Fostering Recruitment Team"):
    return awards.award_nominate(
        actor=actor, authority=authority, year=year, team=team, summary="Doubled foster carers"
    )


def test_one_nomination_per_authority_per_year(authority):
    coordinator = coordinator_of(authority)
    nominate(coordinator, authority)
    with pytest.raises(awards.AwardError, match="already nominated a team for 2023"):
        nominate(coordinator, authority, team="Another team")
    nominate(coordinator, authority, year=2024)
    assert AwardNomination.objects.count() == 2


def test_the_current_director_may_nominate_and_a_member_may_not(authority, other_authority):
    director = member_of(authority)
    post = PostFactory(organisation=authority, category="director")
    AppointmentFactory(person=director.person, post=post, start=datetime.date(2020, 1, 1))
    nominate(director, authority)
    with pytest.raises(PermissionDenied):
        nominate(director, other_authority)
    with pytest.raises(PermissionDenied):
        nominate(member_of(authority), authority, year=2024)


def test_admins_shortlist_and_record_winners(client, admin_user, authority, other_authority):
    winner = nominate(coordinator_of(authority), authority)
    other = nominate(coordinator_of(other_authority), other_authority, team="Edge of Care Team")
    coordinator = coordinator_of(authority)
    with pytest.raises(PermissionDenied):
        awards.award_set_status(actor=coordinator, nomination=winner, status="winner")
    client.force_login(coordinator)
    url = reverse("programmes:award-status", args=[winner.pk])
    assert client.post(url, {"status": "winner"}).status_code == 404

    client.force_login(admin_user)
    client.post(url, {"status": "winner"})
    client.post(reverse("programmes:award-status", args=[other.pk]), {"status": "shortlisted"})
    assert set(awards.award_winners(2023).values_list("team", "status")) == {
        ("Fostering Recruitment Team", "winner"),
        ("Edge of Care Team", "shortlisted"),
    }
    winner.refresh_from_db()
    assert winner.status == "winner"

    client.force_login(member_of(authority))
    page = client.get(reverse("programmes:award-list") + "?year=2023").content.decode()
    assert "Fostering Recruitment Team" in page and "Winner" in page


def test_members_see_only_the_shortlist(client, authority):
    nominate(coordinator_of(authority), authority, team="Quiet Team")
    client.force_login(member_of(authority))
    page = client.get(reverse("programmes:award-list") + "?year=2023").content.decode()
    assert "Quiet Team" not in page
    assert client.get(reverse("programmes:award-nominate")).status_code == 404


def test_nomination_form_keeps_input_on_a_duplicate(client, authority):
    coordinator = coordinator_of(authority)
    nominate(coordinator, authority, year=2023)
    client.force_login(coordinator)
    response = client.post(
        reverse("programmes:award-nominate") + "?year=2023",
        {"authority": authority.pk, "team": "Second try", "summary": "More"},
    )
    body = response.content.decode()
    assert "already nominated a team for 2023" in body
    assert "Second try" in body


def test_unknown_status_is_refused(admin_user, authority):
    nomination = nominate(UserFactory(role="regional_admin"), authority)
    with pytest.raises(awards.AwardError):
        awards.award_set_status(actor=admin_user, nomination=nomination, status="champion")
