import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from regionhub.programmes import selectors, services
from regionhub.programmes.models import Application, Cohort, Interest, Programme
from tests.factories import OrganisationFactory, PersonFactory
from tests.programmes.conftest import coordinator_of, make_cohort, make_programme, member_of

pytestmark = pytest.mark.django_db
S = Application.Status


def test_programme_list_query_budget(client, admin_user, django_assert_max_num_queries):
    for n in range(6):
        programme = make_programme(admin_user, title=f"Programme {n}")
        make_cohort(admin_user, programme)
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("programmes:programme-list"))
    assert "Programme 5" in response.content.decode()
    assert "£1,584" in response.content.decode()


def test_programme_list_pages_through_many(client, admin_user, django_assert_max_num_queries):
    per_page = selectors.ProgrammeListing.PER_PAGE
    for n in range(per_page + 2):
        make_programme(admin_user, title=f"Programme {n:03d}")
    with django_assert_max_num_queries(8):
        first = client.get(reverse("programmes:programme-list")).content.decode()
    assert f"Programme {per_page - 1:03d}" in first and f"Programme {per_page:03d}" not in first
    assert "Page 1 of 2" in first
    assert f"{per_page + 2} programmes" in first
    second = client.get(reverse("programmes:programme-list") + "?page=2").content.decode()
    assert f"Programme {per_page + 1:03d}" in second


def test_programme_list_search_and_open_filter(client, admin_user):
    open_one = make_programme(admin_user, title="Breaking Through", audience="Aspiring managers")
    make_cohort(admin_user, open_one)
    closed = make_programme(admin_user, title="SEND Leadership", audience="SEND leads")
    make_cohort(admin_user, closed, deadline=timezone.now() - datetime.timedelta(days=1), days=-20)
    interest_only = make_programme(admin_user, title="Aspirant Leaders", audience="Future DCSs")
    services.interest_register(
        actor=member_of(OrganisationFactory()), programme=interest_only, role="team_manager"
    )
    url = reverse("programmes:programme-list")
    page = client.get(url).content.decode()
    assert "3 programmes" in page
    assert "Taking interest (1 so far)" in page
    by_audience = client.get(url + "?q=aspir").content.decode()
    assert "Breaking Through" in by_audience and "Aspirant Leaders" in by_audience
    assert "SEND Leadership" not in by_audience
    taking = client.get(url + "?open=1").content.decode()
    assert "1 programme taking applications now" in taking
    assert "Breaking Through" in taking and "SEND Leadership" not in taking
    nothing = client.get(url + "?q=zzz").content.decode()
    assert "No programme matches" in nothing


def test_cohort_page_query_budget_does_not_grow(client, admin_user, django_assert_max_num_queries):
    cohort = make_cohort(admin_user, places=40)
    client.force_login(admin_user)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(cohort.get_absolute_url())
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        authority = OrganisationFactory()
        application = services.application_create(actor=member_of(authority), cohort=cohort)
        services.application_endorse(actor=admin_user, application=application)
    few = count()
    for _ in range(12):
        authority = OrganisationFactory()
        application = services.application_create(actor=member_of(authority), cohort=cohort)
        services.application_endorse(actor=admin_user, application=application)
    assert count() == few
    assert few <= 20


def test_apply_from_the_cohort_page(client, authority, cohort):
    user = member_of(authority)
    client.force_login(user)
    response = client.post(cohort.get_absolute_url(), {"apply-statement": "I lead a team"})
    assert response.status_code == 302
    application = Application.objects.get(person=user.person)
    assert application.statement == "I lead a team"
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert 'Status: <strong class="govuk-tag">Applied</strong>' in page


