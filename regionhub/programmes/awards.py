"""The Team Excellence Awards: one nomination per authority per year, put forward by the
authority's director or chief executive (or its coordinator for them); the Regional Team
shortlists and records the winners."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from regionhub.core.audit import audit_record, snapshot
from regionhub.core.permissions import coordinated_ids, is_regional_admin, require
from regionhub.directory.models import Appointment, Organisation, Post
from regionhub.events.models import Event

from .models import AwardNomination, AwardRound
from .services import ProgrammeError

A = AwardNomination.Status
HEADS = (Post.Category.DIRECTOR, Post.Category.CHIEF_EXECUTIVE)


class AwardError(ProgrammeError):
    """A nomination or award step that cannot be taken, with a message a person can read."""


def headed_authority_ids(user, on: datetime.date | None = None) -> set[int]:
    """Authorities whose director or chief executive post this user holds today."""
    if not (user and user.is_authenticated and user.person_id):
        return set()
    appointments = Appointment.objects.on(on or timezone.localdate()).filter(
        person_id=user.person_id, post__category__in=HEADS
    )
    return set(appointments.values_list("post__organisation_id", flat=True))


def nominating_authority_ids(user) -> set[int]:
    return headed_authority_ids(user) | coordinated_ids(user)


@transaction.atomic
def award_nominate(
    *, actor, authority: Organisation, year: int, team: str, summary: str, evidence: str = ""
) -> AwardNomination:
    if not (is_regional_admin(actor) or authority.pk in nominating_authority_ids(actor)):
        raise PermissionDenied(
            "Only the authority's director or chief executive, or its coordinator, can nominate."
        )
    if not team.strip():
        raise AwardError("Name the team", field="team")
    if not summary.strip():
        raise AwardError("Say what the team achieved", field="summary")
    duplicate = AwardError(
        f"{authority.short_name or authority.name} has already nominated a team for {year}",
        field="team",
        code="duplicate",
    )
    if AwardNomination.objects.filter(year=year, authority=authority).exists():
        raise duplicate
    try:
        with transaction.atomic():
            nomination = AwardNomination.objects.create(
                year=year,
                authority=authority,
                team=team.strip(),
                summary=summary.strip(),
                evidence=evidence.strip(),
                nominated_by=actor,
            )
    except IntegrityError as error:
        raise duplicate from error
    audit_record(
        actor=actor,
        action="programmes.award.nominated",
        obj=nomination,
        after=snapshot(nomination),
    )
    return nomination


@transaction.atomic
def award_set_status(*, actor, nomination: AwardNomination, status: str) -> AwardNomination:
    """Shortlist, record a winner, or put a nomination back; regional admins only."""
    require(is_regional_admin(actor), "Only regional admins shortlist and choose winners.")
    if status not in A.values:
        raise AwardError("Choose a status from the list", field="status")
    nomination = AwardNomination.objects.select_for_update().get(pk=nomination.pk)
    before = snapshot(nomination)
    nomination.status = status
    nomination.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=f"programmes.award.{status}",
        obj=nomination,
        before=before,
        after=snapshot(nomination),
    )
    return nomination


@transaction.atomic
def award_set_ceremony(*, actor, year: int, event: Event | None) -> AwardRound:
    """Name the event at which the year's awards are presented (None: no event yet); regional
    admins only. The event page then shows the year's shortlist and winners."""
    require(is_regional_admin(actor), "Only regional admins choose the awards ceremony.")
    if event is not None and event.status == Event.Status.CANCELLED:
        raise AwardError("That event is cancelled: choose another", field="ceremony")
    award_round, _ = AwardRound.objects.select_for_update().get_or_create(year=year)
    before = {"ceremony": award_round.ceremony_id}
    award_round.ceremony = event
    award_round.save(update_fields=["ceremony"])
    audit_record(
        actor=actor,
        action="programmes.award.ceremony_set",
        obj=award_round,
        before=before,
        after={"ceremony": award_round.ceremony_id},
    )
    return award_round


def ceremony_candidates(year: int) -> QuerySet[Event]:
    """Events an admin may choose as the year's ceremony: any not cancelled that starts in the
    award year or the next (ceremonies often follow the year they celebrate), and the one
    already chosen."""
    london = timezone.get_current_timezone()
    first = datetime.datetime(year, 1, 1, tzinfo=london)
    last = datetime.datetime(year + 2, 1, 1, tzinfo=london)
    chosen = AwardRound.objects.filter(year=year).values("ceremony_id")
    return (
        Event.objects.filter(
            Q(starts_at__gte=first, starts_at__lt=last) & ~Q(status=Event.Status.CANCELLED)
            | Q(pk__in=chosen)
        )
        .only("pk", "title", "starts_at", "status")
        .order_by("starts_at", "pk")
    )


def award_round(year: int) -> AwardRound | None:
    return AwardRound.objects.filter(year=year).select_related("ceremony").first()


def awards_for(year: int) -> QuerySet[AwardNomination]:
    return (
        AwardNomination.objects.filter(year=year)
        .select_related("authority")
        .order_by("authority__name")
    )


def award_winners(year: int) -> QuerySet[AwardNomination]:
    """What the ceremony event can show: the year's winners and shortlist."""
    return awards_for(year).filter(status__in=[A.WINNER, A.SHORTLISTED])
