import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.signals import request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from regionhub.accounts import backends, sessions
from regionhub.accounts.backends import ModelBackend
from regionhub.accounts.models import Session, User
from regionhub.accounts.sessions import SessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def signed_in(client, **fields) -> User:
    user = UserFactory(**fields)
    sign_in = {"username": user.email, "password": PASSWORD}
    response = client.post(reverse("accounts:login"), sign_in)
    assert response.status_code == 302
    return user


def test_a_signed_in_request_reads_its_session_and_user_in_one_statement(client, monkeypatch):
    user = signed_in(client)
    ran = []
    monkeypatch.setattr(sessions._SESSION, "rows", _spy(sessions._SESSION.rows, ran))
    monkeypatch.setattr(backends._USER, "rows", _spy(backends._USER.rows, ran))
    assert client.get("/").context["user"] == user
    assert ran == [sessions._SESSION]  # and not the user's own statement
    sql = sessions._SESSION.compiled("default").sql
    assert "accounts_session" in sql and 'JOIN "accounts_user"' in sql


def _spy(rows, ran):
    def spied(*args, **kwargs):
        ran.append(rows.__self__)
        return rows(*args, **kwargs)

    return spied


def test_the_session_row_names_its_user_from_sign_in_to_sign_out(client):
    user = signed_in(client)
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.user_id == user.pk
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(user=user).exists()
    assert not Session.objects.filter(session_key=session.session_key).exists()


def test_an_expired_session_signs_nobody_in(client):
    signed_in(client)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert not client.get("/").context["user"].is_authenticated


def test_django_checks_still_apply_to_the_user_read_with_the_session(client):
    user = signed_in(client)
    # A password changed elsewhere ends every session of the account...
    User.objects.filter(pk=user.pk).update(password="argon2$changed")
    assert not client.get("/").context["user"].is_authenticated
    # ...and so does deactivating it.
    other = signed_in(client, email="other@example.org")
    User.objects.filter(pk=other.pk).update(is_active=False)
    assert not client.get("/").context["user"].is_authenticated


def test_a_session_whose_account_is_gone_signs_nobody_in(client):
    user = signed_in(client)
    key = client.session.session_key
    User.objects.filter(pk=user.pk).delete()
    assert not Session.objects.filter(session_key=key).exists()  # deleted with the account
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store.save()  # as a request still under way would save it
    client.cookies["sessionid"] = store.session_key
    assert not client.get("/").context["user"].is_authenticated


def test_the_user_read_with_a_session_serves_that_request_only():
    user = UserFactory()
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store.save()
    SessionStore(store.session_key).load()
    User.objects.filter(pk=user.pk).update(name="Renamed")
    # The next request starts afresh: the user is read again, not taken from the last one.
    request_started.disconnect(close_old_connections)  # which would end the test's transaction
    try:
        request_started.send(sender=None)
    finally:
        request_started.connect(close_old_connections)
    with CaptureQueriesContext(connection) as queries:
        found = ModelBackend().get_user(user.pk)
    assert found.name == "Renamed" and len(queries) == 1
    # Within a request, it is taken from the session's read, once.
    SessionStore(store.session_key).load()
    with CaptureQueriesContext(connection) as queries:
        assert ModelBackend().get_user(user.pk) == user
        assert ModelBackend().get_user(user.pk) == user
    assert len(queries) == 1
    # Never for another account.
    SessionStore(store.session_key).load()
    assert ModelBackend().get_user(UserFactory().pk).pk != user.pk


def test_expired_sessions_are_cleared_daily(settings):
    from regionhub.accounts.tasks import clear_expired_sessions

    live, expired = SessionStore(), SessionStore()
    for store in (live, expired):
        store["seen"] = True
        store.save()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert clear_expired_sessions.call() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert {"task": "regionhub.accounts.tasks.clear_expired_sessions", "daily_at": "03:00"} in (
        settings.PERIODIC_TASKS
    )
