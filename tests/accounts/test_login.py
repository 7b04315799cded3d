import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def sign_in(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_signs_in_with_email_and_password_case_insensitively(client):
    user = UserFactory(email="jo@telford.gov.uk")
    response = sign_in(client, "Jo@Telford.gov.uk", PASSWORD)
    assert response.status_code == 302
    assert client.get("/").context["user"] == user


def test_wrong_password_shows_the_error_and_keeps_the_email(client):
    UserFactory(email="jo@telford.gov.uk")
    response = sign_in(client, "jo@telford.gov.uk", "wrong")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a correct email address and password" in body
    assert 'value="jo@telford.gov.uk"' in body
    assert "There is a problem" in body


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory()
    user.set_password("another long passphrase")
    assert user.password.startswith("argon2")


def test_repeated_failures_lock_the_account_out(client, settings):
    UserFactory(email="target@example.org")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "target@example.org", "guess")
    response = sign_in(client, "target@example.org", PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client):
    user = UserFactory(email="reset@example.org")
    response = client.post(reverse("accounts:password-reset"), {"email": "RESET@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    new = "a brand new passphrase"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_password_reset_for_unknown_email_sends_nothing_but_says_the_same(client):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_sign_out(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session
