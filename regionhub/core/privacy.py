"""Personal data per person (UK GDPR): export everything RegionHub holds about one person, and
erase it.

Each app that holds personal data has a `<app>.privacy` module with three functions:

- `export_person(person) -> dict[str, list[dict]]`: a heading per kind of record, each row a
  dict of plain values (str, int, bool, None).
- `erasure_blockers(person) -> list[str]`: reasons the erasure must wait, in words a regional
  admin can act on ("Booked on Big Thinking 24 on 12 November 2026: cancel the booking
  first."). Places are freed through the apps' own services, which move waiting lists on.
- `erase_person(person) -> dict[str, int]`: remove or blank what identifies the person in the
  app's records; what was done, counted by a short label.

Erasure keeps the record of who held which post as "Erased person": the post's history, the
events' fill rates and the meetings' attendance still add up, and nothing in them identifies
the person. The directory's module runs last, so the others still see the name and email.
"""

import importlib
import importlib.util
from types import ModuleType
from typing import Any

from django.apps import apps
from django.db import transaction

from .audit import audit_record
from .permissions import is_regional_admin, require

ERASED_NAME = "Erased person"


class ErasureBlocked(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def privacy_modules() -> list[ModuleType]:
    """Every app's privacy module, the directory's last."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("regionhub.") or config.name == __package__:
            continue
        if importlib.util.find_spec(f"{config.name}.privacy") is None:
            continue
        found.append(importlib.import_module(f"{config.name}.privacy"))
    return sorted(found, key=lambda m: m.__name__ == "regionhub.directory.privacy")


def person_export(*, actor, person) -> dict[str, Any]:
    """Everything held about `person`, grouped by heading, for a JSON download."""
    require(is_regional_admin(actor), "Only regional admins can export a person's data.")
    sections: dict[str, list[dict]] = {}
    for module in privacy_modules():
        for heading, rows in module.export_person(person).items():
            if rows:
                sections.setdefault(heading, []).extend(rows)
    audit_record(actor=actor, action="directory.person.exported", obj=person)
    return {"person": person.pk, "sections": sections}


def person_erasure_blockers(person) -> list[str]:
    reasons: list[str] = []
    for module in privacy_modules():
        reasons.extend(module.erasure_blockers(person))
    return reasons


@transaction.atomic
def person_erase(*, actor, person) -> dict[str, int]:
    """Erase `person` everywhere, or nothing: raises ErasureBlocked while a blocker remains."""
    require(is_regional_admin(actor), "Only regional admins can erase a person's data.")
    person = type(person).objects.select_for_update().get(pk=person.pk)
    if person.name == ERASED_NAME and not person.email:
        raise ErasureBlocked(["This person's data has already been erased."])
    reasons = person_erasure_blockers(person)
    if reasons:
        raise ErasureBlocked(reasons)
    done: dict[str, int] = {}
    for module in privacy_modules():
        for label, count in module.erase_person(person).items():
            done[label] = done.get(label, 0) + count
    # The audit row says that an erasure happened and what it touched, never whom.
    audit_record(actor=actor, action="directory.person.erased", obj=person, after=done)
    return done
