"""Demo programmes: the offers the Regional Updates describe, with past and open cohorts,
interest, applications at every stage, and a mentoring scheme with mentors, mentees, an
endorsement and a match.

Runs after the directory demo and uses its authorities, people and logins. Open cohorts are
dated from today, so the demo always has something to apply for.
"""

import datetime
import decimal
import zoneinfo

from django.db import transaction
from django.utils import timezone

from regionhub.accounts.models import User
from regionhub.directory import services as directory_services
from regionhub.directory.demo import ADMIN_EMAIL, DEMO_LOGINS
from regionhub.directory.models import Organisation, Person
from regionhub.events import selectors as event_selectors
from regionhub.events import services as event_services
from regionhub.events.models import Event

from . import awards, mentoring, services
from .models import Application, AwardRound, Cohort, MentoringScheme, Programme

LONDON = zoneinfo.ZoneInfo("Europe/London")
MARKER = "Breaking Through"
SCHEME = "West Midlands Social Work Teaching Partnership Mentoring Scheme"
D = decimal.Decimal


def _org(name: str, kind: str = Organisation.Kind.PARTNER) -> Organisation:
    org = (
        Organisation.objects.filter(name=name).first()
        or Organisation.objects.filter(short_name=name).first()
    )
    if org is None:
        org = Organisation.objects.create(name=name, kind=kind)
    return org


def _midnight_after(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0), LONDON)


def _next(month: int, day: int) -> datetime.date:
    today = timezone.localdate()
    candidate = datetime.date(today.year, month, day)
    return candidate if candidate > today else candidate.replace(year=today.year + 1)


def _people(admin: User, authority: Organisation, count: int) -> list[Person]:
    """The first `count` people of the authority, made up if it has fewer. The demo logins'
    people are left out, so that whoever tries the demo can take every step themselves."""
    logins = User.objects.filter(email__in=[login.email for login in DEMO_LOGINS])
    people = list(
        authority.people.exclude(pk__in=logins.exclude(person=None).values("person")).order_by(
            "pk"
        )[:count]
    )
    label = authority.short_name or authority.name
    n = len(people)
    while len(people) < count:
        n += 1
        people.append(
            directory_services.person_create(
                actor=admin,
                data={"name": f"Programme participant {n}, {label}", "organisation": authority},
                allow_duplicate=True,
            )
        )
    return people


def _account(person: Person) -> User:
    """The person's account, made without a usable password if they have none, so that their
    steps go through the same services, and the same audit, as everyone else's."""
    existing = User.objects.filter(person=person).first()
    if existing is not None:
        return existing
    return User.objects.create_user(
        f"demo.person{person.pk}@regionhub.example",
        None,
        name=person.name,
        person=person,
        organisation=person.organisation,
    )


def _programmes(admin: User) -> dict[str, Programme]:
    wme = _org("Women Mean Equality (WME)")
    specs = [
        {
            "title": MARKER,
            "provider": wme,
            "commissioned_by": "WME, as a pilot within the WM ADCS network",
            "audience": "Women of colour aspiring to management across children's services",
            "contact": "Ana Davies, Regional Team: reserve places for your authority",
            "regional_price": D("1584"),
            "direct_price": D("1950"),
        },
        {
            "title": "SEND Leadership Programme",
            "provider": _org("NDTi"),
            "commissioned_by": "NDTi and the RIIA",
            "audience": "Aspiring strategic SEND leaders in education, social care and health",
            "contact": "Jane Carter, Regional Team: to make nominations",
            "regional_price": D("0"),
            "direct_price": D("0"),
        },
        {
            "title": "Leading Change in SEND/AP",
            "provider": _org("Leading Change in SEND/AP provider"),
            "audience": "Leaders in SEND and alternative provision",
            "regional_price": D("0"),
            "direct_price": D("0"),
        },
        {
            "title": "Aspirant Leaders Programme",
            "provider": _org("West Midlands Regional Team", Organisation.Kind.REGIONAL_TEAM),
            "audience": "Managers aspiring to head of service",
            "eligibility": "Team managers and service managers in a member authority",
            "regional_price": D("950"),
            "direct_price": D("1400"),
        },
        {
            "title": "Inspiring Women into Leadership",
            "provider": _org("Inspiring Women into Leadership provider"),
            "audience": "Women leaders in children's services",
            "regional_price": D("600"),
            "direct_price": D("750"),
        },
        {
            "title": "Keele University research supervision",
            "provider": _org("Keele University"),
            "audience": "Social workers with a small-scale research question",
            "eligibility": "Two social workers, supported by Keele staff for 12 months, on a "
            "project that meets their interests and their service's priorities",
            "contact": "Cath Holmstrom, Head of Social Work at Keele",
            "regional_price": D("0"),
            "direct_price": D("0"),
        },
    ]
    return {s["title"]: services.programme_create(actor=admin, data=s) for s in specs}


