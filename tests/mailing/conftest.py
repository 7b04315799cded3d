import datetime

import pytest

from regionhub.newsletter import services as newsletter
from tests.factories import UserFactory

from .factories import MailingListFactory


@pytest.fixture
def second_admin(db):
    return UserFactory(role="regional_admin", is_staff=True)


@pytest.fixture
def main_list(db):
    return MailingListFactory(name="Regional Update", slug="regional-update")


@pytest.fixture
def published_issue(admin_user, second_admin):
    issue = newsletter.issue_create(
        actor=admin_user,
        month=datetime.date(2024, 7, 1),
        foreword="Welcome to **July**. See [the plan](https://example.org/plan).",
        author_line="From Shropshire’s DCS",
        sign_off="Kind regards",
        signature="Tanya Miles",
    )
    newsletter.section_add(
        actor=admin_user,
        issue=issue,
        heading="DCS updates",
        body="- Karen Graham became DCS, Dudley\n- A second item\n\n<script>alert(1)</script>",
    )
    newsletter.section_add(actor=admin_user, issue=issue, heading="Key events", body="One event.")
    newsletter.issue_approve(actor=second_admin, issue=issue)
    return newsletter.issue_publish(actor=admin_user, issue=issue)
