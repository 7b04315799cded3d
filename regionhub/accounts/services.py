"""Every change to sign-in accounts made through RegionHub's pages: invite, update, switch off
or on. Regional admins only; each writes an audit row."""

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import is_regional_admin, require
from regionhub.directory.models import Organisation

from .models import User

USER_FIELDS = ["email", "name", "role", "organisation"]


class AccountError(Exception):
    """A change to an account that is refused, with a message a person can read."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _state(user: User) -> dict[str, Any]:
    return snapshot(user, USER_FIELDS + ["is_active"]) | {
        "coordinated_authorities": sorted(user.coordinated_authorities.values_list("pk", flat=True))
    }


def _validate(*, user: User | None, data: dict[str, Any]) -> list[Organisation]:
    email = data["email"].strip().lower()
    taken = User.objects.filter(email__iexact=email)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise AccountError("There is already an account with this email address", field="email")
    authorities = list(data.get("coordinated_authorities") or [])
    if data["role"] == User.Role.COORDINATOR and not authorities:
        raise AccountError(
            "Choose the authorities this coordinator looks after", field="coordinated_authorities"
        )
    if any(not a.is_member for a in authorities):
        raise AccountError(
            "Coordinators look after member authorities only", field="coordinated_authorities"
        )
    if data["role"] != User.Role.COORDINATOR:
        authorities = []
    return authorities


@transaction.atomic
def user_invite(*, actor, data: dict[str, Any]) -> User:
    """A new account without a password; the invitation email carries a link to set one."""
    require(is_regional_admin(actor), "Only regional admins can invite people.")
    authorities = _validate(user=None, data=data)
    user = User(
        email=data["email"].strip().lower(),
        name=data["name"],
        role=data["role"],
        organisation=data.get("organisation"),
    )
    user.set_unusable_password()
    user.save()
    user.coordinated_authorities.set(authorities)
    audit_record(actor=actor, action="accounts.user.invited", obj=user, after=_state(user))
    transaction.on_commit(lambda: _send_invitation(user, inviter=actor))
    return user


@transaction.atomic
def user_update(*, actor, user: User, data: dict[str, Any]) -> User:
    require(is_regional_admin(actor), "Only regional admins can change accounts.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk and data["role"] != User.Role.REGIONAL_ADMIN:
        raise AccountError(
            "You cannot take away your own admin role: ask another regional admin", field="role"
        )
    authorities = _validate(user=user, data=data)
    before = _state(user)
    user.email = data["email"].strip().lower()
    user.name = data["name"]
    user.role = data["role"]
    user.organisation = data.get("organisation")
    user.save()
    user.coordinated_authorities.set(authorities)
    after = _state(user)
    if after != before:
        audit_record(
            actor=actor, action="accounts.user.updated", obj=user, before=before, after=after
        )
    return user


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool) -> User:
    """Switch an account off (it can no longer sign in; its sessions end) or back on."""
    require(is_regional_admin(actor), "Only regional admins can switch accounts off.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk and not active:
        raise AccountError("You cannot switch off your own account")
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    # Signed-in sessions end at their next request: authentication refuses inactive users.
    audit_record(
        actor=actor,
        action="accounts.user.activated" if active else "accounts.user.deactivated",
        obj=user,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return user


def _send_invitation(user: User, *, inviter) -> None:
    path = reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "inviter": inviter,
        "link": settings.SITE_URL.rstrip("/") + path,
        "site_url": settings.SITE_URL,
    }
    send_mail(
        subject="You have been invited to RegionHub",
        message=render_to_string("accounts/invitation_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
