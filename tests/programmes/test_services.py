import datetime
import decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from regionhub.core.models import AuditEntry
from regionhub.programmes import selectors, services
from regionhub.programmes.models import Application, Interest
from tests.factories import PersonFactory
from tests.programmes.conftest import coordinator_of, make_cohort, make_programme, member_of

pytestmark = pytest.mark.django_db
S = Application.Status


def test_regional_price_above_direct_is_refused_with_a_message(admin_user):
    with pytest.raises(services.ProgrammeError) as error:
        make_programme(
            admin_user,
            regional_price=decimal.Decimal("2000"),
            direct_price=decimal.Decimal("1950"),
        )
    assert error.value.field == "regional_price"
    assert "cannot be above the direct price" in error.value.message


def test_only_admins_create_programmes(member):
    with pytest.raises(PermissionDenied):
        make_programme(member)


def test_authority_shares_cannot_exceed_the_cohort(admin_user, authority):
    with pytest.raises(services.ProgrammeError, match="more than the cohort's 2 places"):
        make_cohort(admin_user, places=2, per_authority={authority.pk: 3})


def test_the_full_journey_emails_each_step(admin_user, authority, cohort, committed):
    applicant = member_of(authority)
    coordinator = coordinator_of(authority)
    mail.outbox.clear()
    with committed(execute=True):
        application = services.application_create(actor=applicant, cohort=cohort)
    assert application.status == S.APPLIED
    assert application.authority == authority
    assert {m.to[0] for m in mail.outbox} == {applicant.person.email, coordinator.email}

    with committed(execute=True):
        application = services.application_endorse(actor=coordinator, application=application)
        assert application.status == S.ENDORSED
        application = services.application_confirm(actor=admin_user, application=application)
        assert application.status == S.CONFIRMED
        application = services.application_respond(
            actor=applicant, application=application, accept=True
        )
    assert application.status == S.ACCEPTED
    subjects = [m.subject for m in mail.outbox]
    assert any(s.startswith("Your authority has endorsed") for s in subjects)
    assert any(s.startswith("Your place is confirmed") for s in subjects)
    assert any(s.startswith("Place accepted") for s in subjects)
    actions = set(
        AuditEntry.objects.filter(object_id=str(application.pk)).values_list("action", flat=True)
    )
    assert {
        "programmes.application.created",
        "programmes.application.endorsed",
        "programmes.application.confirmed",
        "programmes.application.accepted",
    } <= actions


def test_applying_after_the_deadline_says_when_it_closed(admin_user, authority):
    cohort = make_cohort(admin_user, days=-1)
    with pytest.raises(services.NominationError) as error:
        services.application_create(actor=member_of(authority), cohort=cohort)
    assert error.value.message.startswith("Applications for this cohort closed on")
    assert Application.objects.count() == 0


def test_a_second_application_is_refused(authority, cohort):
    applicant = member_of(authority)
    services.application_create(actor=applicant, cohort=cohort)
    with pytest.raises(services.NominationError, match="already applied"):
        services.application_create(actor=applicant, cohort=cohort)
    assert Application.objects.count() == 1


def test_the_database_refuses_a_second_application_too(authority, cohort):
    applicant = member_of(authority)
    services.application_create(actor=applicant, cohort=cohort)
    with pytest.raises(services.NominationError, match="already applied"):
        services._insert(cohort=cohort, person=applicant.person, authority=authority)


def test_coordinator_nominates_only_their_own_people(authority, other_authority, cohort):
    coordinator = coordinator_of(authority)
    stranger = PersonFactory(organisation=other_authority)
    with pytest.raises(services.NominationError) as error:
        services.application_nominate(actor=coordinator, cohort=cohort, person=stranger)
    assert error.value.field == "person"
    assert "only nominate people from the authorities you coordinate" in error.value.message
    own = PersonFactory(organisation=authority)
    application = services.application_nominate(actor=coordinator, cohort=cohort, person=own)
    assert application.nominated_by == coordinator


