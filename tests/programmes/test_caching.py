"""The cached programme tables (programme list, a cohort's places and applications, the savings
report) are served from the cache while nothing changes and follow every change at once,
whichever way it is made: a service, the back office (a plain save or delete), a directory
change, or simply time passing a deadline."""

import datetime
import decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from regionhub.core.pagecache import local_pages
from regionhub.directory.models import Organisation
from regionhub.programmes import services
from regionhub.programmes.models import Application, Cohort, Programme
from tests.factories import OrganisationFactory
from tests.programmes.conftest import coordinator_of, make_cohort, make_programme, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE = True
    local_pages.clear()
    yield
    local_pages.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a change as if its transaction committed: cached pages are retired on commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def cached(client, url, table: str) -> str:
    """The page, asserting that `table` was not read: its rows came from the cache."""
    with CaptureQueriesContext(connection) as ctx:
        page = get(client, url)
    assert not any(table in q["sql"] for q in ctx.captured_queries), url
    return page


def test_the_programme_list_follows_programmes_interest_and_providers(
    client, admin_user, authority, committed
):
    url = reverse("programmes:programme-list")
    programme = make_programme(admin_user, title="Breaking Through")
    assert "Breaking Through" in get(client, url)
    cached(client, url, "programmes_programme")

    with committed():
        services.programme_update(actor=admin_user, programme=programme, data={"title": "BT 2"})
    assert "BT 2" in get(client, url)

    with committed():
        services.interest_register(
            actor=member_of(authority), programme=programme, role="team_manager"
        )
    assert "Taking interest (1 so far)" in get(client, url)

    # The back office saves the model directly.
    with committed():
        Programme.objects.create(title="Back office programme", provider=programme.provider)
    assert "Back office programme" in get(client, url)

    with committed():
        provider = Organisation.objects.get(pk=programme.provider_id)
        provider.name = "Renamed University"
        provider.save()
    assert "Renamed University" in get(client, url)

    with committed():
        Programme.objects.get(title="Back office programme").delete()
    assert "Back office programme" not in get(client, url)


def test_the_open_column_follows_the_clock(client, admin_user):
    """The list is cached until the next cohort closes, not merely until tomorrow."""
    url = reverse("programmes:programme-list")
    programme = make_programme(admin_user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    noon = datetime.datetime.combine(tomorrow, datetime.time(12), timezone.get_current_timezone())
    make_cohort(admin_user, programme, deadline=noon)
    with mock.patch("django.utils.timezone.now", return_value=noon - datetime.timedelta(hours=1)):
        assert "Taking applications" in get(client, url)
        assert "Taking applications" in cached(client, url, "programmes_programme")
        # Even when the next cohort closes is kept while it is ahead.
        assert "Taking applications" in cached(client, url, "programmes_cohort")
    with mock.patch("django.utils.timezone.now", return_value=noon + datetime.timedelta(seconds=1)):
        assert "Taking applications" not in get(client, url)


def test_a_cohorts_places_and_applications_follow_every_step(
    client, admin_user, authority, committed
):
    cohort = make_cohort(admin_user, places=2)
    applicant = member_of(authority, name="Ada Applicant")
    client.force_login(admin_user)
    url = cohort.get_absolute_url()
    page = get(client, url)
    assert "0 of 2 taken" in page and "Ada Applicant" not in page
    cached(client, url, "programmes_application")

    with committed():
        application = services.application_create(actor=applicant, cohort=cohort)
    page = get(client, url)
    assert "Ada Applicant" in page and ">Endorse<" in page

    with committed():
        services.application_endorse(actor=admin_user, application=application)
    page = get(client, url)
    assert "1 of 2 taken" in page and "Confirm place" in page

    with committed():
        services.application_withdraw(actor=applicant, application=application)
    page = get(client, url)
    assert "0 of 2 taken" in page and "Withdrawn" in page

    # The back office changes the cohort's places.
    with committed():
        row = Cohort.objects.get(pk=cohort.pk)
        row.places = 7
        row.save()
    assert "0 of 7 taken" in get(client, url)


def test_cached_application_tables_are_never_shared_between_readers(
    client, admin_user, authority, other_authority
):
    cohort = make_cohort(admin_user, places=5)
    for who, name in ((authority, "Ours Applicant"), (other_authority, "Theirs Applicant")):
        services.application_create(actor=member_of(who, name=name), cohort=cohort)
    url = cohort.get_absolute_url()
    client.force_login(admin_user)
    page = get(client, url)
    assert "Ours Applicant" in page and "Theirs Applicant" in page

    client.force_login(coordinator_of(authority))
    page = get(client, url)
    assert "Ours Applicant" in page and "Theirs Applicant" not in page
    assert "Confirm place" not in page

    client.force_login(member_of(authority))
    page = get(client, url)
    assert "Ours Applicant" not in page and "Theirs Applicant" not in page

    client.logout()
    page = get(client, url)
    assert "Applicant" not in page


def test_the_savings_report_follows_places_prices_and_names(
    client, admin_user, authority, committed
):
    url = reverse("programmes:savings-report")
    programme = make_programme(admin_user)  # £1,950 direct, £1,584 through the region
    cohort = make_cohort(admin_user, programme, places=3)
    applicant = member_of(authority)
    application = services.application_create(actor=applicant, cohort=cohort)
    client.force_login(admin_user)
    assert "Total saved: £0.00" in get(client, url)
    cached(client, url, "programmes_application")

    with committed():
        services.application_endorse(actor=admin_user, application=application)
    assert "Total saved: £366.00" in get(client, url)

    with committed():
        services.programme_update(
            actor=admin_user, programme=programme, data={"regional_price": decimal.Decimal(950)}
        )
    assert "Total saved: £1,000.00" in get(client, url)

    with committed():
        authority.name = "Renamed Council"
        authority.save()
    assert "Renamed Council" in get(client, url)

    with committed():
        Application.objects.get(pk=application.pk).delete()
    assert "Total saved: £0.00" in get(client, url)


def test_without_the_shared_cache_nothing_is_kept(client, admin_user, settings):
    settings.PAGE_CACHE = False
    url = reverse("programmes:programme-list")
    make_programme(admin_user, title="First")
    get(client, url)
    # No commit hook runs here: the page is right only because nothing was cached.
    Programme.objects.create(title="Second", provider=OrganisationFactory())
    assert "Second" in get(client, url)
