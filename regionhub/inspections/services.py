"""Every write to inspections. Only regional admins record inspections and set the ambition."""

import datetime
from typing import Any

from django.db import transaction

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.pagecache import data_changed
from regionhub.core.permissions import is_regional_admin, require

from .models import (
    GRADES_BY_SCALE,
    AmbitionTarget,
    Framework,
    Grade,
    Inspection,
    Judgement,
    JudgementArea,
)

INSPECTION_FIELDS = [
    "authority",
    "type",
    "framework",
    "start",
    "end",
    "published",
    "report_url",
    "theme",
    "note",
]
CACHE_NAMESPACE = "inspections"


class InspectionError(Exception):
    """A change refused, with a message a person can read and the field it belongs beside."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _require_admin(actor) -> None:
    require(is_regional_admin(actor), "Only regional admins can change inspections.")


def framework_for(type: str, start: datetime.date) -> Framework | None:
    """The framework in force for an inspection of `type` starting on `start`."""
    return (
        Framework.objects.filter(
            family=Inspection.FAMILY[Inspection.Type(type)], valid_from__lte=start
        )
        .order_by("-valid_from")
        .first()
    )


def _long(date: datetime.date) -> str:
    return f"{date:%-d %B %Y}"


def check_inspection(
    inspection: Inspection, judgements: dict[str, str]
) -> list[tuple[JudgementArea, str]]:
    """Validate an unsaved or changed inspection and its judgements (area code to grade code).

    Fills in the framework in force on the start date when none is set. Returns the
    (area, grade) pairs to store, or raises InspectionError naming the field at fault.
    """
    if not inspection.authority_id:
        raise InspectionError("Choose the authority that was inspected.", field="authority")
    if not inspection.authority.is_authority:
        raise InspectionError(
            f"{inspection.authority} is not a council or children's trust.", field="authority"
        )
    if inspection.type not in Inspection.Type.values:
        raise InspectionError("Choose the type of inspection.", field="type")
    if inspection.start is None:
        raise InspectionError("Enter the first day of the inspection.", field="start")
    if inspection.end is None:
        raise InspectionError("Enter the last day of the inspection.", field="end")
    if inspection.end < inspection.start:
        raise InspectionError(
            f"The last day ({_long(inspection.end)}) is before the first day "
            f"({_long(inspection.start)}).",
            field="end",
        )
    if inspection.published and inspection.published < inspection.end:
        raise InspectionError(
            f"The report cannot be published ({_long(inspection.published)}) before the "
            f"inspection ended ({_long(inspection.end)}).",
            field="published",
        )
    if inspection.type != Inspection.Type.JTAI and inspection.theme:
        raise InspectionError("Only a joint targeted area inspection has a theme.", field="theme")
    if inspection.framework_id is None:
        framework = framework_for(inspection.type, inspection.start)
        if framework is None:
            raise InspectionError(
                f"No framework is recorded for a {inspection.get_type_display()} starting "
                f"on {_long(inspection.start)}.",
                field="start",
            )
        inspection.framework = framework
    family = Inspection.FAMILY[Inspection.Type(inspection.type)]
    if inspection.framework.family != family:
        raise InspectionError(
            f"{inspection.framework} is not a framework for a {inspection.get_type_display()}.",
            field="framework",
        )
    if inspection.framework.valid_from > inspection.start:
        raise InspectionError(
            f"{inspection.framework} was not in force until "
            f"{_long(inspection.framework.valid_from)}.",
            field="framework",
        )
    chosen = {code: grade for code, grade in judgements.items() if grade}
    if not chosen:
        return []
    scale = inspection.scale
    areas = {a.code: a for a in JudgementArea.objects.filter(code__in=chosen)}
    in_framework = set(inspection.framework.areas.values_list("code", flat=True))
    result = []
    for code, grade in chosen.items():
        area = areas.get(code)
        if area is None:
            raise InspectionError(f"'{code}' is not a judgement area.", field=f"judgement_{code}")
        if scale is None:
            raise InspectionError(
                f"A {inspection.get_type_display().lower()} makes no judgements; "
                f"leave {area.short_name.lower()} empty.",
                field=f"judgement_{code}",
            )
        if area.code not in in_framework:
            raise InspectionError(
                f"{area.short_name} was not a judgement under {inspection.framework}: "
                + _framework_hint(inspection.framework, area),
                field=f"judgement_{code}",
            )
        if area.scale != scale:
            raise InspectionError(
                f"A {inspection.get_type_display().lower()} does not judge "
                f"{area.short_name.lower()}.",
                field=f"judgement_{code}",
            )
        if grade not in GRADES_BY_SCALE[scale]:
            allowed = "; ".join(Grade(g).label for g in GRADES_BY_SCALE[scale])
            raise InspectionError(
                f"'{grade}' is not a possible {area.short_name.lower()} judgement. Use one of: "
                f"{allowed}.",
                field=f"judgement_{code}",
            )
        result.append((area, grade))
    return result


def _framework_hint(framework: Framework, area: JudgementArea) -> str:
    names = [a.short_name.lower() for a in framework.areas.all() if a.scale == area.scale]
    return "it judged " + ", ".join(names) + "." if names else "it made no such judgement."


def _apply(inspection: Inspection, data: dict[str, Any]) -> None:
    for name in INSPECTION_FIELDS:
        if name in data:
            setattr(inspection, name, data[name])
    inspection.theme = (inspection.theme or "").strip()
    inspection.report_url = (inspection.report_url or "").strip()


def _snapshot(inspection: Inspection) -> dict[str, Any]:
    result = snapshot(inspection, INSPECTION_FIELDS)
    result["judgements"] = {
        j.area.code: j.grade for j in inspection.judgements.select_related("area")
    }
    return result


def _clash(inspection: Inspection) -> None:
    clash = Inspection.objects.filter(
        authority=inspection.authority, type=inspection.type, start=inspection.start
    ).exclude(pk=inspection.pk)
    if clash.exists():
        raise InspectionError(
            f"A {inspection.get_type_display().lower()} of {inspection.authority} starting on "
            f"{_long(inspection.start)} is already recorded; change that one instead.",
            field="start",
        )


def _save_judgements(inspection: Inspection, judgements: list[tuple[JudgementArea, str]]) -> None:
    keep = {area.pk for area, _ in judgements}
    inspection.judgements.exclude(area_id__in=keep).delete()
    existing = {j.area_id: j for j in inspection.judgements.all()}
    for area, grade in judgements:
        judgement = existing.get(area.pk)
        if judgement is None:
            Judgement.objects.create(inspection=inspection, area=area, grade=grade)
        elif judgement.grade != grade:
            judgement.grade = grade
            judgement.save(update_fields=["grade"])


@transaction.atomic
def inspection_create(
    *, actor, data: dict[str, Any], judgements: dict[str, str] | None = None
) -> Inspection:
    """Record an inspection. `judgements` maps area codes to grade codes; empty means not judged.

    Without a framework in `data`, the one in force on the start date is used.
    """
    _require_admin(actor)
    inspection = Inspection()
    _apply(inspection, data)
    checked = check_inspection(inspection, judgements or {})
    _clash(inspection)
    inspection.save()
    _save_judgements(inspection, checked)
    audit_record(
        actor=actor,
        action="inspections.inspection.created",
        obj=inspection,
        after=_snapshot(inspection),
    )
    data_changed(CACHE_NAMESPACE)
    return inspection


@transaction.atomic
def inspection_update(
    *,
    actor,
    inspection: Inspection,
    data: dict[str, Any],
    judgements: dict[str, str] | None = None,
) -> Inspection:
    """Change an inspection; `judgements`, when given, replaces all of its judgements."""
    _require_admin(actor)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    before = _snapshot(inspection)
    _apply(inspection, data)
    if "framework" not in data and ("type" in data or "start" in data):
        # A changed type or start date may fall under another framework.
        inspection.framework_id = None  # type: ignore[assignment]
    if judgements is None:
        judgements = before["judgements"]
    checked = check_inspection(inspection, judgements)
    _clash(inspection)
    inspection.save()
    _save_judgements(inspection, checked)
    after = _snapshot(inspection)
    if after != before:
        audit_record(
            actor=actor,
            action="inspections.inspection.updated",
            obj=inspection,
            before=before,
            after=after,
        )
        data_changed(CACHE_NAMESPACE)
    return inspection


@transaction.atomic
def inspection_delete(*, actor, inspection: Inspection) -> None:
    _require_admin(actor)
    before = _snapshot(inspection)
    audit_record(
        actor=actor, action="inspections.inspection.deleted", obj=inspection, before=before
    )
    inspection.delete()
    data_changed(CACHE_NAMESPACE)


@transaction.atomic
def ambition_set(
    *, actor, count: int | None = None, percentage: int | None = None, statement: str = ""
) -> AmbitionTarget:
    """Set the region's ambition as a number of authorities or a percentage, not both."""
    _require_admin(actor)
    if (count is None) == (percentage is None):
        raise InspectionError(
            "Give the ambition either as a number of authorities or as a percentage.",
            field="count",
        )
    if count is not None and count < 1:
        raise InspectionError("The number of authorities must be at least 1.", field="count")
    if percentage is not None and not 1 <= percentage <= 100:
        raise InspectionError("The percentage must be from 1 to 100.", field="percentage")
    target = AmbitionTarget.objects.select_for_update().filter(pk=1).first()
    before = snapshot(target) if target else None
    if target is None:
        target = AmbitionTarget(pk=1)
    target.count, target.percentage = count, percentage
    target.statement = statement.strip()
    target.updated_by = actor
    target.save()
    audit_record(
        actor=actor,
        action="inspections.ambition.set",
        obj=target,
        before=before,
        after=snapshot(target, ["count", "percentage", "statement"]),
    )
    data_changed(CACHE_NAMESPACE)
    return target
