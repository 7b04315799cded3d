"""A person's sign-in account: exported, then closed and blanked on erasure."""

from .models import User


def _accounts(person):
    return User.objects.filter(person=person).prefetch_related("coordinated_authorities")


def export_person(person) -> dict[str, list[dict]]:
    return {
        "Sign-in account": [
            {
                "email": user.email,
                "name": user.name,
                "role": user.get_role_display(),
                "coordinates": ", ".join(str(o) for o in user.coordinated_authorities.all()),
                "joined": user.date_joined.isoformat(),
                "last sign-in": user.last_login.isoformat() if user.last_login else None,
            }
            for user in _accounts(person)
        ]
    }


def erasure_blockers(person) -> list[str]:
    return []


def erase_person(person) -> dict[str, int]:
    count = 0
    for user in _accounts(person):
        user.email = f"erased-{user.pk}@erased.invalid"
        user.name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        user.coordinated_authorities.clear()
        count += 1
    return {"sign-in accounts closed": count}
