"""Coordinators endorsing the last places at once, on PostgreSQL with real connections."""

import threading

import pytest
from django.db import connection

from regionhub.programmes import services
from regionhub.programmes.models import Application
from tests.factories import OrganisationFactory, UserFactory
from tests.programmes.conftest import coordinator_of, make_cohort, member_of

pytestmark = pytest.mark.django_db(transaction=True)
S = Application.Status


def run_at_once(jobs) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait()
            outcome = job().status
        except services.ProgrammeError as error:
            outcome = f"refused: {error.message}"
        except Exception as error:  # noqa: BLE001 - every other failure is reported below
            outcome = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_coordinators_endorsing_the_last_place_give_it_once(require_postgres):
    admin = UserFactory(role="regional_admin")
    dudley, sandwell = OrganisationFactory(), OrganisationFactory()
    cohort = make_cohort(admin, places=1)
    jobs = []
    for authority in (dudley, sandwell):
        application = services.application_create(actor=member_of(authority), cohort=cohort)
        coordinator = coordinator_of(authority)
        jobs.append(
            lambda c=coordinator, a=application: services.application_endorse(
                actor=c, application=a
            )
        )
    outcomes = run_at_once(jobs)
    assert sorted(outcomes) == [S.ENDORSED, S.WAITLISTED], outcomes
    assert cohort.applications.holding().count() == 1


def test_many_endorsements_at_once_respect_total_and_shares(require_postgres):
    admin = UserFactory(role="regional_admin")
    dudley, sandwell, walsall = (OrganisationFactory() for _ in range(3))
    cohort = make_cohort(admin, places=5, per_authority={dudley.pk: 2})
    jobs = []
    for authority in (dudley, sandwell, walsall):
        coordinator = coordinator_of(authority)
        for _ in range(8):
            application = services.application_create(actor=member_of(authority), cohort=cohort)
            jobs.append(
                lambda c=coordinator, a=application: services.application_endorse(
                    actor=c, application=a
                )
            )
    outcomes = run_at_once(jobs)
    assert not [o for o in outcomes if o.startswith(("error", "refused"))], outcomes
    assert outcomes.count(S.ENDORSED) == 5
    holding = cohort.applications.holding()
    assert holding.count() == 5
    assert holding.filter(authority=dudley).count() <= 2
    positions = sorted(cohort.applications.waiting().values_list("position", flat=True))
    assert positions == list(range(1, 20))
