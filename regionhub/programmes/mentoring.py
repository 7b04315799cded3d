"""The mentoring scheme: writes, reads and the line manager's signed link.

Who sees what: a mentee's goals and areas are seen by the mentee and by the scheme's
coordinators (`MentoringScheme.coordinators`), nobody else — not their authority's coordinator,
not a regional admin who is not a scheme coordinator, and never the line manager, who endorses
through a signed, expiring link that names only the applicant and the scheme.
"""

import dataclasses
import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import require

from .models import AREAS, Endorsement, Match, MenteeApplication, MentoringScheme, MentorOffer
from .services import ProgrammeError, _on_commit, authority_of

ENDORSEMENT_SALT = "programmes.mentoring.endorsement"
AREA_NAMES = dict(AREAS)
M = MenteeApplication.Status


class MentoringError(ProgrammeError):
    """A mentoring step that cannot be taken, with a message a person can read."""


def endorsement_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "MENTORING_ENDORSEMENT_DAYS", 14))


def is_scheme_coordinator(user, scheme: MentoringScheme) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return scheme.coordinators.filter(pk=user.pk).exists()


def schemes_coordinated_by(user) -> QuerySet[MentoringScheme]:
    if not (user and user.is_authenticated):
        return MentoringScheme.objects.none()
    return MentoringScheme.objects.filter(coordinators=user)


# The signed link -----------------------------------------------------------------------------


def endorsement_token(application: MenteeApplication) -> str:
    return signing.TimestampSigner(salt=ENDORSEMENT_SALT).sign(str(application.pk))


def application_for_token(token: str) -> MenteeApplication:
    """The application a link is for; MentoringError with a plain message if the link has been
    changed or has expired."""
    signer = signing.TimestampSigner(salt=ENDORSEMENT_SALT)
    try:
        pk = signer.unsign(token, max_age=endorsement_max_age())
    except signing.SignatureExpired as error:
        raise MentoringError(
            "This link has expired. Ask the person who named you as their line manager to "
            "send you a new one from their application page.",
            code="expired",
        ) from error
    except signing.BadSignature as error:
        raise MentoringError(
            "This link is not valid: it may have been cut short or changed. Copy the whole "
            "link from the email, or ask for a new one.",
            code="tampered",
        ) from error
    application = MenteeApplication.objects.select_related("person", "scheme").filter(pk=pk).first()
    if application is None or application.status == M.WITHDRAWN:
        raise MentoringError("This application has been withdrawn.", code="withdrawn")
    return application


# Writes --------------------------------------------------------------------------------------


def _person(actor):
    require(bool(actor and actor.is_authenticated), "Sign in first.")
    if actor.person is None:
        raise MentoringError(
            "Your account is not linked to a directory entry; ask the Regional Team to link it",
            code="no_person",
        )
    return actor.person


def _check_areas(areas: list[str]) -> list[str]:
    unknown = [a for a in areas if a not in AREA_NAMES]
    if unknown or not areas:
        raise MentoringError("Choose at least one area from the list", field="areas")
    return list(dict.fromkeys(areas))


@transaction.atomic
def mentee_apply(
    *,
    actor,
    scheme: MentoringScheme,
    goals: str,
    areas: list[str],
    line_manager_name: str,
    line_manager_email: str,
) -> MenteeApplication:
    person = _person(actor)
    if not scheme.is_open:
        raise MentoringError("This scheme is not taking applications", code="closed")
    if not goals.strip():
        raise MentoringError("Say what you want from mentoring", field="goals")
    areas = _check_areas(areas)
    if line_manager_email.strip().lower() == (person.email or "").lower():
        raise MentoringError(
            "Your line manager must endorse the application; enter their email address, not yours",
            field="line_manager_email",
        )
    duplicate = MentoringError(
        "You already have an application to this scheme", field="goals", code="duplicate"
    )
    if scheme.mentees.filter(person=person).exclude(status=M.WITHDRAWN).exists():
        raise duplicate
    try:
        with transaction.atomic():
            application = MenteeApplication.objects.create(
                scheme=scheme,
                person=person,
                authority=authority_of(person),
                goals=goals.strip(),
                areas=areas,
                line_manager_name=line_manager_name.strip(),
                line_manager_email=line_manager_email.strip(),
            )
    except IntegrityError as error:
        raise duplicate from error
    # The audit row records that it happened, never what the mentee wrote.
    audit_record(
        actor=actor,
        action="programmes.mentee.applied",
        obj=application,
        after={"scheme": scheme.pk, "person": person.pk, "status": application.status},
    )
    from . import tasks

    _on_commit(tasks.send_endorsement_request, application.pk)
    return application


@transaction.atomic
def endorsement_request_resend(*, actor, application: MenteeApplication) -> None:
    require(
        bool(actor and actor.is_authenticated)
        and (
            actor.person_id == application.person_id
            or is_scheme_coordinator(actor, application.scheme)
        ),
        "You cannot send this request.",
    )
    if application.status != M.AWAITING:
        raise MentoringError("The line manager has already answered", code="answered")
    audit_record(actor=actor, action="programmes.mentee.endorsement_resent", obj=application)
    from . import tasks

    _on_commit(tasks.send_endorsement_request, application.pk)


