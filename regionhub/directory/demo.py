"""Demo data: the West Midlands network as its Regional Updates describe it, Dec 2022 – Mar 2025.

Everything is written through the directory services with the demo regional admin as the actor,
so the audit log, permissions and validation are exercised exactly as in real use.

Dates: where only a month is known the date is that month's first day (or, for an end, the last
day of the month before the named change) and the `*_approximate` flag is set. Where a start is
not known at all, the start is the earliest month the person is known to be in post, and the
appointment's note says so. People named by first name only are left out.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from regionhub.accounts.models import User

from . import services
from .models import Appointment, Delivery, Organisation, Person, Post

DEMO_PASSWORD = "regionhub-demo"

ADMIN_EMAIL = "admin@regionhub.example"
NETWORK = "West Midlands ADCS Network"
REGIONAL_TEAM = "West Midlands Regional Team"

D = datetime.date


# Organisations -------------------------------------------------------------------------------

# (name, short name, Ofsted URN, email domain). URNs and domains come from Ofsted's provider
# lookup. Birmingham's and Worcestershire's rows there carry the domain of the body delivering
# their children's services, so the councils get their own corporate domain here and the
# delivery bodies get theirs.
COUNCILS: list[tuple[str, str, str, str]] = [
    ("Birmingham City Council", "Birmingham", "80429", "birmingham.gov.uk"),
    ("Coventry City Council", "Coventry", "80456", "coventry.gov.uk"),
    ("Dudley Metropolitan Borough Council", "Dudley", "80464", "dudley.gov.uk"),
    ("Herefordshire Council", "Herefordshire", "80474", "herefordshire.gov.uk"),
    ("Sandwell Metropolitan Borough Council", "Sandwell", "80549", "sandwell.gov.uk"),
    ("Shropshire Council", "Shropshire", "80552", "shropshire.gov.uk"),
    ("Solihull Metropolitan Borough Council", "Solihull", "80554", "solihull.gov.uk"),
    ("Staffordshire County Council", "Staffordshire", "80561", "staffordshire.gov.uk"),
    ("Stoke-on-Trent City Council", "Stoke-on-Trent", "80564", "stoke.gov.uk"),
    ("Telford and Wrekin Council", "Telford & Wrekin", "80570", "telford.gov.uk"),
    ("Walsall Council", "Walsall", "80574", "walsall.gov.uk"),
    ("Warwickshire County Council", "Warwickshire", "80576", "warwickshire.gov.uk"),
    ("City of Wolverhampton Council", "Wolverhampton", "80583", "wolverhampton.gov.uk"),
    ("Worcestershire County Council", "Worcestershire", "80584", "worcestershire.gov.uk"),
]

# (name, short name, kind, is_member, email domain)
DELIVERY_BODIES: list[tuple[str, str, str, bool, str]] = [
    (
        "Birmingham Children's Trust",
        "",
        Organisation.Kind.TRUST,
        True,
        "birminghamchildrenstrust.co.uk",
    ),
    (
        "Sandwell Children's Trust",
        "",
        Organisation.Kind.TRUST,
        True,
        "sandwellchildrenstrust.org",
    ),
    (
        "Worcestershire Children First",
        "",
        Organisation.Kind.COMPANY,
        False,
        "worcschildrenfirst.org.uk",
    ),
]

# (provider, authority short name, start, end, description)
DELIVERIES: list[tuple[str, str, datetime.date, datetime.date | None, str]] = [
    (
        "Birmingham Children's Trust",
        "Birmingham",
        D(2018, 4, 1),
        None,
        "Children's social care delivered by a trust owned by the council.",
    ),
    (
        "Sandwell Children's Trust",
        "Sandwell",
        D(2018, 4, 1),
        None,
        "Children's social care delivered by a trust owned by the council.",
    ),
    (
        "Worcestershire Children First",
        "Worcestershire",
        D(2019, 10, 1),
        D(2024, 3, 31),
        "Children's services delivered by a council-owned company; dates approximate.",
    ),
]

# (name, short name, kind, website, notes)
OTHER_ORGANISATIONS: list[tuple[str, str, str, str, str]] = [
    (NETWORK, "WM ADCS", Organisation.Kind.NETWORK, "", "The region's directors' network."),
    (
        REGIONAL_TEAM,
        "Regional Team",
        Organisation.Kind.REGIONAL_TEAM,
        "",
        "Supports the network: programmes, events, the plan and the Regional Update.",
    ),
    (
        "Association of Directors of Children's Services",
        "ADCS",
        Organisation.Kind.NATIONAL_BODY,
        "https://www.adcs.org.uk",
        "",
    ),
    ("Ofsted", "Ofsted", Organisation.Kind.NATIONAL_BODY, "https://www.gov.uk/ofsted", ""),
    (
        "Department for Education",
        "DfE",
        Organisation.Kind.NATIONAL_BODY,
        "https://www.gov.uk/dfe",
        "",
    ),
    (
        "Social Work England",
        "SWE",
        Organisation.Kind.NATIONAL_BODY,
        "https://www.socialworkengland.org.uk",
        "The social work regulator.",
    ),
    (
        "The Staff College",
        "Staff College",
        Organisation.Kind.PARTNER,
        "https://thestaffcollege.uk",
        "Leadership programmes and events, including SEND leadership.",
    ),
    (
        "Keele University",
        "Keele",
        Organisation.Kind.PARTNER,
        "https://www.keele.ac.uk",
        "Supports practitioner research projects.",
    ),
    (
        "National Development Team for Inclusion",
        "NDTi",
        Organisation.Kind.PARTNER,
        "https://www.ndti.org.uk",
        "Runs the SEND leadership programme with the RIIA.",
    ),
    (
        "Regional Improvement and Innovation Alliance",
        "RIIA",
        Organisation.Kind.PARTNER,
        "",
        "",
    ),
    (
        "Research in Practice",
        "RiP",
        Organisation.Kind.PARTNER,
        "https://www.researchinpractice.org.uk",
        "",
    ),
    (
        "King's College London",
        "KCL",
        Organisation.Kind.PARTNER,
        "https://www.kcl.ac.uk",
        "Cash for Care Leavers research.",
    ),
    (
        "West Midlands Employers",
        "WME",
        Organisation.Kind.PARTNER,
        "https://www.wmemployers.org.uk",
        "Commissions the Breaking Through programme.",
    ),
    (
        "LeadHERship Academy",
        "LeadHERship",
        Organisation.Kind.PARTNER,
        "",
        "Coaching and development for women leaders.",
    ),
    (
        "West Midlands CAMHS Provider Collaborative",
        "CAMHS Provider Collaborative",
        Organisation.Kind.PARTNER,
        "",
        "Runs Integrated Residential Outreach Care (IROC).",
    ),
    (
        "West Midlands Social Work Teaching Partnership",
        "WMTP",
        Organisation.Kind.PARTNER,
        "",
        "Runs the social work mentoring scheme.",
    ),
    (
        "Birmingham Safeguarding Children Partnership",
        "BSCP",
        Organisation.Kind.PARTNER,
        "",
        "",
    ),
    (
        "Worcestershire County Cricket Club",
        "Worcestershire CCC",
        Organisation.Kind.PARTNER,
        "",
        "Hosted the Participation Leads Conference at New Road, September 2024, at no cost.",
    ),
]


# Posts ---------------------------------------------------------------------------------------

DCS = "Director of Children's Services"
CHIEF_EXECUTIVE = "Chief Executive"
CHAIR = "Chair, DCS Network"
CO_VICE_CHAIR = "Co-Vice Chair, DCS Network"
RCLO_CHAIR = "Chair, RCLO Board"
WORKFORCE_SPONSOR = "Sponsor, Workforce and Leadership Workstream"
SEND_LEAD = "SEND Lead, DCS Network"

# (organisation, title, category, max holders, description)
OTHER_POSTS: list[tuple[str, str, str, int, str]] = [
    (NETWORK, CHAIR, Post.Category.NETWORK_OFFICER, 1, "Chairs the DCS Network."),
    (
        NETWORK,
        CO_VICE_CHAIR,
        Post.Category.NETWORK_OFFICER,
        2,
        "Two directors share the vice chair role; the usual route to Chair.",
    ),
    (
        NETWORK,
        RCLO_CHAIR,
        Post.Category.NETWORK_OFFICER,
        1,
        "Chairs the board steering the Regional Care Leaver Offer.",
    ),
    (NETWORK, WORKFORCE_SPONSOR, Post.Category.NETWORK_OFFICER, 1, ""),
    (NETWORK, SEND_LEAD, Post.Category.NETWORK_OFFICER, 1, "The network's lead DCS for SEND."),
    (REGIONAL_TEAM, "RCLO Project Manager", Post.Category.REGIONAL_TEAM, 1, ""),
    (
        REGIONAL_TEAM,
        "Leadership Programmes Lead",
        Post.Category.REGIONAL_TEAM,
        1,
        "Takes reservations of places on regional leadership programmes.",
    ),
    (
        REGIONAL_TEAM,
        "SEND Leadership Programme Lead",
        Post.Category.REGIONAL_TEAM,
        1,
        "Takes nominations for the regional SEND leadership programme.",
    ),
    ("Keele University", "Head of Social Work", Post.Category.OTHER, 1, ""),
    (
        "Birmingham Safeguarding Children Partnership",
        "Partnership Business Manager",
        Post.Category.LEAD,
        1,
        "",
    ),
]


# People --------------------------------------------------------------------------------------

# (name, organisation or None, notes)
PEOPLE: list[tuple[str, str | None, str]] = [
    ("Emma Bennett", None, ""),
    ("Jenny Turnross", None, "Left the region in July 2023 for Liverpool City Council."),
    ("Jo Britton", "Telford and Wrekin Council", ""),
    ("Nigel Minns", "Warwickshire County Council", "The region's longest-serving DCS in 2025."),
    ("John Gregg", "Coventry City Council", "Left in July 2023 for Peterborough City Council."),
    ("Lisa Lyons", "Stoke-on-Trent City Council", ""),
    ("Tanya Miles", "Shropshire Council", ""),
    ("Bernie Brown", "Staffordshire County Council", ""),
    ("Karen Graham", "Dudley Metropolitan Borough Council", ""),
    ("Adam Johnston", "Worcestershire County Council", ""),
    ("Tina Russell", "Herefordshire Council", ""),
    ("Chris Yates", REGIONAL_TEAM, ""),
    ("Ana Davies", REGIONAL_TEAM, ""),
    ("Jane Carter", REGIONAL_TEAM, ""),
    ("Cath Holmstrom", "Keele University", ""),
    (
        "Michael Saunders",
        "King's College London",
        "Contact for the Cash for Care Leavers research.",
    ),
    ("Simon Cross", "Birmingham Safeguarding Children Partnership", ""),
    (
        "Saj Zafar",
        "LeadHERship Academy",
        "Ran the regional programme for aspiring women of colour.",
    ),
]

NOT_RECORDED = "Start not recorded; in post by {}."


@dataclass(frozen=True)
class DemoAppointment:
    person: str
    organisation: str  # the post's organisation, by name or short name
    title: str
    start: datetime.date
    start_approximate: bool = True
    end: datetime.date | None = None
    end_approximate: bool = True
    on_behalf_of: str | None = None
    note: str = ""
    basis: str = Appointment.Basis.SUBSTANTIVE


# Appointments recorded directly, oldest first.
APPOINTMENTS: list[DemoAppointment] = [
    DemoAppointment(
        "Nigel Minns",
        "Warwickshire",
        DCS,
        D(2020, 1, 1),
        note="Start not recorded; in post before Jo Britton joined Telford & Wrekin.",
    ),
    # "A little over three years" in June 2023.
    DemoAppointment("Jo Britton", "Telford & Wrekin", DCS, D(2020, 3, 1)),
    # "Vice Chair for over four years" in March 2025.
    DemoAppointment(
        "Nigel Minns",
        NETWORK,
        CO_VICE_CHAIR,
        D(2021, 3, 1),
        end=D(2025, 6, 30),
        on_behalf_of="Warwickshire",
        note="Start not recorded; vice chair for over four years by March 2025.",
    ),
    DemoAppointment(
        "Emma Bennett",
        NETWORK,
        CHAIR,
        D(2021, 12, 1),
        end=D(2022, 12, 31),
        note="Chair by December 2021 and still in December 2022; dates not recorded.",
    ),
    # "Over a year" in post in May 2023.
    DemoAppointment("Lisa Lyons", "Stoke-on-Trent", DCS, D(2022, 4, 1)),
    DemoAppointment("Chris Yates", REGIONAL_TEAM, "RCLO Project Manager", D(2022, 12, 1)),
    DemoAppointment(
        "John Gregg",
        "Coventry",
        DCS,
        D(2022, 12, 1),
        end=D(2023, 6, 30),
        note=NOT_RECORDED.format("December 2022") + " Moved to Peterborough in July 2023.",
    ),
    DemoAppointment(
        "John Gregg",
        NETWORK,
        WORKFORCE_SPONSOR,
        D(2023, 5, 1),
        end=D(2023, 6, 30),
        on_behalf_of="Coventry",
        note=NOT_RECORDED.format("May 2023"),
    ),
    DemoAppointment("Lisa Lyons", NETWORK, SEND_LEAD, D(2023, 5, 1), on_behalf_of="Stoke-on-Trent"),
    DemoAppointment(
        "Ana Davies",
        REGIONAL_TEAM,
        "Leadership Programmes Lead",
        D(2023, 5, 1),
        note=NOT_RECORDED.format("May 2023"),
    ),
    DemoAppointment(
        "Jenny Turnross",
        NETWORK,
        CHAIR,
        D(2023, 6, 1),
        note=NOT_RECORDED.format("June 2023"),
    ),
    # Jo was vice chair for just a month before becoming Chair.
    DemoAppointment(
        "Jo Britton",
        NETWORK,
        CO_VICE_CHAIR,
        D(2023, 6, 1),
        end=D(2023, 6, 30),
        on_behalf_of="Telford & Wrekin",
    ),
    DemoAppointment(
        "Jo Britton", NETWORK, RCLO_CHAIR, D(2023, 6, 1), on_behalf_of="Telford & Wrekin"
    ),
    DemoAppointment(
        "Cath Holmstrom",
        "Keele University",
        "Head of Social Work",
        D(2023, 6, 1),
        note=NOT_RECORDED.format("June 2023"),
    ),
    DemoAppointment(
        "Tina Russell",
        "Worcestershire",
        DCS,
        D(2024, 6, 1),
        note=NOT_RECORDED.format("June 2024"),
    ),
    DemoAppointment(
        "Tanya Miles", "Shropshire", DCS, D(2024, 7, 1), note=NOT_RECORDED.format("July 2024")
    ),
    DemoAppointment("Bernie Brown", "Staffordshire", DCS, D(2024, 7, 1)),
    DemoAppointment("Karen Graham", "Dudley", DCS, D(2024, 7, 1), note="Stepped up to DCS."),
    DemoAppointment("Tina Russell", "Herefordshire", DCS, D(2024, 7, 1)),
    DemoAppointment(
        "Simon Cross",
        "Birmingham Safeguarding Children Partnership",
        "Partnership Business Manager",
        D(2024, 7, 1),
        note=NOT_RECORDED.format("July 2024"),
    ),
    DemoAppointment(
        "Jane Carter",
        REGIONAL_TEAM,
        "SEND Leadership Programme Lead",
        D(2025, 3, 1),
        note=NOT_RECORDED.format("March 2025"),
    ),
]


@dataclass(frozen=True)
class DemoHandover:
    organisation: str
    title: str
    outgoing: str
    incoming: str
    on: datetime.date
    on_behalf_of: str | None = None
    note: str = ""


# Handovers in date order; each month is known but not the day.
HANDOVERS: list[DemoHandover] = [
    DemoHandover(NETWORK, CHAIR, "Jenny Turnross", "Jo Britton", D(2023, 7, 1), "Telford & Wrekin"),
    DemoHandover(
        "Worcestershire",
        DCS,
        "Tina Russell",
        "Adam Johnston",
        D(2024, 7, 1),
        note="Stepped up when Tina Russell moved to Herefordshire.",
    ),
    DemoHandover(NETWORK, CHAIR, "Jo Britton", "Nigel Minns", D(2025, 7, 1), "Warwickshire"),
]

# (organisation, post title, note title, body) — knowledge for whoever holds the post next.
HANDOVER_NOTES: list[tuple[str, str, str, str]] = [
    (
        "Dudley",
        DCS,
        "Regional commitments",
        "Dudley is expected at every DCS Network meeting, in person or through a deputy of the "
        "right seniority; the engagement tracker shows how that has gone. The Regional Team can "
        "walk a new director through the regional priority plan and Dudley's part in it.",
    ),
    (
        "Dudley",
        DCS,
        "Participation training",
        "Care-experienced young adults from Dudley co-delivered the first Putting Participation "
        "on the Map workshop at the PSW conference in June 2024. The participation leads "
        "network is rolling the training out across the region.",
    ),
    (
        NETWORK,
        CHAIR,
        "Long-running regional initiatives",
        "Three initiatives outlast any one Chair: the Regional Care Leaver Offer (with its own "
        "board), the Safe Centre (site secured by March 2025, building to follow) and the "
        "agency social worker MoU. Keep each one's sponsor in post and on the agenda.",
    ),
    (
        NETWORK,
        CHAIR,
        "The Regional Update foreword",
        "The Chair writes the foreword of some issues and invites other directors to write the "
        "rest; agree the rota with the Regional Team.",
    ),
]


# Users ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    name: str
    organisation: str | None = None
    coordinates: str | None = None
    person: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


DEMO_LOGINS: list[DemoLogin] = [
    DemoLogin(
        User.Role.REGIONAL_ADMIN,
        ADMIN_EMAIL,
        "Regional Admin (demo)",
        organisation=REGIONAL_TEAM,
        extra={"is_staff": True, "is_superuser": True},
    ),
    DemoLogin(
        User.Role.COORDINATOR,
        "coordinator.dudley@regionhub.example",
        "Dudley Coordinator (demo)",
        organisation="Dudley",
        coordinates="Dudley",
    ),
    DemoLogin(
        User.Role.COORDINATOR,
        "coordinator.telford@regionhub.example",
        "Telford & Wrekin Coordinator (demo)",
        organisation="Telford & Wrekin",
        coordinates="Telford & Wrekin",
    ),
    DemoLogin(
        User.Role.MEMBER,
        "member@regionhub.example",
        "Karen Graham (demo)",
        organisation="Dudley",
        person="Karen Graham",
    ),
]


# Loading -------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    loaded: bool
    counts: dict[str, int] = field(default_factory=dict)


def is_loaded() -> bool:
    return (
        User.objects.filter(email__iexact=ADMIN_EMAIL).exists()
        and Organisation.objects.filter(name=NETWORK).exists()
    )


class _Loader:
    def __init__(self, actor: User):
        self.actor = actor
        self.organisations: dict[str, Organisation] = {}
        self.people: dict[str, Person] = {}
        self.posts: dict[tuple[int, str], Post] = {}

    def org(self, key: str) -> Organisation:
        return self.organisations[key]

    def add_org(self, data: dict[str, Any]) -> Organisation:
        organisation = services.organisation_create(actor=self.actor, data=data)
        self.organisations[organisation.name] = organisation
        if organisation.short_name:
            self.organisations.setdefault(organisation.short_name, organisation)
        return organisation

    def post(self, organisation: str, title: str) -> Post:
        return self.posts[(self.org(organisation).pk, title)]

    def add_post(
        self,
        organisation: str,
        title: str,
        category: str,
        max_holders: int = 1,
        description: str = "",
    ) -> Post:
        post = services.post_create(
            actor=self.actor,
            data={
                "organisation": self.org(organisation),
                "title": title,
                "category": category,
                "max_holders": max_holders,
                "description": description,
            },
        )
        self.posts[(post.organisation_id, title)] = post
        return post

    def on_behalf_of(self, key: str | None) -> Organisation | None:
        return self.org(key) if key else None

    def holding(self, person: str, organisation: str, title: str) -> Appointment:
        post = self.post(organisation, title)
        return post.appointments.get(person=self.people[person], end__isnull=True)

    def run(self) -> None:
        for name, short_name, urn, domain in COUNCILS:
            self.add_org(
                {
                    "name": name,
                    "short_name": short_name,
                    "kind": Organisation.Kind.COUNCIL,
                    "is_member": True,
                    "urn": urn,
                    "email_domains": domain,
                    "website": f"https://www.{domain}",
                }
            )
        for name, short_name, kind, is_member, domain in DELIVERY_BODIES:
            self.add_org(
                {
                    "name": name,
                    "short_name": short_name,
                    "kind": kind,
                    "is_member": is_member,
                    "email_domains": domain,
                    "website": f"https://www.{domain}",
                }
            )
        for name, short_name, kind, website, notes in OTHER_ORGANISATIONS:
            self.add_org(
                {
                    "name": name,
                    "short_name": short_name,
                    "kind": kind,
                    "website": website,
                    "notes": notes,
                }
            )
        # Deliveries have no service: they change only when a council changes its model.
        for provider, authority, start, end, description in DELIVERIES:
            Delivery.objects.create(
                provider=self.org(provider),
                authority=self.org(authority),
                start=start,
                end=end,
                description=description,
            )

        for name, *_ in COUNCILS:
            self.add_post(name, DCS, Post.Category.DIRECTOR)
        for name, _, kind, *_ in DELIVERY_BODIES:
            if kind == Organisation.Kind.TRUST:
                self.add_post(name, CHIEF_EXECUTIVE, Post.Category.CHIEF_EXECUTIVE)
        for organisation, title, category, max_holders, description in OTHER_POSTS:
            self.add_post(organisation, title, category, max_holders, description)

        for name, employer, notes in PEOPLE:
            self.people[name] = services.person_create(
                actor=self.actor,
                data={
                    "name": name,
                    "organisation": self.org(employer) if employer else None,
                    "notes": notes,
                },
            )

        for a in APPOINTMENTS:
            services.appointment_create(
                actor=self.actor,
                post=self.post(a.organisation, a.title),
                person=self.people[a.person],
                data={
                    "start": a.start,
                    "start_approximate": a.start_approximate,
                    "end": a.end,
                    "end_approximate": a.end_approximate if a.end else False,
                    "basis": a.basis,
                    "on_behalf_of": self.on_behalf_of(a.on_behalf_of),
                    "note": a.note,
                },
            )

        for h in HANDOVERS:
            outgoing = self.holding(h.outgoing, h.organisation, h.title)
            services.post_handover(
                actor=self.actor,
                post=self.post(h.organisation, h.title),
                incoming=self.people[h.incoming],
                on=h.on,
                outgoing=outgoing,
                data={
                    "start_approximate": True,
                    "on_behalf_of": self.on_behalf_of(h.on_behalf_of),
                    "note": h.note,
                },
            )
            # Handover records an exact last day; only the month of the change is known.
            outgoing.refresh_from_db()
            services.appointment_update(
                actor=self.actor, appointment=outgoing, data={"end_approximate": True}
            )

        for organisation, title, note_title, body in HANDOVER_NOTES:
            services.handover_note_add(
                actor=self.actor, post=self.post(organisation, title), title=note_title, body=body
            )

    def users(self) -> None:
        for login in DEMO_LOGINS:
            if login.email == ADMIN_EMAIL:
                user = self.actor
            else:
                user = User.objects.create_user(
                    login.email, DEMO_PASSWORD, name=login.name, role=login.role, **login.extra
                )
            if login.organisation:
                user.organisation = self.org(login.organisation)
            if login.person:
                user.person = self.people[login.person]
            user.save()
            if login.coordinates:
                user.coordinated_authorities.add(self.org(login.coordinates))


@transaction.atomic
def load_demo() -> LoadResult:
    """Load the demo unless it is already there; safe to run any number of times."""
    if is_loaded():
        return LoadResult(loaded=False)
    admin_login = DEMO_LOGINS[0]
    # The admin comes first: every later change is made, and audited, as this user.
    admin = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if admin is None:
        admin = User.objects.create_user(
            ADMIN_EMAIL,
            DEMO_PASSWORD,
            name=admin_login.name,
            role=admin_login.role,
            **admin_login.extra,
        )
    loader = _Loader(admin)
    loader.run()
    loader.users()
    return LoadResult(
        loaded=True,
        counts={
            "organisations": len({o.pk for o in loader.organisations.values()}),
            "people": len(loader.people),
            "posts": len(loader.posts),
            "appointments": Appointment.objects.count(),
        },
    )
