import datetime
from datetime import UTC

import pytest
from django.core.exceptions import PermissionDenied
from django.template import RequestContext, Template
from django.urls import reverse

from regionhub.core.models import AuditEntry
from regionhub.events import services as event_services
from regionhub.programmes import awards, selectors
from regionhub.programmes.models import AwardNomination, AwardRound
from tests.factories import AppointmentFactory, OrganisationFactory, PostFactory, UserFactory
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


# The ceremony -------------------------------------------------------------------------------


def make_event(admin, *, title="Team Excellence Awards ceremony", on=None, publish=True):
    start = on or datetime.datetime(2024, 3, 14, 18, tzinfo=UTC)
    event = event_services.event_create(
        actor=admin,
        data={"title": title, "venue": "Birmingham", "capacity": 100},
        sessions=[(start, start + datetime.timedelta(hours=3))],
    )
    if publish:
        event = event_services.event_publish(actor=admin, event=event)
    return event


def test_only_admins_choose_the_ceremony_and_it_is_audited(
    client, admin_user, authority, django_assert_max_num_queries
):
    event = make_event(admin_user)
    coordinator = coordinator_of(authority)
    with pytest.raises(PermissionDenied):
        awards.award_set_ceremony(actor=coordinator, year=2023, event=event)
    url = reverse("programmes:award-ceremony", args=[2023])
    client.force_login(coordinator)
    assert client.post(url, {"ceremony": event.pk}).status_code == 404
    assert not AwardRound.objects.exists()

    client.force_login(admin_user)
    response = client.post(url, {"ceremony": event.pk})
    assert response.status_code == 302
    assert AwardRound.objects.get(year=2023).ceremony == event
    entry = AuditEntry.objects.get(action="programmes.award.ceremony_set")
    assert entry.after == {"ceremony": event.pk} and entry.before == {"ceremony": None}
    # And removed again.
    client.post(url, {"ceremony": ""})
    assert AwardRound.objects.get(year=2023).ceremony is None


def test_the_form_offers_events_of_the_year_and_the_next_not_cancelled(admin_user):
    early = make_event(admin_user, title="Too early", on=datetime.datetime(2022, 12, 1, tzinfo=UTC))
    same = make_event(admin_user, title="Same year", on=datetime.datetime(2023, 11, 1, tzinfo=UTC))
    next_year = make_event(admin_user, title="Next", on=datetime.datetime(2024, 3, 1, tzinfo=UTC))
    late = make_event(admin_user, title="Too late", on=datetime.datetime(2025, 1, 2, tzinfo=UTC))
    off = make_event(admin_user, title="Called off", on=datetime.datetime(2024, 5, 1, tzinfo=UTC))
    event_services.event_cancel(actor=admin_user, event=off)
    offered = list(awards.ceremony_candidates(2023))
    assert offered == [same, next_year]
    assert early not in offered and late not in offered
    # A chosen event stays on offer, so the form can show it.
    awards.award_set_ceremony(actor=admin_user, year=2023, event=early)
    assert early in awards.ceremony_candidates(2023)
    off.refresh_from_db()
    with pytest.raises(awards.AwardError, match="cancelled"):
        awards.award_set_ceremony(actor=admin_user, year=2023, event=off)


def test_the_awards_page_links_to_the_ceremony(client, admin_user, authority):
    event = make_event(admin_user)
    draft = make_event(admin_user, title="Draft ceremony", publish=False)
    nominate(coordinator_of(authority), authority)
    awards.award_set_ceremony(actor=admin_user, year=2023, event=event)
    client.force_login(member_of(authority))
    page = client.get(reverse("programmes:award-list") + "?year=2023").content.decode()
    assert f'href="{event.get_absolute_url()}"' in page and "14 March 2024" in page
    assert 'name="ceremony"' not in page  # the form is for admins
    # A draft event is linked for admins only.
    awards.award_set_ceremony(actor=admin_user, year=2023, event=draft)
    page = client.get(reverse("programmes:award-list") + "?year=2023").content.decode()
    assert 'id="award-ceremony"' not in page and "Draft ceremony" not in page
    client.force_login(admin_user)
    page = client.get(reverse("programmes:award-list") + "?year=2023").content.decode()
    assert f'href="{draft.get_absolute_url()}"' in page and "a draft event" in page
    assert f'<option value="{draft.pk}" selected>' in page


def test_the_event_shows_winners_and_shortlist_never_other_nominations(
    admin_user, authority, other_authority, django_assert_max_num_queries
):
    event = make_event(admin_user)
    third = OrganisationFactory(kind="council", is_member=True)
    winner = nominate(coordinator_of(authority), authority, team="Front Door Team")
    shortlisted = nominate(coordinator_of(other_authority), other_authority, team="Care Leavers")
    nominate(coordinator_of(third), third, team="Not Chosen Team")
    assert selectors.awards_for_event(event.pk) == []
    awards.award_set_ceremony(actor=admin_user, year=2023, event=event)
    [shown] = selectors.awards_for_event(event.pk)
    assert shown.year == 2023 and not shown.announced
    awards.award_set_status(actor=admin_user, nomination=winner, status="winner")
    awards.award_set_status(actor=admin_user, nomination=shortlisted, status="shortlisted")
    with django_assert_max_num_queries(2):
        [shown] = selectors.awards_for_event(event.pk)
    assert [n.team for n in shown.winners] == ["Front Door Team"]
    assert [n.team for n in shown.shortlisted] == ["Care Leavers"]
    assert shown.url == reverse("programmes:award-list") + "?year=2023"
    assert selectors.awards_for_event(make_event(admin_user, title="Other").pk) == []


def test_the_event_page_include_renders_for_signed_in_readers_only(
    rf, admin_user, authority, django_assert_num_queries
):
    from django.contrib.auth.models import AnonymousUser

    event = make_event(admin_user)
    winner = nominate(coordinator_of(authority), authority, team="Front Door Team")
    awards.award_set_status(actor=admin_user, nomination=winner, status="winner")
    awards.award_set_ceremony(actor=admin_user, year=2023, event=event)
    template = Template("{% load programmes_awards %}{% event_awards event %}")

    def render(user) -> str:
        request = rf.get(event.get_absolute_url())
        request.user = user
        return template.render(RequestContext(request, {"event": event}))

    html = render(member_of(authority))
    assert "Team Excellence Awards 2023" in html
    assert "Winner" in html and "Front Door Team" in html
    assert f'href="{reverse("programmes:award-list")}?year=2023"' in html
    with django_assert_num_queries(0):
        assert render(AnonymousUser()).strip() == ""
    other = make_event(admin_user, title="Other event")
    assert "Team Excellence" not in Template(
        "{% load programmes_awards %}{% event_awards event %}"
    ).render(RequestContext(_request(rf, member_of(authority)), {"event": other}))


def _request(rf, user):
    request = rf.get("/")
    request.user = user
    return request


def test_the_ceremony_event_page_shows_its_awards(client, admin_user, authority):
    event = make_event(admin_user)
    winner = nominate(coordinator_of(authority), authority, team="Front Door Team")
    awards.award_set_status(actor=admin_user, nomination=winner, status="winner")
    awards.award_set_ceremony(actor=admin_user, year=2023, event=event)
    client.force_login(member_of(authority))
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Team Excellence Awards 2023" in page and "Front Door Team" in page
    client.logout()
    assert "Front Door Team" not in client.get(event.get_absolute_url()).content.decode()