@transaction.atomic
def endorsement_give(*, token: str, supports: bool, comment: str = "") -> Endorsement:
    """The line manager's answer. The signed token is the permission: no account is needed."""
    application = application_for_token(token)
    application = MenteeApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != M.AWAITING:
        raise MentoringError("You have already answered. Thank you.", code="answered")
    endorsement = Endorsement.objects.create(
        application=application, supports=supports, comment=comment.strip()
    )
    application.status = M.SUPPORTED if supports else M.NOT_SUPPORTED
    application.save(update_fields=["status"])
    audit_record(
        actor=None,
        action="programmes.mentee.endorsed" if supports else "programmes.mentee.not_supported",
        obj=application,
        after={"status": application.status},
    )
    return endorsement


@transaction.atomic
def mentor_offer(
    *, actor, scheme: MentoringScheme, experience: str, areas: list[str], capacity: int
) -> MentorOffer:
    person = _person(actor)
    if not experience.strip():
        raise MentoringError("Describe your experience", field="experience")
    if capacity < 1:
        raise MentoringError("Offer at least one place", field="capacity")
    areas = _check_areas(areas)
    duplicate = MentoringError(
        "You have already offered to mentor on this scheme", field="experience", code="duplicate"
    )
    if scheme.mentors.filter(person=person, is_active=True).exists():
        raise duplicate
    try:
        with transaction.atomic():
            offer = MentorOffer.objects.create(
                scheme=scheme,
                person=person,
                authority=authority_of(person),
                experience=experience.strip(),
                areas=areas,
                capacity=capacity,
            )
    except IntegrityError as error:
        raise duplicate from error
    audit_record(actor=actor, action="programmes.mentor.offered", obj=offer, after=snapshot(offer))
    return offer


@transaction.atomic
def match_make(*, actor, application: MenteeApplication, mentor: MentorOffer) -> Match:
    """Pair a supported mentee with a mentor who has room; both are told."""
    if not is_scheme_coordinator(actor, application.scheme):
        raise PermissionDenied("Only the scheme's coordinators make matches.")
    # Locking the mentor's offer keeps two coordinators from filling its last place twice.
    mentor = MentorOffer.objects.select_for_update().get(pk=mentor.pk)
    application = MenteeApplication.objects.select_for_update().get(pk=application.pk)
    if mentor.scheme_id != application.scheme_id or not mentor.is_active:
        raise MentoringError("This mentor is not on the scheme", field="mentor")
    if mentor.person_id == application.person_id:
        raise MentoringError("A mentee cannot mentor themselves", field="mentor")
    if application.status != M.SUPPORTED:
        raise MentoringError(
            "Only applications the line manager supports can be matched", code="status"
        )
    if mentor.matches.count() >= mentor.capacity:
        raise MentoringError(
            f"{mentor.person.name} has no room for another mentee", field="mentor", code="full"
        )
    match = Match.objects.create(mentee=application, mentor=mentor, matched_by=actor)
    application.status = M.MATCHED
    application.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="programmes.mentee.matched",
        obj=application,
        after={"mentor": mentor.pk, "status": application.status},
    )
    from . import tasks

    _on_commit(tasks.send_match_emails, match.pk)
    return match


# Reads ---------------------------------------------------------------------------------------


def mentee_applications(scheme: MentoringScheme) -> QuerySet[MenteeApplication]:
    return scheme.mentees.select_related(
        "person", "authority", "endorsement", "match__mentor__person"
    ).order_by("created", "pk")


def mentor_offers(scheme: MentoringScheme) -> QuerySet[MentorOffer]:
    return (
        scheme.mentors.filter(is_active=True)
        .select_related("person", "authority")
        .annotate(matched=Count("matches"))
        .order_by("person__name", "pk")
    )


@dataclasses.dataclass
class Suggestion:
    mentor: MentorOffer
    shared: list[str]
    room: int
    same_authority: bool


def mentor_suggestions(
    application: MenteeApplication, *, include_same_authority: bool = False
) -> list[Suggestion]:
    """Mentors with room, sharing most areas with the mentee first; from another authority
    unless asked. One query."""
    mentors = mentor_offers(application.scheme).exclude(person_id=application.person_id)
    if not include_same_authority and application.authority_id is not None:
        mentors = mentors.filter(~Q(authority_id=application.authority_id))
    wanted = set(application.areas)
    result = []
    for mentor in mentors:
        room = mentor.capacity - mentor.matched  # type: ignore[attr-defined]  # from mentor_offers()
        if room <= 0:
            continue
        shared = [AREA_NAMES[a] for a in mentor.areas if a in wanted and a in AREA_NAMES]
        result.append(
            Suggestion(mentor, shared, room, mentor.authority_id == application.authority_id)
        )
    result.sort(key=lambda s: (-len(s.shared), -s.room, s.mentor.person.name))
    return result
