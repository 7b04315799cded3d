"""Every write to programmes, cohorts, interest and applications: check permission, validate,
change, audit, then emails as tasks once the transaction commits.

Locking, so that no place is ever given twice: a place is taken (an application becomes
`endorsed`) only while holding the lock on the cohort's row, and anything that frees a place
takes the same lock before handing it to whoever waits. One lock per cohort keeps both limits —
the cohort's total and each authority's share — right with a single, always-same-order lock.
"""

import datetime
import decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import coordinated_ids, is_regional_admin, require
from regionhub.directory.models import Organisation, Person

from .apps import programmes_changed
from .models import Application, Cohort, CohortPlaces, Interest, Programme

S = Application.Status


class ProgrammeError(Exception):
    """A change the programmes app refuses, with a message a person can read."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NominationError(ProgrammeError):
    """An application, nomination or step in one that cannot be made."""


def _on_commit(task, *args) -> None:
    transaction.on_commit(lambda: task.enqueue(*args))


def _date(value: datetime.datetime | datetime.date) -> str:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return f"{value.day} {value:%B %Y}"


def _require_admin(actor) -> None:
    require(is_regional_admin(actor), "Only regional admins can manage programmes.")


def authority_of(person: Person) -> Organisation | None:
    """The member authority whose places a person uses: their employer, if it is one."""
    org = person.organisation
    if org is not None and org.is_member and org.is_authority:
        return org
    return None


# Programmes and cohorts ----------------------------------------------------------------------

PROGRAMME_FIELDS = [
    "title",
    "provider",
    "commissioned_by",
    "audience",
    "eligibility",
    "description",
    "contact",
    "regional_price",
    "direct_price",
]
COHORT_FIELDS = ["name", "starts", "ends", "places", "deadline", "rule"]


def _check_prices(data: dict[str, Any]) -> None:
    regional = decimal.Decimal(data.get("regional_price") or 0)
    direct = decimal.Decimal(data.get("direct_price") or 0)
    if regional < 0 or direct < 0:
        raise ProgrammeError("A price cannot be below £0", field="regional_price")
    if regional > direct:
        raise ProgrammeError(
            f"The regional price (£{regional:,.2f}) cannot be above the direct price "
            f"(£{direct:,.2f}): the region exists to make places cheaper",
            field="regional_price",
            code="price",
        )


@transaction.atomic
def programme_create(*, actor, data: dict[str, Any]) -> Programme:
    _require_admin(actor)
    _check_prices(data)
    if Programme.objects.filter(title__iexact=data["title"]).exists():
        raise ProgrammeError("There is already a programme with this title", field="title")
    programme = Programme.objects.create(**{k: data[k] for k in PROGRAMME_FIELDS if k in data})
    audit_record(
        actor=actor, action="programmes.programme.created", obj=programme, after=snapshot(programme)
    )
    return programme


@transaction.atomic
def programme_update(*, actor, programme: Programme, data: dict[str, Any]) -> Programme:
    _require_admin(actor)
    merged = {k: getattr(programme, k) for k in PROGRAMME_FIELDS} | data
    _check_prices(merged)
    if Programme.objects.filter(title__iexact=merged["title"]).exclude(pk=programme.pk).exists():
        raise ProgrammeError("There is already a programme with this title", field="title")
    before = snapshot(programme)
    for key in PROGRAMME_FIELDS:
        setattr(programme, key, merged[key])
    programme.save()
    audit_record(
        actor=actor,
        action="programmes.programme.updated",
        obj=programme,
        before=before,
        after=snapshot(programme),
    )
    return programme


def _check_cohort(data: dict[str, Any], per_authority: dict[int, int]) -> None:
    if data.get("ends") and data["ends"] < data["starts"]:
        raise ProgrammeError("The cohort cannot end before it starts", field="ends")
    if any(n < 0 for n in per_authority.values()):
        raise ProgrammeError("Places cannot be negative", field="per_authority")
    shared = sum(per_authority.values())
    if shared > data["places"]:
        raise ProgrammeError(
            f"The authorities' places add up to {shared}, more than the cohort's "
            f"{data['places']} places",
            field="places",
            code="too_many",
        )


def _set_places(cohort: Cohort, per_authority: dict[int, int]) -> None:
    CohortPlaces.objects.filter(cohort=cohort).exclude(authority_id__in=per_authority).delete()
    for authority_id, places in per_authority.items():
        CohortPlaces.objects.update_or_create(
            cohort=cohort, authority_id=authority_id, defaults={"places": places}
        )


@transaction.atomic
def cohort_create(
    *,
    actor,
    programme: Programme,
    data: dict[str, Any],
    per_authority: dict[int, int] | None = None,
    tell_interested: bool = True,
) -> Cohort:
    """Commission a cohort. Everyone who registered interest in the programme and has not yet
    been told about a cohort is emailed, unless `tell_interested` is False."""
    _require_admin(actor)
    per_authority = {k: v for k, v in (per_authority or {}).items() if v}
    _check_cohort(data, per_authority)
    cohort = Cohort.objects.create(
        programme=programme, **{k: data[k] for k in COHORT_FIELDS if k in data}
    )
    _set_places(cohort, per_authority)
    audit_record(
        actor=actor,
        action="programmes.cohort.created",
        obj=cohort,
        after=snapshot(cohort) | {"per_authority": per_authority},
    )
    if tell_interested:
        from . import tasks

        waiting = Interest.objects.filter(programme=programme, told_about__isnull=True)
        ids = list(waiting.values_list("pk", flat=True))
        waiting.update(told_about=cohort)
        programmes_changed()  # a bulk update sends no signal; the list counts open interest
        for pk in ids:
            _on_commit(tasks.send_interest_email, pk)
    return cohort


@transaction.atomic
def cohort_update(
    *, actor, cohort: Cohort, data: dict[str, Any], per_authority: dict[int, int] | None = None
) -> Cohort:
    _require_admin(actor)
    cohort = _lock_cohort(cohort)
    merged = {k: getattr(cohort, k) for k in COHORT_FIELDS} | data
    shares = (
        dict(cohort.authority_places.values_list("authority_id", "places"))
        if per_authority is None
        else {k: v for k, v in per_authority.items() if v}
    )
    _check_cohort(merged, shares)
    taken = cohort.applications.holding().count()
    if merged["places"] < taken:
        raise ProgrammeError(
            f"{taken} places are already taken; the cohort cannot have fewer",
            field="places",
        )
    before = snapshot(cohort)
    for key in COHORT_FIELDS:
        setattr(cohort, key, merged[key])
    cohort.save()
    _set_places(cohort, shares)
    audit_record(
        actor=actor,
        action="programmes.cohort.updated",
        obj=cohort,
        before=before,
        after=snapshot(cohort) | {"per_authority": shares},
    )
    _notify(_fill(cohort))
    return cohort


# Interest ------------------------------------------------------------------------------------


@transaction.atomic
def interest_register(*, actor, programme: Programme, role: str) -> Interest:
    require(bool(actor and actor.is_authenticated), "Sign in to register interest.")
    person = actor.person
    if person is None:
        raise ProgrammeError(
            "Your account is not linked to a directory entry; ask the Regional Team to link it",
            code="no_person",
        )
    if role not in Interest.Role.values:
        raise ProgrammeError("Choose your role", field="role")
    if Interest.objects.filter(
        programme=programme, person=person, told_about__isnull=True
    ).exists():
        raise ProgrammeError(
            "You have already registered interest in this programme", field="role", code="duplicate"
        )
    try:
        with transaction.atomic():
            interest = Interest.objects.create(
                programme=programme, person=person, authority=authority_of(person), role=role
            )
    except IntegrityError as error:
        raise ProgrammeError(
            "You have already registered interest in this programme", field="role", code="duplicate"
        ) from error
    audit_record(
        actor=actor, action="programmes.interest.registered", obj=interest, after=snapshot(interest)
    )
    return interest


# Applications --------------------------------------------------------------------------------


def _lock_cohort(cohort: Cohort) -> Cohort:
    return Cohort.objects.select_for_update().get(pk=cohort.pk)


def _may_manage(actor, authority_id: int | None) -> bool:
    return is_regional_admin(actor) or (
        authority_id is not None and authority_id in coordinated_ids(actor)
    )


def _check_open(cohort: Cohort, now: datetime.datetime) -> None:
    if not cohort.is_open(now):
        raise NominationError(
            f"Applications for this cohort closed on {_date(cohort.last_day)}",
            field="person",
            code="closed",
        )


def _insert(**fields) -> Application:
    try:
        with transaction.atomic():
            return Application.objects.create(**fields)
    except IntegrityError as error:
        person = fields["person"]
        raise NominationError(
            f"{person.name} has already applied for this cohort", field="person", code="duplicate"
        ) from error


def _check_not_applied(cohort: Cohort, person: Person, who: str) -> None:
    if cohort.applications.filter(person=person).exists():
        raise NominationError(
            f"{who} already applied for this cohort", field="person", code="duplicate"
        )


@transaction.atomic
def application_create(*, actor, cohort: Cohort, statement: str = "") -> Application:
    """A member applies for themselves."""
    require(bool(actor and actor.is_authenticated), "Sign in to apply.")
    person = actor.person
    if person is None:
        raise NominationError(
            "Your account is not linked to a directory entry; ask the Regional Team to link it",
            code="no_person",
        )
    now = timezone.now()
    _check_open(cohort, now)
    if cohort.rule == Cohort.Rule.NOMINATED:
        raise NominationError(
            "Places on this cohort are by nomination: ask your authority's coordinator to "
            "nominate you",
            code="nominated_only",
        )
    _check_not_applied(cohort, person, "You have")
    authority = authority_of(person)
    application = _insert(
        cohort=cohort,
        person=person,
        authority=authority,
        statement=statement,
        created=now,
        updated=now,
    )
    audit_record(
        actor=actor,
        action="programmes.application.created",
        obj=application,
        after=snapshot(application),
    )
    _notify([(application, "applied")])
    return application


@transaction.atomic
def application_nominate(
    *, actor, cohort: Cohort, person: Person, statement: str = ""
) -> Application:
    """A coordinator nominates someone from an authority they coordinate (or an admin anyone)."""
    require(_may_manage_any(actor), "Only coordinators and regional admins can nominate.")
    authority = authority_of(person)
    if not _may_manage(actor, authority.pk if authority else None):
        where = person.organisation.name if person.organisation else "no authority"
        raise NominationError(
            f"{person.name} works for {where}; you can only nominate people from the "
            "authorities you coordinate",
            field="person",
            code="other_authority",
        )
    now = timezone.now()
    _check_open(cohort, now)
    _check_not_applied(cohort, person, person.name)
    application = _insert(
        cohort=cohort,
        person=person,
        authority=authority,
        statement=statement,
        nominated_by=actor,
        created=now,
        updated=now,
    )
    audit_record(
        actor=actor,
        action="programmes.application.nominated",
        obj=application,
        after=snapshot(application),
    )
    _notify([(application, "nominated")])
    return application


def _may_manage_any(actor) -> bool:
    return bool(actor and actor.is_authenticated) and (
        is_regional_admin(actor) or bool(coordinated_ids(actor))
    )


def places_left(cohort: Cohort, authority_id: int | None) -> int:
    """Places this authority could still take. Call holding the cohort's lock when about to
    take one."""
    holding = cohort.applications.holding()
    left = cohort.places - holding.count()
    if authority_id is not None:
        share = (
            CohortPlaces.objects.filter(cohort=cohort, authority_id=authority_id)
            .values_list("places", flat=True)
            .first()
        )
        if share is not None:
            left = min(left, share - holding.filter(authority_id=authority_id).count())
    return max(left, 0)


def _set_status(application: Application, status: str, *, actor, action: str, **extra) -> None:
    before = snapshot(application)
    application.status = status
    application.updated = timezone.now()
    for key, value in extra.items():
        setattr(application, key, value)
    application.save(update_fields=["status", "updated", *extra])
    audit_record(
        actor=actor, action=action, obj=application, before=before, after=snapshot(application)
    )


def _locked(application: Application) -> tuple[Cohort, Application]:
    cohort = _lock_cohort(application.cohort)
    return cohort, Application.objects.select_related("person").get(pk=application.pk)


def _check_status(application: Application, allowed: tuple[str, ...], doing: str) -> None:
    if application.status not in allowed:
        raise NominationError(
            f"This application is {application.get_status_display().lower()}; it cannot be {doing}",
            code="status",
        )


@transaction.atomic
def application_endorse(*, actor, application: Application) -> Application:
    """The authority backs the application: it takes a place if one is left for the authority,
    else it waits for one, in order of endorsement."""
    if not _may_manage(actor, application.authority_id):
        raise PermissionDenied("You can only endorse applications from your own authority.")
    cohort, application = _locked(application)
    _check_status(application, (S.APPLIED,), "endorsed")
    if places_left(cohort, application.authority_id) > 0:
        _set_status(application, S.ENDORSED, actor=actor, action="programmes.application.endorsed")
        kind = "endorsed"
    else:
        cohort.waitlist_counter += 1
        cohort.save(update_fields=["waitlist_counter"])
        _set_status(
            application,
            S.WAITLISTED,
            actor=actor,
            action="programmes.application.waitlisted",
            position=cohort.waitlist_counter,
        )
        kind = "waitlisted"
    _notify([(application, kind)])
    return application


@transaction.atomic
def application_confirm(*, actor, application: Application) -> Application:
    _require_admin(actor)
    cohort, application = _locked(application)
    _check_status(application, (S.ENDORSED,), "confirmed")
    _set_status(application, S.CONFIRMED, actor=actor, action="programmes.application.confirmed")
    _notify([(application, "confirmed")])
    return application


def _is_participant(actor, application: Application) -> bool:
    return bool(actor and actor.is_authenticated and actor.person_id == application.person_id)


@transaction.atomic
def application_respond(*, actor, application: Application, accept: bool) -> Application:
    """The participant accepts or declines a confirmed place; declining frees it."""
    require(_is_participant(actor, application), "Only the participant can accept or decline.")
    cohort, application = _locked(application)
    _check_status(application, (S.CONFIRMED,), "accepted or declined")
    if accept:
        _set_status(application, S.ACCEPTED, actor=actor, action="programmes.application.accepted")
        _notify([(application, "accepted")])
        return application
    _set_status(application, S.DECLINED, actor=actor, action="programmes.application.declined")
    _notify([(application, "declined"), *_fill(cohort, prefer=application.authority_id)])
    return application


@transaction.atomic
def application_withdraw(*, actor, application: Application) -> Application:
    """The participant or their authority withdraws; a place it held goes to the next in line."""
    if not (_is_participant(actor, application) or _may_manage(actor, application.authority_id)):
        raise PermissionDenied("You cannot withdraw this application.")
    cohort, application = _locked(application)
    if application.status in Application.CLOSED:
        raise NominationError("This application is already closed", code="status")
    had_place = application.holds_place
    _set_status(application, S.WITHDRAWN, actor=actor, action="programmes.application.withdrawn")
    notices = [(application, "withdrawn")]
    if had_place:
        notices += _fill(cohort, prefer=application.authority_id)
    _notify(notices)
    return application


@transaction.atomic
def application_refuse(*, actor, application: Application) -> Application:
    """The panel or the Regional Team does not select this application."""
    _require_admin(actor)
    cohort, application = _locked(application)
    _check_status(application, (S.APPLIED, S.WAITLISTED, S.ENDORSED), "refused")
    had_place = application.holds_place
    _set_status(application, S.REFUSED, actor=actor, action="programmes.application.refused")
    notices = [(application, "refused")]
    if had_place:
        notices += _fill(cohort, prefer=application.authority_id)
    _notify(notices)
    return application


def _fill(cohort: Cohort, prefer: int | None = None) -> list[tuple[Application, str]]:
    """Give free places to applications waiting: the preferred authority's first, then in order
    of endorsement. Call holding the cohort's lock."""
    waiting = list(cohort.applications.waiting().select_related("person"))
    if prefer is not None:
        waiting.sort(key=lambda a: a.authority_id != prefer)
    promoted = []
    for application in waiting:
        if places_left(cohort, application.authority_id) <= 0:
            continue
        _set_status(
            application,
            S.ENDORSED,
            actor=None,
            action="programmes.application.promoted",
            position=None,
        )
        promoted.append((application, "promoted"))
    return promoted


def _notify(notices: list[tuple[Application, str]]) -> None:
    from . import tasks

    for application, kind in notices:
        _on_commit(tasks.send_application_email, application.pk, kind)
