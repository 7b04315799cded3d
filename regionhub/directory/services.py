"""Every write to the directory. Each service checks permission, validates, changes, audits."""

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import can_manage_organisation_id, is_regional_admin, require

from .models import Appointment, HandoverNote, Organisation, Person, Post


class DirectoryError(Exception):
    """A change the directory refuses, with a message a person can read."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class PossibleDuplicate(DirectoryError):
    """The person looks like one already in the directory; resubmit with confirmation."""

    def __init__(self, message: str, *, matches: list[Person]):
        super().__init__(message, field=None, code="duplicate")
        self.matches = matches


ORGANISATION_FIELDS = [
    "name",
    "short_name",
    "kind",
    "is_member",
    "website",
    "email_domains",
    "urn",
    "notes",
]
PERSON_FIELDS = ["name", "email", "phone", "organisation", "notes"]
POST_FIELDS = ["title", "organisation", "category", "max_holders", "description", "abolished"]
APPOINTMENT_FIELDS = [
    "start",
    "start_approximate",
    "end",
    "end_approximate",
    "basis",
    "on_behalf_of",
    "note",
]


def _apply(obj, data: dict[str, Any], allowed: Iterable[str]) -> None:
    for name in allowed:
        if name in data:
            setattr(obj, name, data[name])


# Organisations -------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(*, actor, data: dict[str, Any]) -> Organisation:
    require(is_regional_admin(actor), "Only regional admins can add organisations.")
    organisation = Organisation()
    _apply(organisation, data, ORGANISATION_FIELDS)
    _check_organisation(organisation)
    organisation.save()
    audit_record(
        actor=actor,
        action="directory.organisation.created",
        obj=organisation,
        after=snapshot(organisation),
    )
    return organisation


@transaction.atomic
def organisation_update(*, actor, organisation: Organisation, data: dict[str, Any]) -> Organisation:
    require(can_manage_organisation_id(actor, organisation.pk))
    if not is_regional_admin(actor):
        # Coordinators keep their authority's details current but cannot change what it is.
        data = {k: v for k, v in data.items() if k not in {"kind", "is_member", "name"}}
    before = snapshot(organisation)
    _apply(organisation, data, ORGANISATION_FIELDS)
    _check_organisation(organisation)
    organisation.save()
    audit_record(
        actor=actor,
        action="directory.organisation.updated",
        obj=organisation,
        before=before,
        after=snapshot(organisation),
    )
    return organisation


def _check_organisation(organisation: Organisation) -> None:
    clash = Organisation.objects.filter(name__iexact=organisation.name).exclude(pk=organisation.pk)
    if clash.exists():
        raise DirectoryError("An organisation with this name already exists.", field="name")
    if organisation.urn:
        clash = Organisation.objects.filter(urn=organisation.urn).exclude(pk=organisation.pk)
        if clash.exists():
            raise DirectoryError("Another organisation already has this URN.", field="urn")


# People --------------------------------------------------------------------------------------


def person_possible_duplicates(
    *, name: str, email: str, organisation: Organisation | None, exclude: Person | None = None
) -> list[Person]:
    """People with the same email, or with the same name in the same organisation."""
    condition = Q(name__iexact=name.strip(), organisation=organisation)
    if email:
        condition |= Q(email__iexact=email.strip())
    qs = Person.objects.filter(condition).select_related("organisation")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs[:5])


def _require_person_manager(actor, organisation: Organisation | None) -> None:
    require(
        can_manage_organisation_id(actor, organisation.pk if organisation else None),
        "You can only manage people in your own authority.",
    )


def _check_duplicates(person: Person, allow_duplicate: bool) -> None:
    if allow_duplicate:
        return
    matches = person_possible_duplicates(
        name=person.name,
        email=person.email,
        organisation=person.organisation,
        exclude=person if person.pk else None,
    )
    if matches:
        names = ", ".join(f"{m.name} ({m.organisation or 'no organisation'})" for m in matches)
        raise PossibleDuplicate(
            f"This may be someone already in the directory: {names}. Check, then confirm "
            "that this is a different person to save anyway.",
            matches=matches,
        )


@transaction.atomic
def person_create(*, actor, data: dict[str, Any], allow_duplicate: bool = False) -> Person:
    person = Person()
    _apply(person, data, PERSON_FIELDS)
    _require_person_manager(actor, person.organisation)
    person.name = person.name.strip()
    person.email = person.email.strip().lower()
    _check_duplicates(person, allow_duplicate)
    person.save()
    audit_record(actor=actor, action="directory.person.created", obj=person, after=snapshot(person))
    return person


@transaction.atomic
def person_update(
    *, actor, person: Person, data: dict[str, Any], allow_duplicate: bool = False
) -> Person:
    _require_person_manager(actor, person.organisation)
    before = snapshot(person)
    _apply(person, data, PERSON_FIELDS)
    # Moving a record to another authority needs the right to manage that one too.
    _require_person_manager(actor, person.organisation)
    person.name = person.name.strip()
    person.email = person.email.strip().lower()
    _check_duplicates(person, allow_duplicate)
    person.save()
    audit_record(
        actor=actor,
        action="directory.person.updated",
        obj=person,
        before=before,
        after=snapshot(person),
    )
    return person


# Posts ---------------------------------------------------------------------------------------


def _require_post_manager(actor, organisation: Organisation | None) -> None:
    require(
        can_manage_organisation_id(actor, organisation.pk if organisation else None),
        "You can only manage posts in your own authority.",
    )


def _check_post(post: Post) -> None:
    clash = Post.objects.filter(organisation=post.organisation, title__iexact=post.title)
    if clash.exclude(pk=post.pk).exists():
        raise DirectoryError("This organisation already has a post with this title.", field="title")
    if post.pk and post.max_holders:
        busiest = _max_concurrent(
            list(post.appointments.values_list("start", "end")), datetime.date.min, None
        )
        if busiest > post.max_holders:
            raise DirectoryError(
                f"This post has had {busiest} holders at the same time; "
                "it cannot allow fewer than that.",
                field="max_holders",
            )


@transaction.atomic
def post_create(*, actor, data: dict[str, Any]) -> Post:
    post = Post()
    _apply(post, data, POST_FIELDS)
    _require_post_manager(actor, post.organisation)
    _check_post(post)
    post.save()
    audit_record(actor=actor, action="directory.post.created", obj=post, after=snapshot(post))
    return post


@transaction.atomic
def post_update(*, actor, post: Post, data: dict[str, Any]) -> Post:
    _require_post_manager(actor, post.organisation)
    before = snapshot(post)
    _apply(post, data, POST_FIELDS)
    _require_post_manager(actor, post.organisation)
    _check_post(post)
    post.save()
    audit_record(
        actor=actor, action="directory.post.updated", obj=post, before=before, after=snapshot(post)
    )
    return post


# Appointments --------------------------------------------------------------------------------


def _max_concurrent(
    intervals: list[tuple[datetime.date, datetime.date | None]],
    start: datetime.date,
    end: datetime.date | None,
) -> int:
    """The largest number of `intervals` that hold on one day within [start, end]."""
    changes: list[tuple[datetime.date, int]] = []
    for s, e in intervals:
        s = max(s, start)
        e = e if end is None else (end if e is None else min(e, end))
        if e is not None and e < s:
            continue
        changes.append((s, 1))
        if e is not None and e < datetime.date.max:
            changes.append((e + datetime.timedelta(days=1), -1))
    # Ends sort before starts on the same day: a holder leaving the day before another starts
    # never counts as overlap.
    changes.sort(key=lambda c: (c[0], c[1]))
    best = running = 0
    for _, delta in changes:
        running += delta
        best = max(best, running)
    return best


def _validate_appointment(appointment: Appointment) -> None:
    """Call inside the transaction that holds the lock on the post row."""
    if appointment.end is not None and appointment.end < appointment.start:
        raise DirectoryError("The end date must be on or after the start date.", field="end")
    post = appointment.post
    if post.abolished and appointment.start > post.abolished:
        raise DirectoryError(
            f"This post was abolished on {post.abolished:%-d %B %Y}.", field="start"
        )
    others = post.appointments.exclude(pk=appointment.pk).overlapping(
        appointment.start, appointment.end
    )
    if others.filter(person_id=appointment.person_id).exists():
        raise DirectoryError(
            "This person already holds this post during these dates.", field="start"
        )
    busiest = _max_concurrent(
        list(others.values_list("start", "end")), appointment.start, appointment.end
    )
    if busiest + 1 > post.max_holders:
        holders = ", ".join(
            f"{a.person.name} (from {a.start:%-d %B %Y})" for a in others.select_related("person")
        )
        allowed = "one holder" if post.max_holders == 1 else f"{post.max_holders} holders"
        raise DirectoryError(
            f"This post allows {allowed} at a time, and these dates overlap with {holders}. "
            "End the current appointment first, or use handover.",
            field="start",
        )


def _lock_post(post: Post) -> Post:
    return Post.objects.select_for_update().select_related("organisation").get(pk=post.pk)


@transaction.atomic
def appointment_create(*, actor, post: Post, person: Person, data: dict[str, Any]) -> Appointment:
    _require_post_manager(actor, post.organisation)
    post = _lock_post(post)
    appointment = Appointment(post=post, person=person)
    _apply(appointment, data, APPOINTMENT_FIELDS)
    _validate_appointment(appointment)
    appointment.save()
    audit_record(
        actor=actor,
        action="directory.appointment.created",
        obj=appointment,
        after=snapshot(appointment),
    )
    return appointment


@transaction.atomic
def appointment_update(*, actor, appointment: Appointment, data: dict[str, Any]) -> Appointment:
    _require_post_manager(actor, appointment.post.organisation)
    appointment.post = _lock_post(appointment.post)
    before = snapshot(appointment)
    _apply(appointment, data, APPOINTMENT_FIELDS)
    _validate_appointment(appointment)
    appointment.save()
    audit_record(
        actor=actor,
        action="directory.appointment.updated",
        obj=appointment,
        before=before,
        after=snapshot(appointment),
    )
    return appointment


@transaction.atomic
def appointment_end(
    *, actor, appointment: Appointment, end: datetime.date, approximate: bool = False
) -> Appointment:
    _require_post_manager(actor, appointment.post.organisation)
    appointment.post = _lock_post(appointment.post)
    if end < appointment.start:
        raise DirectoryError(
            f"The end date must be on or after the start date ({appointment.start:%-d %B %Y}).",
            field="end",
        )
    before = snapshot(appointment)
    appointment.end = end
    appointment.end_approximate = approximate
    _validate_appointment(appointment)
    appointment.save(update_fields=["end", "end_approximate"])
    audit_record(
        actor=actor,
        action="directory.appointment.ended",
        obj=appointment,
        before=before,
        after=snapshot(appointment),
    )
    return appointment


@transaction.atomic
def post_handover(
    *,
    actor,
    post: Post,
    incoming: Person,
    on: datetime.date,
    outgoing: Appointment | None = None,
    data: dict[str, Any] | None = None,
) -> Appointment:
    """End the outgoing appointment the day before `on` and start the incoming one on `on`.

    With no `outgoing` given, the post's single holder on the day before `on` hands over. The
    post's handover notes stay with the post, so the incoming holder sees them.
    """
    _require_post_manager(actor, post.organisation)
    post = _lock_post(post)
    last_day = on - datetime.timedelta(days=1)
    if outgoing is None:
        holders = list(post.appointments.on(last_day).select_related("person"))
        if not holders:
            raise DirectoryError(
                "Nobody holds this post the day before; record an appointment instead.",
                field="on",
            )
        if len(holders) > 1:
            raise DirectoryError(
                "This post has more than one holder; choose who is handing over.",
                field="outgoing",
            )
        outgoing = holders[0]
    else:
        outgoing = Appointment.objects.select_related("person").get(pk=outgoing.pk)
        if outgoing.post_id != post.pk or not outgoing.is_current(last_day):
            raise DirectoryError(
                "The outgoing holder must hold this post the day before the handover.",
                field="outgoing",
            )
    if outgoing.person_id == incoming.pk:
        raise DirectoryError("The incoming holder is already the holder.", field="incoming")
    if last_day < outgoing.start:
        raise DirectoryError(
            f"The handover must be after {outgoing.person.name} started "
            f"({outgoing.start:%-d %B %Y}).",
            field="on",
        )
    before = snapshot(outgoing)
    outgoing.end = last_day
    outgoing.end_approximate = False
    outgoing.save(update_fields=["end", "end_approximate"])
    audit_record(
        actor=actor,
        action="directory.appointment.ended",
        obj=outgoing,
        before=before,
        after=snapshot(outgoing),
    )
    incoming_appointment = Appointment(post=post, person=incoming, start=on)
    _apply(incoming_appointment, data or {}, APPOINTMENT_FIELDS)
    incoming_appointment.start = on
    if incoming_appointment.on_behalf_of is None:
        incoming_appointment.on_behalf_of = outgoing.on_behalf_of
    _validate_appointment(incoming_appointment)
    incoming_appointment.save()
    audit_record(
        actor=actor,
        action="directory.post.handed_over",
        obj=incoming_appointment,
        before={"outgoing_appointment": outgoing.pk, "person": outgoing.person_id},
        after=snapshot(incoming_appointment),
    )
    return incoming_appointment


# Handover notes ------------------------------------------------------------------------------


def can_read_handover_notes(user, post: Post) -> bool:
    """Regional admins, the post's current holder and whoever is appointed next."""
    if is_regional_admin(user):
        return True
    person_id = getattr(user, "person_id", None) if user.is_authenticated else None
    if person_id is None:
        return False
    relevant = post.appointments.filter(person_id=person_id)
    return relevant.current().exists() or relevant.future().exists()


@transaction.atomic
def handover_note_add(*, actor, post: Post, title: str, body: str) -> HandoverNote:
    require(
        can_read_handover_notes(actor, post),
        "Only regional admins and the post's current or next holder can add handover notes.",
    )
    if not body.strip():
        raise DirectoryError("Write the note.", field="body")
    note = HandoverNote.objects.create(
        post=post, author=actor, title=title.strip(), body=body.strip()
    )
    audit_record(
        actor=actor, action="directory.handover_note.created", obj=note, after=snapshot(note)
    )
    return note
