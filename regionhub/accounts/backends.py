"""Signing in with an email address and password, and finding the signed-in user again on each
request."""

from django.contrib.auth import backends
from django.core.exceptions import ValidationError
from django.db import router

from regionhub.core.prepared import Prepared

from .models import User
from .sessions import USER_FIELDS as _FIELDS
from .sessions import user_read_with_session

_USER = Prepared(
    lambda user_id: User._default_manager.filter(pk=user_id).values(*_FIELDS), "user_id"
)


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend. The user of every signed-in request was read with its session
    (`accounts.sessions`); otherwise it is read by a statement compiled once per process and
    connection rather than a queryset built and compiled each time, which cost more than the
    database's part. Either way the user is the same model instance a queryset would give."""

    def get_user(self, user_id):
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        using = router.db_for_read(User)
        values = user_read_with_session(pk)
        if values is None:
            rows = _USER.rows(using, user_id=pk)
            if not rows:
                return None
            values = [rows[0][name] for name in _FIELDS]
        user = User.from_db(using, _FIELDS, values)
        return user if self.user_can_authenticate(user) else None
