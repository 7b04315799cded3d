"""The signed-in user is found again on each request by one compiled statement: the same user a
queryset would give, nobody for an unknown, malformed or deactivated account."""

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from regionhub.accounts.backends import ModelBackend
from regionhub.accounts.models import User
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_user_is_the_one_a_queryset_gives(django_assert_num_queries):
    user = UserFactory(role=User.Role.COORDINATOR, organisation=OrganisationFactory())
    expected = User.objects.get(pk=user.pk)

    with django_assert_num_queries(1):
        found = ModelBackend().get_user(str(user.pk))  # the session holds it as text

    assert type(found) is User
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found._state.adding is False and found._state.db == "default"
    assert found.organisation == user.organisation  # relations load as usual
    assert found.get_session_auth_hash() == user.get_session_auth_hash()


def test_unknown_malformed_and_deactivated_accounts_are_nobody():
    user = UserFactory(is_active=False)
    backend = ModelBackend()
    assert backend.get_user(user.pk) is None
    assert backend.get_user(user.pk + 1000) is None
    assert backend.get_user("not a number") is None


def test_a_change_to_the_user_shows_on_the_next_request(client):
    user = UserFactory(role=User.Role.MEMBER)
    client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": "correct horse battery"},
    )
    request = client.get(reverse("core:home")).wsgi_request
    assert get_user(request).role == User.Role.MEMBER
    User.objects.filter(pk=user.pk).update(role=User.Role.REGIONAL_ADMIN)
    request = client.get(reverse("core:home")).wsgi_request
    assert request.user.is_authenticated and request.user.role == User.Role.REGIONAL_ADMIN
    User.objects.filter(pk=user.pk).update(is_active=False)
    request = client.get(reverse("core:home")).wsgi_request
    assert not request.user.is_authenticated
