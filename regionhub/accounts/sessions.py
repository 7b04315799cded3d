"""The session engine: sessions in the database, read together with their user.

Every signed-in request reads its session and then its user. Here one statement does both: the
session row, joined to the account whose key the session row carries (`models.Session.user`,
written whenever the session is saved). The user's row is kept for this request only, and
`backends.ModelBackend.get_user` takes it from there instead of reading it again; everything
else (the session's expiry, the backend and the password hash that must match) is Django's
check as before.
"""

from contextvars import ContextVar
from typing import Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.core.signals import request_started
from django.db import router
from django.utils import timezone

from regionhub.core.prepared import Prepared

from .models import Session, User

USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_SESSION = Prepared(
    lambda key: Session.objects.filter(session_key=key).values(
        "session_data", "expire_date", *(f"user__{name}" for name in USER_FIELDS)
    ),
    "key",
)

# The user's row read with this request's session: the session's user, or None.
_read_with_session: ContextVar[dict[str, Any] | None] = ContextVar(
    "read_with_session", default=None
)


def _forget(**kwargs) -> None:
    _read_with_session.set(None)


# A thread serves one request after another: nothing read for one is used for the next.
request_started.connect(_forget, dispatch_uid="accounts.sessions.forget")


def user_read_with_session(user_id) -> list[Any] | None:
    """The values of `USER_FIELDS` for `user_id`, if this request's session read them; once."""
    row = _read_with_session.get()
    if row is None or row["user__id"] != user_id:
        return None
    _read_with_session.set(None)
    return [row[f"user__{name}"] for name in USER_FIELDS]


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        return Session

    def _get_session_from_db(self):
        _read_with_session.set(None)
        key = self.session_key
        rows = _SESSION.rows(router.db_for_read(Session), key=key) if key else []
        if key is None or not rows or rows[0]["expire_date"] <= timezone.now():
            self._session_key = None
            return None
        row = rows[0]
        if row["user__id"] is not None:
            _read_with_session.set(row)
        return Session(
            session_key=key, session_data=row["session_data"], expire_date=row["expire_date"]
        )

    def create_model_instance(self, data):
        session = cast(Session, super().create_model_instance(data))
        try:
            session.user_id = User._meta.pk.to_python(data.get(SESSION_KEY))
        except ValidationError:  # not a key: the session is saved, and signs nobody in
            session.user_id = None
        return session