def _cohort(admin, programme, *, name, starts, last_day, places, rule, shares=None) -> Cohort:
    return services.cohort_create(
        actor=admin,
        programme=programme,
        data={
            "name": name,
            "starts": starts,
            "places": places,
            "deadline": _midnight_after(last_day),
            "rule": rule,
        },
        per_authority=shares or {},
        tell_interested=False,
    )


def _apply_past(cohort: Cohort, person: Person, status: str, admin: User) -> Application:
    """A closed cohort's history: written directly, as the deadline refuses new applications."""
    authority = services.authority_of(person)
    return Application.objects.create(
        cohort=cohort,
        person=person,
        authority=authority,
        status=status,
        created=timezone.make_aware(
            datetime.datetime.combine(cohort.starts, datetime.time(9)), LONDON
        )
        - datetime.timedelta(days=60),
    )


def _journeys(admin: User, cohort: Cohort, people: list[Person], stages: list[str]) -> None:
    for person, stage in zip(people, stages, strict=False):
        applicant = _account(person)
        if cohort.rule == Cohort.Rule.NOMINATED:
            application = services.application_nominate(actor=admin, cohort=cohort, person=person)
        else:
            application = services.application_create(actor=applicant, cohort=cohort)
        if stage == "applied":
            continue
        application = services.application_endorse(actor=admin, application=application)
        if stage in ("endorsed", "waitlisted") or application.status != "endorsed":
            continue
        application = services.application_confirm(actor=admin, application=application)
        if stage == "confirmed":
            continue
        if stage == "withdrawn":
            services.application_withdraw(actor=applicant, application=application)
            continue
        services.application_respond(
            actor=applicant, application=application, accept=stage == "accepted"
        )


def _mentoring(admin: User, authorities: list[Organisation]) -> MentoringScheme:
    scheme = MentoringScheme.objects.create(
        name=SCHEME,
        description="For any qualified social worker or manager in the region, funded through "
        "the Teaching Partnership's continuous improvement funding.",
    )
    scheme.coordinators.add(admin)
    mentee_people = [_people(admin, a, 3)[2] for a in authorities[:3]]
    mentor_people = [_people(admin, a, 4)[3] for a in authorities[3:6]]
    for person, areas, capacity in zip(
        mentor_people,
        [["leadership", "supervision"], ["practice", "wellbeing"], ["career", "diversity"]],
        [2, 1, 2],
        strict=False,
    ):
        mentoring.mentor_offer(
            actor=_account(person),
            scheme=scheme,
            experience="Team manager and practice supervisor for many years.",
            areas=areas,
            capacity=capacity,
        )
    goals = [
        ("Prepare for a first team manager post.", ["leadership", "supervision"]),
        ("Build confidence in court work and direct practice.", ["practice"]),
        ("Plan a route into a principal social worker role.", ["career"]),
    ]
    applications = []
    for person, (text, areas) in zip(mentee_people, goals, strict=False):
        applications.append(
            mentoring.mentee_apply(
                actor=_account(person),
                scheme=scheme,
                goals=text,
                areas=areas,
                line_manager_name="Line manager (demo)",
                line_manager_email="line.manager@regionhub.example",
            )
        )
    # The first is supported and matched; the second supported and waiting; the third waits
    # for the line manager.
    for application in applications[:2]:
        mentoring.endorsement_give(
            token=mentoring.endorsement_token(application),
            supports=True,
            comment="Happy to release time for sessions.",
        )
    if applications:
        suggestion = mentoring.mentor_suggestions(applications[0])
        if suggestion:
            mentoring.match_make(
                actor=admin, application=applications[0], mentor=suggestion[0].mentor
            )
    return scheme


TEAMS = [
    ("Fostering Recruitment Team", "Grew the number of in-house foster carers."),
    ("Care Leavers Team", "Every care leaver offered a personal adviser and a home."),
    ("Front Door Team", "Decisions within a day, with partners in the room."),
    ("Edge of Care Team", "Kept families together through intensive support."),
    ("Participation Team", "Children's voices shaping services and the corporate parenting board."),
    ("SEND Assessment Team", "Plans finished on time, written with families."),
]


def _awards(admin: User, authorities: list[Organisation]) -> int:
    """Last year's Team Excellence Awards: a nomination from several authorities, a shortlist
    and a winner."""
    year = timezone.localdate().year - 1
    made = []
    for authority, (team, summary) in zip(authorities, TEAMS, strict=False):
        made.append(
            awards.award_nominate(
                actor=admin, authority=authority, year=year, team=team, summary=summary
            )
        )
    for nomination, status in zip(made, ["winner", "shortlisted", "shortlisted"], strict=False):
        awards.award_set_status(actor=admin, nomination=nomination, status=status)
    return len(made)


CEREMONY = "Team Excellence Awards ceremony"


