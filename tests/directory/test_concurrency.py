"""Two people appointing to the same single-holder post at once: only one may win."""

import datetime
import threading

import pytest
from django.db import close_old_connections

from regionhub.directory import services
from regionhub.directory.models import Appointment
from tests.factories import OrganisationFactory, PersonFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_appointments_never_exceed_the_posts_holders(require_postgres):
    authority = OrganisationFactory()
    post = PostFactory(organisation=authority, max_holders=1)
    admin = UserFactory(role="regional_admin")
    people = [PersonFactory(organisation=authority) for _ in range(6)]
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []

    def appoint(person):
        try:
            barrier.wait()
            services.appointment_create(
                actor=admin, post=post, person=person, data={"start": datetime.date(2024, 1, 1)}
            )
            outcomes.append("ok")
        except services.DirectoryError:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=appoint, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5
    assert Appointment.objects.filter(post=post).count() == 1