def test_members_cannot_nominate(member, cohort, authority):
    with pytest.raises(PermissionDenied):
        services.application_nominate(
            actor=member, cohort=cohort, person=PersonFactory(organisation=authority)
        )


def test_nominated_cohorts_refuse_self_applications(admin_user, authority):
    cohort = make_cohort(admin_user, rule="nominated")
    with pytest.raises(services.NominationError, match="by nomination"):
        services.application_create(actor=member_of(authority), cohort=cohort)


def test_a_coordinator_cannot_endorse_another_authority(authority, other_authority, cohort):
    application = services.application_create(actor=member_of(other_authority), cohort=cohort)
    with pytest.raises(PermissionDenied):
        services.application_endorse(actor=coordinator_of(authority), application=application)
    application.refresh_from_db()
    assert application.status == S.APPLIED


def test_endorsing_beyond_the_share_waits_and_a_withdrawal_moves_the_place_on(
    admin_user, authority, other_authority, committed
):
    cohort = make_cohort(admin_user, places=3, per_authority={authority.pk: 1})
    coordinator = coordinator_of(authority)
    first, second = member_of(authority), member_of(authority)
    a1 = services.application_create(actor=first, cohort=cohort)
    a2 = services.application_create(actor=second, cohort=cohort)
    a1 = services.application_endorse(actor=coordinator, application=a1)
    a2 = services.application_endorse(actor=coordinator, application=a2)
    assert (a1.status, a2.status) == (S.ENDORSED, S.WAITLISTED)
    assert services.places_left(cohort, authority.pk) == 0
    assert services.places_left(cohort, other_authority.pk) == 2

    mail.outbox.clear()
    with committed(execute=True):
        services.application_withdraw(actor=first, application=a1)
    a2.refresh_from_db()
    assert a2.status == S.ENDORSED
    assert any(
        m.subject.startswith("A place has come up") and m.to == [second.person.email]
        for m in mail.outbox
    )


def test_declining_frees_the_place(admin_user, authority):
    cohort = make_cohort(admin_user, places=1)
    coordinator = coordinator_of(authority)
    one, two = member_of(authority), member_of(authority)
    a1 = services.application_endorse(
        actor=coordinator, application=services.application_create(actor=one, cohort=cohort)
    )
    a2 = services.application_endorse(
        actor=coordinator, application=services.application_create(actor=two, cohort=cohort)
    )
    assert a2.status == S.WAITLISTED
    services.application_confirm(actor=admin_user, application=a1)
    a1.refresh_from_db()
    services.application_respond(actor=one, application=a1, accept=False)
    a2.refresh_from_db()
    assert a2.status == S.ENDORSED


def test_only_the_participant_responds(admin_user, authority, cohort):
    applicant = member_of(authority)
    application = services.application_create(actor=applicant, cohort=cohort)
    services.application_endorse(actor=admin_user, application=application)
    services.application_confirm(actor=admin_user, application=application)
    with pytest.raises(PermissionDenied):
        services.application_respond(
            actor=coordinator_of(authority), application=application, accept=True
        )


def test_confirming_needs_an_endorsement(admin_user, authority, cohort):
    application = services.application_create(actor=member_of(authority), cohort=cohort)
    with pytest.raises(services.NominationError, match="cannot be confirmed"):
        services.application_confirm(actor=admin_user, application=application)


def test_commissioning_tells_those_interested(admin_user, authority, programme, committed):
    people = [member_of(authority) for _ in range(3)]
    for user in people:
        services.interest_register(actor=user, programme=programme, role="team_manager")
    with pytest.raises(services.ProgrammeError, match="already registered"):
        services.interest_register(actor=people[0], programme=programme, role="team_manager")
    demand = selectors.demand_for(programme)
    assert demand.total == 3
    mail.outbox.clear()
    with committed(execute=True):
        cohort = make_cohort(admin_user, programme)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.person.email for u in people)
    assert all(cohort.name in m.body for m in mail.outbox)
    assert Interest.objects.filter(told_about=cohort).count() == 3
    assert selectors.demand_for(programme).total == 0