def _ceremony(admin: User) -> bool:
    """Last year's awards presented at a ceremony a month ago, whose event page shows the
    winners and shortlist. Made once, also on a database whose programmes demo came before the
    ceremony existed; True when it was made now."""
    year = timezone.localdate().year - 1
    if AwardRound.objects.filter(year=year, ceremony__isnull=False).exists():
        return False
    title = f"{CEREMONY} {year}"
    event = event_selectors.events_visible_to(admin).filter(title=title).first()
    if event is None:
        day = timezone.localdate() - datetime.timedelta(days=30)
        start = datetime.datetime.combine(day, datetime.time(18), LONDON)
        event = event_services.event_create(
            actor=admin,
            data={
                "kind": Event.Kind.CONFERENCE,
                "title": title,
                "description": "Each director and trust chief executive presents their "
                "authority's Team of Excellence; the winners are announced on the night.",
                "venue": "Birmingham",
                "audience": "Directors, chief executives and the nominated teams",
                "capacity": 150,
            },
            sessions=[(start, start + datetime.timedelta(hours=3))],
        )
        event_services.event_publish(actor=admin, event=event)
    awards.award_set_ceremony(actor=admin, year=year, event=event)
    return True


@transaction.atomic
def load_demo_data() -> str:
    """Load the programmes demo unless it is there already; returns a one-line summary."""
    admin = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if Programme.objects.filter(title=MARKER).exists():
        if admin is not None and _ceremony(admin):
            return "Programmes demo already loaded; the awards ceremony event added."
        return "Programmes demo already loaded; nothing changed."
    if admin is None:
        return "Programmes demo not loaded: load the directory demo first."
    authorities = list(
        Organisation.objects.filter(
            is_member=True, kind__in=[Organisation.Kind.COUNCIL, Organisation.Kind.TRUST]
        ).order_by("name")
    )
    if len(authorities) < 5:
        return "Programmes demo not loaded: it needs the directory demo's authorities."
    p = _programmes(admin)
    today = timezone.localdate()
    year = datetime.timedelta(days=365)

    past = _cohort(
        admin,
        p[MARKER],
        name="Pilot cohort",
        starts=today - year,
        last_day=today - year - datetime.timedelta(days=30),
        places=16,
        rule=Cohort.Rule.FIRST_COME,
    )
    for authority in authorities[:6]:
        for person in _people(admin, authority, 2):
            _apply_past(past, person, Application.Status.ACCEPTED, admin)
    current = _cohort(
        admin,
        p[MARKER],
        name="Second cohort",
        starts=today + datetime.timedelta(days=60),
        last_day=today + datetime.timedelta(days=30),
        places=12,
        rule=Cohort.Rule.FIRST_COME,
    )
    stages = ["accepted", "confirmed", "endorsed", "applied", "withdrawn", "declined"]
    for authority, stage in zip(authorities[:6], stages, strict=False):
        _journeys(admin, current, _people(admin, authority, 2)[1:], [stage])

    send = _cohort(
        admin,
        p["SEND Leadership Programme"],
        name="Cohort 2025",
        starts=today + datetime.timedelta(days=90),
        last_day=today + datetime.timedelta(days=45),
        places=14,
        rule=Cohort.Rule.NOMINATED,
        shares={a.pk: 1 for a in authorities[:14]},
    )
    dudley = next((a for a in authorities if a.short_name == "Dudley"), authorities[0])
    _journeys(admin, send, _people(admin, dudley, 3)[2:], ["endorsed"])
    _journeys(admin, send, _people(admin, authorities[1], 3)[1:], ["confirmed", "waitlisted"])

    leading = _cohort(
        admin,
        p["Leading Change in SEND/AP"],
        name="Next cohort",
        starts=_next(7, 26) + datetime.timedelta(days=45),
        last_day=_next(7, 26),
        places=20,
        rule=Cohort.Rule.PANEL,
    )
    _journeys(admin, leading, _people(admin, authorities[3], 2), ["applied", "endorsed"])

    _cohort(
        admin,
        p["Inspiring Women into Leadership"],
        name="Spring cohort",
        starts=today + datetime.timedelta(days=40),
        last_day=today + datetime.timedelta(days=20),
        places=6,
        rule=Cohort.Rule.FIRST_COME,
    )
    interested = 0
    for authority in authorities[:8]:
        for person, role in zip(
            _people(admin, authority, 2), ["team_manager", "head_of_service"], strict=False
        ):
            for title in ("Aspirant Leaders Programme", "Keele University research supervision"):
                if title.startswith("Keele") and role != "team_manager":
                    continue
                services.interest_register(actor=_account(person), programme=p[title], role=role)
                interested += 1
    scheme = _mentoring(admin, authorities)
    nominations = _awards(admin, authorities)
    _ceremony(admin)
    return (
        f"Programmes demo loaded: {len(p)} programmes, {Cohort.objects.count()} cohorts, "
        f"{Application.objects.count()} applications, {interested} registrations of interest, "
        f"{scheme.mentees.count()} mentees, {scheme.mentors.count()} mentors and "
        f"{nominations} award nominations, presented at the {CEREMONY.lower()}."
    )
