"""The audit log: every service that changes personal data or places calls `audit_record`."""

import datetime
import decimal
from typing import Any

from django.db import models

from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `obj` (foreign keys as ids) in a JSON-safe dict."""
    result = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.primary_key:
            continue
        result[field.name] = _jsonable(getattr(obj, field.attname))
    return result


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    from django.contrib.contenttypes.models import ContentType

    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=before,
        after=after,
    )


def audit_entries_for(*objects_or_querysets, limit: int = 50):
    """Audit entries for the given records (models or querysets of one model), newest first."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    condition = Q(pk__in=[])
    for item in objects_or_querysets:
        if isinstance(item, models.Model):
            ct = ContentType.objects.get_for_model(type(item))
            condition |= Q(content_type=ct, object_id=str(item.pk))
        else:
            ct = ContentType.objects.get_for_model(item.model)
            ids = [str(pk) for pk in item.values_list("pk", flat=True)]
            condition |= Q(content_type=ct, object_id__in=ids)
    return list(AuditEntry.objects.filter(condition).select_related("actor")[:limit])
