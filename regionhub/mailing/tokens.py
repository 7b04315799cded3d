"""Signed tokens that carry a subscriber's identity in the links of our emails.

Nothing is stored: each token is `django.core.signing` output with its own salt, so a token made
for one purpose is refused for another. A changed or truncated token, or an expired confirmation
link, raises `TokenError` with a message a person can read; pages show it with status 400.

- confirm: the subscriber whose pending subscriptions to confirm (double opt-in), with the name
  and organisation they typed; expires after `settings.MAILING_CONFIRM_DAYS` days (7).
- unsubscribe: subscriber and list; never expires, because an unsubscribe link in an old email
  must keep working (and RFC 8058 one-click unsubscribe needs a stable URL).
- preferences: the subscriber; never expires, for the same reason.
"""

import base64
import datetime
import functools
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "mailing.confirm"
UNSUBSCRIBE_SALT = "mailing.unsubscribe"
PREFERENCES_SALT = "mailing.preferences"

INVALID = (
    "This link is not valid: it may have been cut short or changed. Copy the whole link from "
    "the email, or use the link in a more recent email from us."
)


class TokenError(Exception):
    """A link that cannot be used, with a message a person can read."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def confirm_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "MAILING_CONFIRM_DAYS", 7))


@dataclass(frozen=True)
class ConfirmRequest:
    """What a confirmation link carries: who asked, and the name and organisation they gave.
    The name is applied only when the link is used, so nobody can rename someone else's
    subscription by typing their address into the form."""

    subscriber_id: int
    name: str
    organisation: str


def confirm_token(*, subscriber_id: int, name: str = "", organisation: str = "") -> str:
    payload = {"s": subscriber_id, "n": name, "o": organisation}
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def confirm_request(token: str) -> ConfirmRequest:
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=confirm_max_age())
    except signing.SignatureExpired as error:
        days = confirm_max_age().days
        raise TokenError(
            f"This confirmation link has expired: links work for {days} days. Fill in the "
            "subscribe form again and we will send you a new one.",
            code="expired",
        ) from error
    except signing.BadSignature as error:
        raise TokenError(INVALID, code="invalid") from error
    try:
        return ConfirmRequest(
            subscriber_id=int(payload["s"]),
            name=str(payload.get("n", "")),
            organisation=str(payload.get("o", "")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise TokenError(INVALID, code="invalid") from error


def unsubscribe_token(subscriber_id: int, list_id: int) -> str:
    return _sign(UNSUBSCRIBE_SALT, f"{subscriber_id}.{list_id}")


def unsubscribe_ids(token: str) -> tuple[int, int]:
    """(subscriber id, list id) of an unsubscribe token."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature as error:
        raise TokenError(INVALID, code="invalid") from error
    subscriber, _, mailing_list = value.partition(".")
    return _int(subscriber), _int(mailing_list)


def preferences_token(subscriber_id: int) -> str:
    return _sign(PREFERENCES_SALT, str(subscriber_id))


def _sign(salt: str, value: str) -> str:
    """`signing.Signer(salt=salt).sign(value)`, the same string, for two links in every
    message sent: the key Django derives from the salt and the secret is derived once, not for
    each token."""
    mac = _keyed_hmac(salt, settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return f"{value}:{base64.urlsafe_b64encode(mac.digest()).rstrip(b'=').decode()}"


@functools.lru_cache(maxsize=16)
def _keyed_hmac(salt: str, secret: str) -> "hmac.HMAC":
    # As django.utils.crypto.salted_hmac(salt + "signer", value, secret, algorithm="sha256").
    key = hashlib.sha256(f"{salt}signer".encode() + secret.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def preferences_subscriber_id(token: str) -> int:
    try:
        value = signing.Signer(salt=PREFERENCES_SALT).unsign(token)
    except signing.BadSignature as error:
        raise TokenError(INVALID, code="invalid") from error
    return _int(value)


def _int(value: str) -> int:
    # Only reachable with a correctly signed value we did not make, but never a 500.
    try:
        return int(value)
    except ValueError as error:
        raise TokenError(INVALID, code="invalid") from error
