"""Programme pages make the same number of queries however much data there is, and show a
bounded number of rows: the national-scale pages `make bench` measures stay flat.

The fragment cache is off in tests, so these count the queries of a page rendered afresh."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regionhub.programmes import selectors, services
from regionhub.programmes.models import Application
from tests.factories import OrganisationFactory, PersonFactory
from tests.programmes.conftest import coordinator_of, make_cohort, make_programme, member_of

pytestmark = pytest.mark.django_db
S = Application.Status
STEPS = [S.APPLIED, S.ENDORSED, S.CONFIRMED, S.WAITLISTED, S.WITHDRAWN]


def build(admin, *, programmes: int, cohorts: int, applications: int, people: int, tag: str):
    """A region of `programmes` programmes with `cohorts` cohorts each; the first cohort of the
    first programme gets `applications` applications at every stage from two authorities, and
    each authority has `people` more people to nominate."""
    authorities = [OrganisationFactory(kind="council", is_member=True) for _ in range(2)]
    made = []
    for p in range(programmes):
        programme = make_programme(admin, title=f"{tag} programme {p}")
        for c in range(cohorts):
            made.append(
                make_cohort(
                    admin,
                    programme,
                    name=f"Cohort {c}",
                    places=applications,
                    starts=datetime.date(2022 + c % 3, 5, 1),
                    per_authority={authorities[0].pk: applications},
                )
            )
    busiest = made[0]
    for n in range(applications):
        authority = authorities[n % 2]
        applicant = member_of(authority, name=f"{tag} applicant {n}")
        application = services.application_create(actor=applicant, cohort=busiest)
        step = STEPS[n % len(STEPS)]
        if step in (S.ENDORSED, S.CONFIRMED):
            services.application_endorse(actor=admin, application=application)
        if step == S.CONFIRMED:
            services.application_confirm(actor=admin, application=application)
        if step == S.WAITLISTED:
            Application.objects.filter(pk=application.pk).update(status=S.WAITLISTED, position=n)
        if step == S.WITHDRAWN:
            services.application_withdraw(actor=applicant, application=application)
        # Places held in other cohorts too, for the savings report.
        for other in made[1:]:
            Application.objects.create(
                cohort=other, person=applicant.person, authority=authority, status=S.ACCEPTED
            )
    for authority in authorities:
        for n in range(people):
            PersonFactory(organisation=authority, name=f"{tag} colleague {n}")
    coordinator = coordinator_of(authorities[0])
    return busiest, coordinator


def pages(cohort, admin: bool = True) -> list[str]:
    programme = cohort.programme
    nominate = reverse("programmes:cohort-nominate", args=[cohort.pk])
    savings = reverse("programmes:savings-report")
    found = [
        reverse("programmes:programme-list"),
        reverse("programmes:programme-list") + "?q=programme&open=1",
        programme.get_absolute_url(),
        cohort.get_absolute_url(),
        cohort.get_absolute_url() + "?status=applied&q=applicant",
        cohort.get_absolute_url() + "?page=2",
        nominate,
        nominate + "?q=colleague",
        reverse("programmes:award-list"),
    ]
    if admin:
        found += [
            savings,
            savings + "?year=2022-23",
            savings + f"?programme={programme.pk}&year=2022-23",
            reverse("programmes:programme-demand", args=[programme.pk]),
        ]
    return found


def counts(client, urls) -> list[int]:
    found = []
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        found.append(len(ctx.captured_queries))
    return found


def body_rows(html: str) -> int:
    """Rows in the body of the first table in `html`."""
    body = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return body.count('<tr class="govuk-table__row"')


@pytest.mark.parametrize("who", ["admin", "coordinator"])
def test_query_counts_do_not_grow_with_the_data(client, admin_user, who):
    small, small_coordinator = build(
        admin_user, programmes=2, cohorts=2, applications=6, people=3, tag="Small"
    )
    big, big_coordinator = build(
        admin_user, programmes=8, cohorts=3, applications=60, people=40, tag="Big"
    )
    admin = who == "admin"
    client.force_login(admin_user if admin else small_coordinator)
    budgets = counts(client, pages(small, admin))
    if not admin:
        client.force_login(big_coordinator)
    grown = counts(client, pages(big, admin))
    assert grown == budgets, list(zip(pages(big, admin), budgets, grown, strict=True))
    assert max(budgets) <= 14


def test_member_pages_do_not_grow_with_the_data(client, admin_user):
    small, _ = build(admin_user, programmes=1, cohorts=1, applications=3, people=1, tag="S")
    member = member_of(OrganisationFactory(kind="council", is_member=True))
    client.force_login(member)
    services.application_create(actor=member, cohort=small)
    urls = [reverse("programmes:programme-list"), small.get_absolute_url()]
    budgets = counts(client, urls)
    big, _ = build(admin_user, programmes=6, cohorts=2, applications=40, people=1, tag="B")
    services.application_create(actor=member, cohort=big)
    assert counts(client, [urls[0], big.get_absolute_url()]) == budgets


def test_pages_show_a_bounded_number_of_rows(client, admin_user):
    cohort, coordinator = build(
        admin_user, programmes=30, cohorts=1, applications=60, people=30, tag="Many"
    )
    client.force_login(admin_user)
    listing = client.get(reverse("programmes:programme-list")).content.decode()
    assert body_rows(listing) == selectors.ProgrammeListing.PER_PAGE
    assert "Page 1 of 2" in listing

    page = client.get(cohort.get_absolute_url()).content.decode()
    assert page.count("data-person=") == selectors.CohortApplications.PER_PAGE
    assert "60 applications" in page and "Page 1 of 3" in page
    last = client.get(cohort.get_absolute_url() + "?page=3").content.decode()
    assert last.count("data-person=") == 60 - 2 * selectors.CohortApplications.PER_PAGE

    nominate = reverse("programmes:cohort-nominate", args=[cohort.pk])
    found = client.get(nominate + "?q=colleague").content.decode()
    assert found.count('name="person" type="radio"') == selectors.NOMINEES_SHOWN
    assert "refine your search" in found

    savings = client.get(reverse("programmes:savings-report")).content.decode()
    shown = savings.split('id="savings-programmes"')[1]
    assert body_rows(shown) == selectors.SavingsReport.PROGRAMMES_PER_PAGE
    assert "Page 1 of 2" in savings


def test_a_coordinator_sees_and_searches_only_their_authoritys_applications(
    client, admin_user, authority, other_authority
):
    cohort = make_cohort(admin_user, places=10)
    mine = [member_of(authority, name=f"Ours {n}") for n in range(3)]
    theirs = [member_of(other_authority, name=f"Theirs {n}") for n in range(3)]
    for user in mine + theirs:
        services.application_create(actor=user, cohort=cohort)
    services.application_endorse(
        actor=admin_user, application=Application.objects.get(person=mine[0].person)
    )
    client.force_login(coordinator_of(authority))
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert "3 applications" in page
    assert "Ours 0" in page and "Theirs 0" not in page
    endorsed = client.get(cohort.get_absolute_url() + "?status=endorsed").content.decode()
    assert "1 application matching" in endorsed
    assert "Ours 0" in endorsed and "Ours 1" not in endorsed
    searched = client.get(cohort.get_absolute_url() + "?q=theirs").content.decode()
    assert "No application matches" in searched


def test_the_action_buttons_post_to_their_step_through_one_form(client, admin_user, authority):
    cohort = make_cohort(admin_user)
    applicant = member_of(authority, name="Ada Applicant")
    application = services.application_create(actor=applicant, cohort=cohort)
    client.force_login(admin_user)
    page = client.get(cohort.get_absolute_url()).content.decode()
    endorse = reverse("programmes:application-action", args=[application.pk, "endorse"])
    assert f'form="application-actions" formaction="{endorse}"' in page
    assert '<form method="post" id="application-actions"><input type="hidden"' in page
    client.post(endorse)
    application.refresh_from_db()
    assert application.status == S.ENDORSED
    # A member sees their application without anyone's buttons.
    client.force_login(applicant)
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert "formaction" not in page and 'id="application-actions"' not in page
