import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_home_offers_public_pages_only(client):
    body = client.get("/").content.decode()
    assert "Member authorities and partners" in body
    assert "The Regional Update archive" in body
    assert "Inspection outcomes" not in body and "engagement tracker" not in body


def test_member_home_adds_signed_in_pages_but_not_the_regional_tracker(client, member):
    client.force_login(member)
    body = client.get("/").content.decode()
    assert "Inspection outcomes" in body and "regional priority plan" in body
    assert "engagement tracker" not in body
    assert "Add a person" not in body


def test_admin_home_has_management_and_the_tracker(client, admin_user):
    client.force_login(admin_user)
    body = client.get("/").content.decode()
    assert "engagement tracker" in body and "Add an organisation" in body


def test_coordinator_home_lets_them_manage_people(client, coordinator):
    client.force_login(coordinator)
    body = client.get("/").content.decode()
    assert "Add a person" in body and "Add an organisation" not in body


def test_navigation_marks_the_current_section_and_hides_signed_in_parts(client, member):
    body = client.get("/directory/as-at/").content.decode()
    assert 'aria-current="true">Leadership</a>' in body
    assert ">Inspections</a>" not in body
    client.force_login(member)
    body = client.get("/directory/changes/").content.decode()
    assert 'aria-current="true">Leadership</a>' in body and ">Inspections</a>" in body
