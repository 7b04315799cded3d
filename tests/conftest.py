import os
import shutil

import pytest
from django.db import connection

from tests.factories import (
    OrganisationFactory,
    UserFactory,
)

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Skip browser tests without Chromium and PostgreSQL tests on SQLite, saying so.

    CI sets REQUIRE_BROWSER=1 / REQUIRE_POSTGRES=1 so that a skip there is a failure instead.
    """
    may_skip = shutil.which(CHROMIUM) is None and os.environ.get("REQUIRE_BROWSER") != "1"
    for item in items:
        if "e2e" in item.keywords and may_skip:
            reason = f"browser tests need {CHROMIUM} (apt-get install chromium)"
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _browser_required(request):
    """Under REQUIRE_BROWSER=1 (CI), a browser test without Chromium fails instead of skipping."""
    if "e2e" in request.keywords and shutil.which(CHROMIUM) is None:
        pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing")


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but the database is not PostgreSQL")
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


@pytest.fixture
def authority(db):
    return OrganisationFactory(kind="council", is_member=True)


@pytest.fixture
def other_authority(db):
    return OrganisationFactory(kind="council", is_member=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(role="regional_admin", is_staff=True)


@pytest.fixture
def coordinator(db, authority):
    user = UserFactory(role="coordinator", organisation=authority)
    user.coordinated_authorities.add(authority)
    return user


@pytest.fixture
def member(db, authority):
    return UserFactory(role="member", organisation=authority)
