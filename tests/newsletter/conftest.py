import datetime

import pytest

from regionhub.newsletter import services
from tests.factories import UserFactory


@pytest.fixture
def second_admin(db):
    return UserFactory(role="regional_admin", is_staff=True)


@pytest.fixture
def issue(admin_user):
    return services.issue_create(actor=admin_user, month=datetime.date(2024, 7, 1))


@pytest.fixture
def published_issue(admin_user, second_admin):
    issue = services.issue_create(
        actor=admin_user, month=datetime.date(2024, 6, 1), foreword="A word from the chair."
    )
    services.issue_approve(actor=second_admin, issue=issue)
    return services.issue_publish(actor=admin_user, issue=issue)
