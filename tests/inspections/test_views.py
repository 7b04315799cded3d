import pytest
from django.urls import reverse

from regionhub.inspections.models import Inspection
from tests.factories import UserFactory

from .helpers import ALL_GOOD_2018, ALL_GOOD_2023, D, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspection(admin_user, authority):
    return record(
        admin_user,
        authority,
        start=D(2023, 2, 20),
        published=D(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )


def change_urls(inspection):
    return [
        reverse("inspections:inspection-create"),
        reverse("inspections:inspection-edit", args=[inspection.pk]),
        reverse("inspections:inspection-delete", args=[inspection.pk]),
        reverse("inspections:target-edit"),
        reverse("inspections:import"),
    ]


def read_urls(inspection):
    return [
        reverse("inspections:ambition"),
        reverse("inspections:authority", args=[inspection.authority_id]),
        reverse("inspections:published"),
    ]


def test_anonymous_users_are_sent_to_sign_in(client, inspection):
    for url in change_urls(inspection) + read_urls(inspection):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"], url


@pytest.mark.parametrize("who", ["coordinator", "member"])
def test_others_read_but_cannot_change(request, client, who, inspection):
    client.force_login(request.getfixturevalue(who))
    for url in read_urls(inspection):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Record an inspection" not in response.content
    for url in change_urls(inspection):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"published": "", "count": "3"}).status_code == 404, url
    assert Inspection.objects.get().published == D(2023, 4, 18)


def test_the_ambition_page_shows_the_numbers_as_at_a_date(client, member, inspection):
    client.force_login(member)
    before = client.get(reverse("inspections:ambition"), {"date": "17/4/2023"}).content.decode()
    after = client.get(reverse("inspections:ambition"), {"date": "18 April 2023"}).content.decode()
    assert "0 of 1 member councils are Good or better overall" in before
    assert "1 of 1 member councils are Good or better overall" in after
    assert "<svg" in after and "The chart's numbers as a table" in after
    bad = client.get(reverse("inspections:ambition"), {"date": "31/2/2023"}).content.decode()
    assert "Enter the as at as a real date" in bad and 'value="31/2/2023"' in bad


def test_admin_records_an_inspection_and_sees_it(client, admin_user, authority):
    client.force_login(admin_user)
    response = client.post(
        reverse("inspections:inspection-create"),
        {
            "authority": authority.pk,
            "type": "ilacs_short",
            "start": "8/5/2023",
            "end": "12/5/2023",
            "published": "30 June 2023",
            "judgement_overall": "outstanding",
            "judgement_care_leavers": "good",
        },
    )
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response["Location"] == inspection.get_absolute_url()
    page = client.get(reverse("inspections:authority", args=[authority.pk])).content.decode()
    assert "ILACS short inspection, 8 May 2023" in page and "Outstanding" in page
    assert "Likely between 12 November 2025 and 12 November 2026" in page


def test_the_form_shows_the_service_error_beside_the_field_and_keeps_what_was_typed(
    client, admin_user, authority
):
    client.force_login(admin_user)
    response = client.post(
        reverse("inspections:inspection-create"),
        {
            "authority": authority.pk,
            "type": "ilacs_standard",
            "start": "3/10/2022",
            "end": "14/10/2022",
            "published": "25/11/2022",
            "report_url": "https://files.ofsted.gov.uk/v1/file/1",
            "judgement_overall": "good",
            "judgement_care_leavers": "good",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Inspection.objects.exists()
    assert 'href="#id_judgement_care_leavers"' in page
    assert (
        'id="id_judgement_care_leavers-error"' in page
        and "Care leavers was not a judgement" in page
    )
    assert 'value="https://files.ofsted.gov.uk/v1/file/1"' in page and 'value="3/10/2022"' in page


def test_end_before_start_is_a_form_error(client, admin_user, authority):
    client.force_login(admin_user)
    response = client.post(
        reverse("inspections:inspection-create"),
        {
            "authority": authority.pk,
            "type": "ilacs_standard",
            "start": "3/10/2022",
            "end": "1/10/2022",
        },
    )
    assert 'id="id_end-error"' in response.content.decode()
    assert not Inspection.objects.exists()


def test_admin_edits_and_deletes(client, admin_user, authority):
    inspection = record(
        admin_user, authority, start=D(2022, 10, 3), published=None, judgements=ALL_GOOD_2018
    )
    client.force_login(admin_user)
    edit = reverse("inspections:inspection-edit", args=[inspection.pk])
    assert 'value="03/10/2022"' in client.get(edit).content.decode()
    response = client.post(
        edit,
        {
            "authority": authority.pk,
            "type": "ilacs_standard",
            "start": "3/10/2022",
            "end": "14/10/2022",
            "published": "25/11/2022",
            "judgement_overall": "requires_improvement",
        },
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.published == D(2022, 11, 25)
    assert [j.grade for j in inspection.judgements.all()] == ["requires_improvement"]
    client.post(reverse("inspections:inspection-delete", args=[inspection.pk]))
    assert not Inspection.objects.exists()


def test_admin_sets_the_ambition(client, admin_user):
    client.force_login(admin_user)
    url = reverse("inspections:target-edit")
    both = client.post(url, {"count": "11", "percentage": "80"}).content.decode()
    assert "not both" in both and 'value="11"' in both
    assert client.post(url, {"count": "11"}).status_code == 302
    page = client.get(reverse("inspections:ambition")).content.decode()
    assert "The ambition is 11 of 0: 11 more to go" in page


def test_a_non_authority_page_is_404(client, member):
    partner = UserFactory()  # any signed-in user
    client.force_login(partner)
    assert client.get(reverse("inspections:authority", args=[999999])).status_code == 404