def test_savings_per_cohort_programme_authority_and_year(admin_user, authority, other_authority):
    programme = make_programme(admin_user)
    cohort = make_cohort(admin_user, programme, starts=datetime.date(2024, 9, 1), places=10)
    for who in (authority, authority, other_authority):
        application = services.application_create(actor=member_of(who), cohort=cohort)
        services.application_endorse(actor=admin_user, application=application)
    services.application_create(actor=member_of(authority), cohort=cohort)  # no place: no saving
    report = selectors.SavingsReport()
    assert report.total.saving == decimal.Decimal("366") * 3
    assert report.total.places == 3
    assert [(y.label, y.places, y.saving) for y in report.by_year] == [
        ("2024-25", 3, decimal.Decimal("1098"))
    ]
    by_authority = {line.label: line.saving for line in report.by_authority}
    assert by_authority == {
        authority.name: decimal.Decimal("732"),
        other_authority.name: decimal.Decimal("366"),
    }
    assert [(p.label, p.saving) for p in report.programmes.object_list] == [
        ("Breaking Through", decimal.Decimal("1098"))
    ]
    drill = selectors.SavingsReport(year="2024-25", programme=programme)
    assert [(c.label, c.places, c.detail) for c in drill.cohorts.object_list] == [
        ("Cohort 1", 3, "2024-25")
    ]
    assert len(selectors.savings_rows()) == 2
    other_year = selectors.SavingsReport(year="2023-24")
    assert other_year.total.saving == 0
    assert other_year.programmes.object_list == []
    assert other_year.by_authority == []


def test_savings_count_a_cohort_in_the_financial_year_it_starts(admin_user, authority):
    """April to March: a cohort starting on 31 March counts in the year before one starting on
    1 April, and each programme's own prices apply."""
    cheap = make_programme(admin_user, title="Cheap", regional_price=100, direct_price=1100)
    dear = make_programme(admin_user, title="Dear", regional_price=500, direct_price=600)
    march = make_cohort(admin_user, cheap, starts=datetime.date(2025, 3, 31), name="March")
    april = make_cohort(admin_user, dear, starts=datetime.date(2025, 4, 1), name="April")
    for cohort in (march, april, april):
        application = services.application_create(actor=member_of(authority), cohort=cohort)
        services.application_endorse(actor=admin_user, application=application)
    report = selectors.SavingsReport()
    assert [(y.label, y.places, y.saving) for y in report.by_year] == [
        ("2024-25", 1, decimal.Decimal("1000")),
        ("2025-26", 2, decimal.Decimal("200")),
    ]
    assert report.total.saving == decimal.Decimal("1200")
    # Biggest saving first.
    assert [p.label for p in report.programmes.object_list] == ["Cheap", "Dear"]
    assert selectors.SavingsReport(year="2025-26").total.saving == decimal.Decimal("200")
    assert [p.label for p in selectors.SavingsReport(year="2025-26").programmes.object_list] == [
        "Dear"
    ]


def test_financial_years():
    assert selectors.financial_year(datetime.date(2025, 3, 31)) == "2024-25"
    assert selectors.financial_year(datetime.date(2025, 4, 1)) == "2025-26"


def test_reducing_places_below_those_taken_is_refused(admin_user, authority, cohort):
    application = services.application_create(actor=member_of(authority), cohort=cohort)
    services.application_endorse(actor=admin_user, application=application)
    with pytest.raises(services.ProgrammeError, match="already taken"):
        services.cohort_update(actor=admin_user, cohort=cohort, data={"places": 0})
    cohort = services.cohort_update(
        actor=admin_user,
        cohort=cohort,
        data={"deadline": timezone.now() + datetime.timedelta(days=3)},
    )
    assert cohort.places == 5
