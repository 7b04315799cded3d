"""Random sequences of apply / endorse / confirm / decline / withdraw / refuse never give more
places than a cohort or an authority has."""

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from regionhub.programmes import services
from regionhub.programmes.models import Application, CohortPlaces
from tests.factories import OrganisationFactory, UserFactory
from tests.programmes.conftest import coordinator_of, make_cohort, make_programme, member_of

pytestmark = pytest.mark.django_db
S = Application.Status
# Every example shares the test's database, and programme titles are unique.
TITLES = (f"Programme {n}" for n in itertools.count())


class Places(RuleBasedStateMachine):
    @initialize(places=st.integers(0, 5), shares=st.tuples(st.integers(0, 3), st.integers(0, 3)))
    def setup(self, places, shares):
        self.admin = UserFactory(role="regional_admin")
        programme = make_programme(self.admin, title=next(TITLES))
        self.authorities = [OrganisationFactory(), OrganisationFactory(), OrganisationFactory()]
        per_authority = {a.pk: n for a, n in zip(self.authorities, shares, strict=False)}
        if sum(shares) > places:
            with pytest.raises(services.ProgrammeError, match="more than the cohort"):
                make_cohort(self.admin, programme, places=places, per_authority=per_authority)
            per_authority = {}
        self.cohort = make_cohort(self.admin, programme, places=places, per_authority=per_authority)
        self.coordinators = [coordinator_of(a) for a in self.authorities]
        self.members: dict[int, object] = {}

    def _pick(self, data, *statuses):
        found = list(self.cohort.applications.filter(status__in=statuses).order_by("pk"))
        return data.draw(st.sampled_from(found)) if found else None

    @rule(which=st.integers(0, 2))
    def apply(self, which):
        user = member_of(self.authorities[which])
        application = services.application_create(actor=user, cohort=self.cohort)
        self.members[application.pk] = user

    @rule(data=st.data())
    def endorse(self, data):
        application = self._pick(data, S.APPLIED)
        if application is None:
            return
        which = self.authorities.index(application.authority)
        result = services.application_endorse(
            actor=self.coordinators[which], application=application
        )
        assert result.status in (S.ENDORSED, S.WAITLISTED)

    @rule(data=st.data())
    def confirm(self, data):
        application = self._pick(data, S.ENDORSED)
        if application is not None:
            services.application_confirm(actor=self.admin, application=application)

    @rule(data=st.data(), accept=st.booleans())
    def respond(self, data, accept):
        application = self._pick(data, S.CONFIRMED)
        if application is not None:
            services.application_respond(
                actor=self.members[application.pk], application=application, accept=accept
            )

    @rule(data=st.data())
    def withdraw(self, data):
        application = self._pick(data, S.APPLIED, S.WAITLISTED, *Application.HOLDING)
        if application is not None:
            services.application_withdraw(
                actor=self.members[application.pk], application=application
            )

    @rule(data=st.data())
    def refuse(self, data):
        application = self._pick(data, S.APPLIED, S.WAITLISTED, S.ENDORSED)
        if application is not None:
            services.application_refuse(actor=self.admin, application=application)

    @invariant()
    def places_taken_never_exceed_places(self):
        if not hasattr(self, "cohort"):
            return
        holding = self.cohort.applications.holding()
        assert holding.count() <= self.cohort.places
        for share in CohortPlaces.objects.filter(cohort=self.cohort):
            assert holding.filter(authority=share.authority).count() <= share.places

    @invariant()
    def nobody_waits_while_a_place_they_could_use_is_free(self):
        if not hasattr(self, "cohort"):
            return
        for application in self.cohort.applications.waiting():
            assert services.places_left(self.cohort, application.authority_id) == 0


def test_random_sequences_keep_places_within_limits(db):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        Places,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
