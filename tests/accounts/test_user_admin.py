"""Regional admins invite people, change roles and authorities, and switch accounts off."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from regionhub.accounts.models import User
from regionhub.core.models import AuditEntry
from tests.factories import OrganisationFactory, UserFactory


def invite(client, **data):
    fields = {"name": "Priya Shah", "email": "Priya.Shah@Dudley.example", "role": "member"}
    fields.update(data)
    return client.post(reverse("accounts:user-invite"), fields)


def signs_in(client, email: str, password: str) -> bool:
    response = client.post(reverse("accounts:login"), {"username": email, "password": password})
    return response.status_code == 302


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("name", ["accounts:user-list", "accounts:user-invite"])
def test_only_regional_admins_see_the_account_pages(client, name, coordinator, member):
    url = reverse(name)
    assert client.get(url).status_code == 302
    for user in (coordinator, member):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "X", "email": "x@example.org"}).status_code == 404
    assert not User.objects.filter(email="x@example.org").exists()


def test_others_cannot_edit_or_switch_off_an_account(client, coordinator, member):
    client.force_login(coordinator)
    assert client.get(reverse("accounts:user-edit", args=[member.pk])).status_code == 404
    response = client.post(reverse("accounts:user-set-active", args=[member.pk]), {"active": "0"})
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.is_active


def test_an_invitation_lets_them_choose_a_password_and_sign_in(
    client, admin_client, authority, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(admin_client, organisation=authority.pk)
    assert response.status_code == 302
    user = User.objects.get(email="priya.shah@dudley.example")
    assert not user.has_usable_password() and user.organisation == authority
    assert AuditEntry.objects.filter(action="accounts.user.invited").count() == 1
    [message] = mail.outbox
    assert message.to == ["priya.shah@dudley.example"]
    link = re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    admin_client.logout()
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"},
    )
    assert response.status_code == 302
    assert signs_in(client, "priya.shah@dudley.example", "a long new passphrase")


def test_bad_input_is_explained_beside_the_field_and_kept(admin_client, member, authority):
    response = invite(admin_client, email=member.email.upper(), name="Kept Name")
    assert "There is already an account with this email address" in response.text
    assert 'value="Kept Name"' in response.text
    response = invite(admin_client, email="new@example.org", role="coordinator")
    assert "Choose the authorities this coordinator looks after" in response.text
    partner = OrganisationFactory(kind="partner", is_member=False)
    response = invite(
        admin_client, email="new@example.org", role="coordinator",
        coordinated_authorities=[partner.pk],
    )  # fmt: skip
    assert "Select a valid choice" in response.text
    assert not User.objects.filter(email="new@example.org").exists()
    assert not mail.outbox


def test_make_someone_a_coordinator_of_their_authority(admin_client, member, authority):
    url = reverse("accounts:user-edit", args=[member.pk])
    response = admin_client.post(
        url,
        {"name": member.name, "email": member.email, "role": "coordinator",
         "coordinated_authorities": [authority.pk]},
    )  # fmt: skip
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_coordinator and list(member.coordinated_authorities.all()) == [authority]
    entry = AuditEntry.objects.get(action="accounts.user.updated")
    assert entry.before["role"] == "member" and entry.after["role"] == "coordinator"
    assert entry.after["coordinated_authorities"] == [authority.pk]


def test_admins_cannot_lock_themselves_out(admin_client, admin_user):
    response = admin_client.post(
        reverse("accounts:user-edit", args=[admin_user.pk]),
        {"name": admin_user.name, "email": admin_user.email, "role": "member"},
    )
    assert "You cannot take away your own admin role" in response.text
    response = admin_client.post(
        reverse("accounts:user-set-active", args=[admin_user.pk]), {"active": "0"}, follow=True
    )
    assert "You cannot switch off your own account" in response.text
    admin_user.refresh_from_db()
    assert admin_user.is_regional_admin and admin_user.is_active


def test_a_switched_off_account_is_signed_out_and_cannot_sign_in(client, admin_user):
    target = UserFactory(role="member")
    client.force_login(target)
    assert client.get(reverse("networks:group-list")).status_code == 200
    other = type(client)()
    other.force_login(admin_user)
    other.post(reverse("accounts:user-set-active", args=[target.pk]), {"active": "0"})
    target.refresh_from_db()
    assert not target.is_active
    assert client.get(reverse("networks:group-list")).status_code == 302
    assert not signs_in(client, target.email, "correct horse battery")
    assert AuditEntry.objects.filter(action="accounts.user.deactivated").count() == 1


def test_the_list_searches_and_filters(admin_client, coordinator, member):
    response = admin_client.get(reverse("accounts:user-list"), {"role": "coordinator"})
    assert coordinator.email in response.text and member.email not in response.text
    response = admin_client.get(reverse("accounts:user-list"), {"q": member.email[:6]})
    assert member.email in response.text
