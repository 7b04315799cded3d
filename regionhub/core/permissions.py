"""Who may change what. Services call `require_*`; views use `get_*_or_404` helpers built on these.

Regional admins manage everything. An authority coordinator manages only the authorities they
are named for (their people, posts and appointments). Everyone else reads.
"""

from django.core.exceptions import PermissionDenied


def is_regional_admin(user) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "is_regional_admin", False))


def coordinated_ids(user) -> set[int]:
    """Ids of the authorities this user coordinates (cached on the user for the request)."""
    if not (user and user.is_authenticated and getattr(user, "is_coordinator", False)):
        return set()
    cached = getattr(user, "_coordinated_ids", None)
    if cached is None:
        cached = set(user.coordinated_authorities.values_list("pk", flat=True))
        user._coordinated_ids = cached
    return cached


def can_manage_organisation_id(user, organisation_id: int | None) -> bool:
    if is_regional_admin(user):
        return True
    return organisation_id is not None and organisation_id in coordinated_ids(user)


def can_manage_anything(user) -> bool:
    return is_regional_admin(user) or bool(coordinated_ids(user))


def require(condition: bool, message: str = "You cannot make this change.") -> None:
    if not condition:
        raise PermissionDenied(message)
