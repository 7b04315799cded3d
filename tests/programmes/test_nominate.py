"""Choosing a colleague to nominate: a search by name or email with a bounded list, usable with
50,000 people; it keeps what was typed and checks the choice against whom the user may
nominate."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from regionhub.programmes import selectors, services
from regionhub.programmes.models import Application
from tests.factories import OrganisationFactory, PersonFactory
from tests.programmes.conftest import coordinator_of, make_cohort, member_of

pytestmark = pytest.mark.django_db


def url(cohort, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("programmes:cohort-nominate", args=[cohort.pk]) + (f"?{query}" if query else "")


def radios(html: str) -> int:
    return html.count('name="person" type="radio"')


def test_the_search_finds_by_name_or_email_among_the_coordinators_people(
    client, authority, other_authority, cohort
):
    PersonFactory(organisation=authority, name="Priya Shah", email="p.shah@dudley.gov.uk")
    PersonFactory(organisation=authority, name="Tom Price", email="tom.price@dudley.gov.uk")
    PersonFactory(organisation=other_authority, name="Priya Other", email="po@elsewhere.gov.uk")
    client.force_login(coordinator_of(authority))
    by_name = client.get(url(cohort, q="priya")).content.decode()
    assert "Priya Shah" in by_name and "Priya Other" not in by_name and "Tom Price" not in by_name
    assert radios(by_name) == 1
    by_email = client.get(url(cohort, q="TOM.PRICE@")).content.decode()
    assert "Tom Price" in by_email and radios(by_email) == 1
    nobody = client.get(url(cohort, q="zzz")).content.decode()
    assert "Nobody you can nominate matches ‘zzz’" in nobody and radios(nobody) == 0


def test_results_are_bounded_and_ask_to_refine(client, admin_user, authority, cohort):
    for n in range(selectors.NOMINEES_SHOWN + 5):
        PersonFactory(organisation=authority, name=f"Alex Morgan {n:02d}")
    client.force_login(admin_user)
    many = client.get(url(cohort, q="morgan")).content.decode()
    assert radios(many) == selectors.NOMINEES_SHOWN
    assert "refine your search" in many
    assert "Alex Morgan 00" in many and f"Alex Morgan {selectors.NOMINEES_SHOWN:02d}" not in many
    exact = client.get(url(cohort, q="morgan 24")).content.decode()
    assert radios(exact) == 1 and "refine your search" not in exact


def test_an_admin_may_search_anyone_at_a_member_authority(client, admin_user, cohort):
    member_org = OrganisationFactory(kind="council", is_member=True)
    outsider_org = OrganisationFactory(kind="partner", is_member=False)
    PersonFactory(organisation=member_org, name="Jo Member")
    PersonFactory(organisation=outsider_org, name="Jo Outsider")
    client.force_login(admin_user)
    page = client.get(url(cohort, q="jo")).content.decode()
    assert "Jo Member" in page and "Jo Outsider" not in page


def test_someone_who_already_applied_is_shown_but_cannot_be_chosen(client, authority, cohort):
    applicant = member_of(authority, name="Kim Applied")
    services.application_create(actor=applicant, cohort=cohort)
    coordinator = coordinator_of(authority)
    client.force_login(coordinator)
    page = client.get(url(cohort, q="kim")).content.decode()
    assert "already applied or nominated" in page
    assert f'value="{applicant.person.pk}" disabled' in page
    # A post that chooses them anyway gets the service's message beside the field, keeping
    # what was typed.
    response = client.post(
        url(cohort), {"person": applicant.person.pk, "statement": "Keen", "q": "kim"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "already applied" in body.split('id="person-error"')[1][:300]
    assert "Keen" in body and 'value="kim"' in body
    assert Application.objects.filter(cohort=cohort).count() == 1


def test_a_chosen_person_stays_chosen_when_the_form_comes_back(client, cohort):
    """The service refuses (the coordinator's organisation is not a member authority, so it
    has no places); the form comes back with the same person chosen, even one the list would
    not show first, and what was written."""
    partner = OrganisationFactory(kind="partner", is_member=False)
    people = [PersonFactory(organisation=partner, name=f"Pat {n:02d}") for n in range(25)]
    client.force_login(coordinator_of(partner))
    chosen = people[-1]
    response = client.post(url(cohort), {"person": chosen.pk, "statement": "Ready", "q": ""})
    body = response.content.decode()
    assert "you can only nominate people from the authorities you coordinate" in body
    assert f'value="{chosen.pk}" checked' in body
    assert "Ready" in body
    assert not Application.objects.exists()


def test_a_cohort_closed_meanwhile_refuses_the_nomination(client, authority, cohort):
    colleague = PersonFactory(organisation=authority, name="Lee Late")
    client.force_login(coordinator_of(authority))
    cohort.deadline = timezone.now() - datetime.timedelta(minutes=1)
    cohort.save(update_fields=["deadline"])
    response = client.post(url(cohort), {"person": colleague.pk, "statement": "Ready", "q": ""})
    assert "Nominations for this cohort closed" in response.content.decode()
    assert not Application.objects.exists()


def test_nominating_from_the_search(client, authority, cohort):
    colleague = PersonFactory(organisation=authority, name="Rob Nominee")
    coordinator = coordinator_of(authority)
    client.force_login(coordinator)
    page = client.get(url(cohort, q="rob")).content.decode()
    assert f'value="{colleague.pk}"' in page
    response = client.post(url(cohort), {"person": colleague.pk, "statement": "Ready", "q": "rob"})
    assert response.status_code == 302 and response["Location"] == cohort.get_absolute_url()
    application = Application.objects.get(cohort=cohort, person=colleague)
    assert application.nominated_by == coordinator and application.statement == "Ready"


def test_no_choice_gets_a_message_beside_the_list(client, authority, cohort):
    PersonFactory(organisation=authority, name="Sue Someone")
    client.force_login(coordinator_of(authority))
    body = client.post(url(cohort), {"statement": "Why", "q": "sue"}).content.decode()
    assert "Choose who to nominate" in body
    assert "Sue Someone" in body and "Why" in body


def test_the_live_search_replaces_the_results_in_place(client, authority, cohort):
    """htmx asks for the same page and swaps #results; without JavaScript the search form
    submits and the whole page comes back with the same results."""
    PersonFactory(organisation=authority, name="Hana Live")
    client.force_login(coordinator_of(authority))
    page = client.get(url(cohort), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-get="' in page and 'hx-select="#results"' in page
    found = client.get(url(cohort, q="hana"), headers={"HX-Request": "true"}).content.decode()
    results = found.split('id="results"')[1]
    assert "Hana Live" in results and 'name="q" value="hana"' in results


def test_members_and_anonymous_readers_cannot_nominate(client, member, cohort):
    assert client.get(url(cohort)).status_code == 302
    client.force_login(member)
    assert client.get(url(cohort)).status_code == 404
    assert client.post(url(cohort), {"person": 1}).status_code == 404


def test_a_closed_cohort_says_so(client, admin_user, authority):
    cohort = make_cohort(admin_user, deadline=timezone.now() - datetime.timedelta(days=1))
    client.force_login(coordinator_of(authority))
    page = client.get(url(cohort)).content.decode()
    assert "Nominations for this cohort closed on" in page
    assert radios(page) == 0


def test_the_cohort_page_links_to_the_search(client, admin_user, authority, cohort):
    client.force_login(coordinator_of(authority))
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert f'action="{url(cohort)}"' in page and 'name="q"' in page
    client.force_login(member_of(authority))
    assert (
        "Find a colleague to nominate" not in client.get(cohort.get_absolute_url()).content.decode()
    )


def test_the_search_costs_the_same_queries_however_many_people(
    client, admin_user, authority, cohort, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin_user)
    for n in range(3):
        PersonFactory(organisation=authority, name=f"Few {n}")
    with CaptureQueriesContext(connection) as few:
        client.get(url(cohort, q="few"))
    for n in range(80):
        PersonFactory(organisation=authority, name=f"Many {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url(cohort, q="many")).content.decode()
    assert radios(page) == selectors.NOMINEES_SHOWN


def test_a_nomination_sent_to_the_cohort_page_is_not_taken_for_an_application(
    client, authority, cohort
):
    coordinator = coordinator_of(authority)
    coordinator.person = PersonFactory(organisation=authority)
    coordinator.save()
    colleague = PersonFactory(organisation=authority)
    client.force_login(coordinator)
    response = client.post(
        cohort.get_absolute_url(), {"nominate": "1", "nominate-person": colleague.pk}
    )
    assert response.status_code == 302 and response["Location"] == url(cohort)
    assert not Application.objects.exists()