def test_after_the_deadline_the_page_says_so_and_a_post_is_refused(client, admin_user, authority):
    cohort = make_cohort(admin_user, days=-2)
    client.force_login(member_of(authority))
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert "Applications for this cohort closed on" in page
    assert "Apply for a place" not in page
    response = client.post(cohort.get_absolute_url(), {"apply-statement": "Kept text"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Applications for this cohort closed on" in body
    assert "Kept text" in body
    assert not Application.objects.exists()


def test_a_second_application_gets_a_message(client, authority, cohort):
    user = member_of(authority)
    services.application_create(actor=user, cohort=cohort)
    client.force_login(user)
    response = client.post(cohort.get_absolute_url(), {"apply-statement": "again"})
    assert "You have already applied for this cohort" in response.content.decode()


def test_nominating_someone_from_another_authority_shows_an_error_beside_the_field(
    client, admin_user, authority, other_authority, cohort
):
    coordinator = coordinator_of(authority)
    stranger = PersonFactory(organisation=other_authority, name="Sam Stranger")
    client.force_login(coordinator)
    response = client.post(
        reverse("programmes:cohort-nominate", args=[cohort.pk]),
        {"person": stranger.pk, "statement": "Strong", "q": "sam"},
    )
    body = response.content.decode()
    # The search offers only the coordinator's own people, so the form refuses the choice.
    assert "Choose someone from the list" in body
    assert 'id="person-error"' in body
    assert 'href="#id_person"' in body
    assert "Strong" in body and 'value="sam"' in body
    assert "Sam Stranger" not in body
    assert not Application.objects.exists()


def test_coordinator_nominates_and_endorses(client, authority, cohort):
    coordinator = coordinator_of(authority)
    colleague = PersonFactory(organisation=authority)
    client.force_login(coordinator)
    response = client.post(
        reverse("programmes:cohort-nominate", args=[cohort.pk]), {"person": colleague.pk}
    )
    assert response.status_code == 302
    application = Application.objects.get(person=colleague)
    assert application.nominated_by == coordinator
    url = reverse("programmes:application-action", args=[application.pk, "endorse"])
    assert client.post(url).status_code == 302
    application.refresh_from_db()
    assert application.status == S.ENDORSED


def test_another_authoritys_coordinator_gets_404(client, authority, other_authority, cohort):
    application = services.application_create(actor=member_of(authority), cohort=cohort)
    client.force_login(coordinator_of(other_authority))
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert application.person.name not in page
    for action in ("endorse", "withdraw", "confirm"):
        url = reverse("programmes:application-action", args=[application.pk, action])
        assert client.post(url).status_code == 404
    application.refresh_from_db()
    assert application.status == S.APPLIED


def test_a_coordinator_cannot_confirm(client, authority, cohort):
    application = services.application_create(actor=member_of(authority), cohort=cohort)
    coordinator = coordinator_of(authority)
    services.application_endorse(actor=coordinator, application=application)
    client.force_login(coordinator)
    url = reverse("programmes:application-action", args=[application.pk, "confirm"])
    assert client.post(url).status_code == 404
    application.refresh_from_db()
    assert application.status == S.ENDORSED


def test_admin_pages_are_404_for_others(client, coordinator, programme, cohort):
    client.force_login(coordinator)
    for url in (
        reverse("programmes:programme-create"),
        reverse("programmes:programme-edit", args=[programme.pk]),
        reverse("programmes:programme-demand", args=[programme.pk]),
        reverse("programmes:cohort-create", args=[programme.pk]),
        reverse("programmes:cohort-edit", args=[cohort.pk]),
        reverse("programmes:savings-report"),
    ):
        assert client.get(url).status_code == 404, url


def test_programme_form_refuses_regional_above_direct_and_keeps_input(client, admin_user):
    provider = OrganisationFactory(kind="partner", is_member=False)
    client.force_login(admin_user)
    response = client.post(
        reverse("programmes:programme-create"),
        {
            "title": "Inspiring Women into Leadership",
            "provider": provider.pk,
            "audience": "Women leaders",
            "regional_price": "2000",
            "direct_price": "1950",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "cannot be above the direct price" in body
    assert 'id="id_regional_price-error"' in body
    assert "Inspiring Women into Leadership" in body
    assert not Programme.objects.exists()


def test_register_interest_then_commission_from_demand(client, admin_user, authority, programme):
    user = member_of(authority)
    client.force_login(user)
    page = client.get(programme.get_absolute_url()).content.decode()
    assert "Register your interest" in page
    client.post(programme.get_absolute_url(), {"role": "team_manager"})
    assert Interest.objects.filter(person=user.person, role="team_manager").exists()

    client.force_login(admin_user)
    demand = client.get(reverse("programmes:programme-demand", args=[programme.pk]))
    assert "Team manager" in demand.content.decode()
    assert user.person.name in demand.content.decode()
    deadline = timezone.localdate() + datetime.timedelta(days=20)
    response = client.post(
        reverse("programmes:cohort-create", args=[programme.pk]),
        {
            "name": "Cohort 2",
            "starts": (deadline + datetime.timedelta(days=10)).strftime("%d/%m/%Y"),
            "places": "12",
            "deadline_date": deadline.strftime("%d/%m/%Y"),
            "rule": "nominated",
            "per_authority": f"{authority.name}: 2",
        },
    )
    assert response.status_code == 302
    cohort = Cohort.objects.get(name="Cohort 2")
    assert cohort.authority_places.get().places == 2
    assert cohort.is_open()
    assert Interest.objects.get(person=user.person).told_about == cohort


def test_cohort_form_reports_an_unknown_authority(client, admin_user, programme):
    client.force_login(admin_user)
    response = client.post(
        reverse("programmes:cohort-create", args=[programme.pk]),
        {
            "name": "Cohort 2",
            "starts": "1/9/2030",
            "places": "12",
            "deadline_date": "26/7/2030",
            "rule": "first_come",
            "per_authority": "Atlantis: 2",
        },
    )
    assert "Line 1: &#x27;Atlantis&#x27; is not a member authority" in response.content.decode()


def test_savings_report_and_exports(client, admin_user, authority, cohort):
    application = services.application_create(actor=member_of(authority), cohort=cohort)
    services.application_endorse(actor=admin_user, application=application)
    client.force_login(admin_user)
    page = client.get(reverse("programmes:savings-report")).content.decode()
    assert "Total saved: £366.00" in page
    csv = client.get(reverse("programmes:savings-report") + "?format=csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("financial_year,programme,cohort,authority")
    assert f"{authority.name},1,366.0,366.0" in text
    xlsx = client.get(reverse("programmes:savings-report") + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_savings_report_query_budget(client, admin_user, django_assert_max_num_queries):
    for n in range(5):
        cohort = make_cohort(admin_user, make_programme(admin_user, title=f"P{n}"), places=9)
        for _ in range(3):
            a = services.application_create(actor=member_of(OrganisationFactory()), cohort=cohort)
            services.application_endorse(actor=admin_user, application=a)
    client.force_login(admin_user)
    with django_assert_max_num_queries(6):
        client.get(reverse("programmes:savings-report"))


def test_participant_accepts_from_the_page(client, admin_user, authority, cohort):
    user = member_of(authority)
    application = services.application_create(actor=user, cohort=cohort)
    services.application_endorse(actor=admin_user, application=application)
    services.application_confirm(actor=admin_user, application=application)
    client.force_login(user)
    assert "Accept your place" in client.get(cohort.get_absolute_url()).content.decode()
    client.post(reverse("programmes:application-action", args=[application.pk, "accept"]))
    application.refresh_from_db()
    assert application.status == S.ACCEPTED
