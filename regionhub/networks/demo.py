"""Demo networks for the West Midlands, built on the directory demo.

The groups, chairs and sponsors are those the region's updates name; two years of meetings
(April 2023 to March 2025) with attendance, decisions and actions are illustrative. Attendance
varies by authority and seniority from a fixed seed, so every load gives the same data.

Authority staff below director (assistant directors, heads of service, principal social workers,
participation leads) are not named in the updates: the loader adds illustrative holders through
the directory services, with the demo admin as the actor and a note saying so. Group and meeting
records are the starting state rather than anyone's change, so they are written without audit
rows, after the same checks the services make.
"""

import datetime
import random

from django.db import transaction

from regionhub.accounts.models import User
from regionhub.directory import services as directory_services
from regionhub.directory.demo import ADMIN_EMAIL, NETWORK, REGIONAL_TEAM
from regionhub.directory.models import Appointment, Organisation, Person, Post

from .models import (
    Action,
    Attendance,
    Decision,
    Group,
    GroupAuthority,
    Meeting,
    Seniority,
    seniority_of,
)

D = datetime.date
DEMO_NOTE = "Illustrative demo holder: the region's updates do not name this post's holder."
FIRST = ["Sam", "Alex", "Priya", "Tom", "Grace", "Imran", "Leah", "Owen", "Ruth", "Dev", "Kate"]
LAST = ["Hughes", "Patel", "Evans", "Ahmed", "Price", "Morris", "Khan", "Walker", "Bell", "Shaw"]

# (title, category) of the authority posts the demo fills where the directory has no holder.
STAFF_POSTS = [
    ("Assistant Director, Children's Social Care", Post.Category.ASSISTANT_DIRECTOR),
    ("Head of Safeguarding", Post.Category.HEAD_OF_SERVICE),
    ("Principal Social Worker", Post.Category.PRINCIPAL_SOCIAL_WORKER),
    ("Participation Lead", Post.Category.LEAD),
]

DCS_NETWORK = "DCS Network"
RCLO_BOARD = "RCLO Board"
WORKFORCE = "Workforce and Leadership Workstream"
SAFEGUARDING = "Regional Safeguarding Network"

# (name, kind, parent, expected seniority, months between meetings, first meeting, purpose,
#  chair post title, sponsor post title) — the posts belong to the DCS network organisation.
GROUPS = [
    (
        DCS_NETWORK,
        Group.Kind.NETWORK,
        None,
        Seniority.DIRECTOR,
        1,
        D(2023, 4, 12),
        "The region's directors of children's services working together on shared priorities.",
        "Chair, DCS Network",
        None,
    ),
    (
        "Principal Social Worker network",
        Group.Kind.NETWORK,
        DCS_NETWORK,
        Seniority.LEAD,
        3,
        D(2023, 4, 20),
        "Principal social workers developing practice across the region.",
        None,
        None,
    ),
    (
        "Media and Communications Network",
        Group.Kind.NETWORK,
        DCS_NETWORK,
        Seniority.LEAD,
        3,
        D(2023, 5, 3),
        "Communications leads sharing campaigns and handling regional media together.",
        None,
        None,
    ),
    (
        "Participation Leads network",
        Group.Kind.NETWORK,
        DCS_NETWORK,
        Seniority.LEAD,
        3,
        D(2023, 5, 18),
        "Participation leads, with care-experienced young people, making participation routine.",
        None,
        None,
    ),
    (
        SAFEGUARDING,
        Group.Kind.NETWORK,
        DCS_NETWORK,
        Seniority.HEAD_OF_SERVICE,
        3,
        D(2023, 6, 7),
        "Safeguarding leads, IROs and child protection chairs sharing practice and training.",
        None,
        None,
    ),
    (
        "Lead Members network",
        Group.Kind.NETWORK,
        None,
        Seniority.OTHER,
        4,
        D(2023, 6, 22),
        "Councillors holding the children's services portfolio.",
        None,
        None,
    ),
    (
        "Education and Skills Group",
        Group.Kind.NETWORK,
        DCS_NETWORK,
        Seniority.ASSISTANT_DIRECTOR,
        3,
        D(2023, 4, 26),
        "Shapes the region's discussion of education, inclusion and SEND.",
        None,
        None,
    ),
    (
        RCLO_BOARD,
        Group.Kind.BOARD,
        DCS_NETWORK,
        Seniority.HEAD_OF_SERVICE,
        2,
        D(2023, 6, 15),
        "Steers the Regional Care Leaver Offer, a five-year piece of work.",
        "Chair, RCLO Board",
        None,
    ),
    (
        WORKFORCE,
        Group.Kind.WORKSTREAM,
        DCS_NETWORK,
        Seniority.ASSISTANT_DIRECTOR,
        3,
        D(2023, 4, 27),
        "Workforce stability, leadership development and the agency social worker MoU.",
        None,
        "Sponsor, Workforce and Leadership Workstream",
    ),
    (
        "Anti-racist community of practice",
        Group.Kind.COMMUNITY,
        DCS_NETWORK,
        Seniority.OTHER,
        3,
        D(2023, 9, 14),
        "Alumni of the anti-racist leadership programme meeting to support each other.",
        None,
        None,
    ),
]

# (group, meeting index, decision) — what the updates record, in the project's own words.
DECISIONS = [
    (
        DCS_NETWORK,
        0,
        "Share each council's and trust's engagement tracker with it, asking "
        "whether the right person is in the room.",
    ),
    (DCS_NETWORK, 2, "Jo Britton (Telford & Wrekin) to chair the RCLO Board."),
    (DCS_NETWORK, 5, "Set up a Media and Communications Network, reporting to this network."),
    (DCS_NETWORK, 9, "Extend the regional priority plan for six more months."),
    (DCS_NETWORK, 14, "Begin collective work on how the region might use AI applications."),
    (DCS_NETWORK, 22, "Record the Safe Centre site as secured; building work to follow."),
    (RCLO_BOARD, 0, "Ask care leaver managers to nominate colleagues to the RCLO team."),
    (RCLO_BOARD, 3, "Agree the first quick wins for the offer and the five-year plan behind it."),
    (WORKFORCE, 1, "Keep every authority signed up to the agency social worker MoU."),
    (
        "Participation Leads network",
        2,
        "Make the Putting Participation on the Map training a "
        "priority, co-delivered with care-experienced young adults.",
    ),
    (
        SAFEGUARDING,
        3,
        "Publish the CSA response pathway webinar and training dates, led by Solihull.",
    ),
    (
        "Principal Social Worker network",
        1,
        "Invite councils to join the Cash for Care Leavers research.",
    ),
    (
        "Anti-racist community of practice",
        0,
        "Meet each quarter to work through challenges and the support needed.",
    ),
]

# (group, meeting index, action, owner, days to due, status)
ACTIONS = [
    (DCS_NETWORK, 0, "Send each authority its engagement tracker", "Ana Davies", 30, "done"),
    (DCS_NETWORK, 9, "Circulate the extended priority plan", "Chris Yates", 21, "done"),
    (DCS_NETWORK, 14, "Scope the regional work on AI with partners", "Ana Davies", 90, "open"),
    (DCS_NETWORK, 22, "Set out the Safe Centre build timetable", "Nigel Minns", 60, "open"),
    (DCS_NETWORK, 20, "Agree the foreword rota for the Regional Update", "Jo Britton", 800, "open"),
    (RCLO_BOARD, 0, "Collect nominations for the RCLO team", "Chris Yates", 45, "done"),
    (RCLO_BOARD, 4, "Draft the offer's five-year plan", "Chris Yates", 60, "open"),
    (RCLO_BOARD, 6, "Compare the offer with other regions' approaches", "Chris Yates", 900, "open"),
    (WORKFORCE, 1, "Report MoU savings to the DCS Network", "Ana Davies", 60, "dropped"),
    (
        "Participation Leads network",
        2,
        "Book venues for the participation training",
        "Ana Davies",
        40,
        "done",
    ),
]


class _Builder:
    def __init__(self, actor: User):
        self.actor = actor
        self.rng = random.Random(2023)
        self.authorities = list(
            Organisation.objects.filter(kind=Organisation.Kind.COUNCIL, is_member=True).order_by(
                "name"
            )
        )
        self.people_by_name = {p.name: p for p in Person.objects.all()}

    def staff(self) -> None:
        """Fill the authority posts the demo needs with illustrative holders, if still empty."""
        n = 0
        for authority in self.authorities:
            for title, category in STAFF_POSTS:
                post = Post.objects.filter(organisation=authority, title=title).first()
                if post is None:
                    post = directory_services.post_create(
                        actor=self.actor,
                        data={"organisation": authority, "title": title, "category": category},
                    )
                if post.appointments.exists():
                    continue
                name = f"{FIRST[n % len(FIRST)]} {LAST[(n * 3) % len(LAST)]}"
                n += 1
                person = directory_services.person_create(
                    actor=self.actor,
                    data={"name": name, "organisation": authority, "notes": DEMO_NOTE},
                    allow_duplicate=True,
                )
                directory_services.appointment_create(
                    actor=self.actor,
                    post=post,
                    person=person,
                    data={"start": D(2022, 4, 1), "start_approximate": True, "note": DEMO_NOTE},
                )

    def holders(self) -> dict[int, list[tuple[int, Appointment]]]:
        """Every appointment at a member council with its seniority, by authority."""
        result: dict[int, list[tuple[int, Appointment]]] = {a.pk: [] for a in self.authorities}
        for appointment in Appointment.objects.filter(
            post__organisation__in=self.authorities
        ).select_related("post"):
            result[appointment.post.organisation_id].append(
                (seniority_of(appointment.post.category), appointment)
            )
        return result

    def pick(self, holders, authority_id: int, wanted: int, date: datetime.date):
        """Someone at the authority on `date`, as close to `wanted` seniority as can be found."""
        on_day = [(rank, a) for rank, a in holders[authority_id] if a.is_current(date)]
        if not on_day:
            return None, None
        rank, appointment = min(on_day, key=lambda item: (abs(item[0] - wanted), -item[0]))
        return rank, appointment.person

    def groups(self) -> dict[str, Group]:
        network = Organisation.objects.get(name=NETWORK)
        made: dict[str, Group] = {}
        for name, kind, parent, expected, *_rest, chair, sponsor in GROUPS:
            group = Group.objects.create(
                name=name,
                kind=kind,
                parent=made.get(parent) if parent else None,
                purpose=_rest[2],
                chair_post=Post.objects.get(organisation=network, title=chair) if chair else None,
                sponsor_post=(
                    Post.objects.get(organisation=network, title=sponsor) if sponsor else None
                ),
            )
            for i, authority in enumerate(self.authorities):
                # A few authorities are asked for someone more senior than the group's norm.
                level = min(int(expected) + (1 if (i + len(name)) % 7 == 0 else 0), 5)
                GroupAuthority.objects.create(group=group, authority=authority, expected=level)
            made[name] = group
        rclo = made[RCLO_BOARD]
        for person in ("Chris Yates", "Jo Britton"):
            if person in self.people_by_name:
                rclo.members.add(self.people_by_name[person])
        return made

    def meetings(self, groups: dict[str, Group]) -> dict[str, list[Meeting]]:
        holders = self.holders()
        end = D(2025, 3, 31)
        made: dict[str, list[Meeting]] = {}
        attendance: list[Attendance] = []
        for name, _kind, _parent, _expected, every, first, *_ in GROUPS:
            group = groups[name]
            expected = dict(group.authorities.values_list("authority_id", "expected"))
            dates = []
            year, month = first.year, first.month
            while (date := D(year, month, first.day)) <= end:
                dates.append(date)
                month += every
                year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
            made[name] = []
            for n, date in enumerate(dates):
                meeting = Meeting.objects.create(
                    group=group,
                    date=date,
                    place="" if n % 2 else "Birmingham (in person)",
                    online_url=f"https://meet.example.org/{group.pk}/{n}" if n % 2 else "",
                    agenda_url=f"https://papers.example.org/{group.pk}/{date}/agenda",
                    minutes=f"Notes of the {group.name} meeting held on {date:%-d %B %Y}.",
                )
                made[name].append(meeting)
                for i, authority in enumerate(self.authorities):
                    attendance.append(self.attendance_for(meeting, authority, i, expected, holders))
        Attendance.objects.bulk_create(attendance)
        return made

    def attendance_for(self, meeting, authority, index, expected, holders) -> Attendance:
        # Each authority has its own habits: some nearly always come, some rarely do.
        comes = 0.45 + 0.5 * ((index * 7) % 11) / 10
        senior = 0.35 + 0.6 * ((index * 5) % 9) / 8
        wanted = expected[authority.pk]
        roll = self.rng.random()
        if roll < comes:
            right = self.rng.random() < senior
            rank, person = self.pick(
                holders, authority.pk, wanted if right else max(wanted - 1, 1), meeting.date
            )
            if person is not None:
                status = Attendance.Status.PRESENT if right else Attendance.Status.DEPUTY
                return Attendance(
                    meeting=meeting, authority=authority, person=person, status=status
                )
        if roll < comes + (1 - comes) * 0.6:
            _, person = self.pick(holders, authority.pk, wanted, meeting.date)
            return Attendance(
                meeting=meeting, authority=authority, person=person, status="apologies"
            )
        return Attendance(meeting=meeting, authority=authority, status="absent")

    def records(self, meetings: dict[str, list[Meeting]]) -> tuple[int, int]:
        decisions = [
            Decision(meeting=meetings[group][index], text=text) for group, index, text in DECISIONS
        ]
        Decision.objects.bulk_create(decisions)
        actions = 0
        for group, index, text, owner, days, status in ACTIONS:
            if owner not in self.people_by_name:
                continue
            meeting = meetings[group][index]
            Action.objects.create(
                meeting=meeting,
                description=text,
                owner=self.people_by_name[owner],
                due=meeting.date + datetime.timedelta(days=days),
                status=status,
            )
            actions += 1
        return len(decisions), actions


@transaction.atomic
def load_demo_data() -> str:
    """Load the demo groups, meetings and engagement; changes nothing the second time."""
    actor = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if actor is None or not Organisation.objects.filter(name=REGIONAL_TEAM).exists():
        return "Networks demo skipped: the directory demo is not loaded."
    if Group.objects.filter(name=DCS_NETWORK).exists():
        return "Networks demo already loaded; nothing changed."
    builder = _Builder(actor)
    builder.staff()
    groups = builder.groups()
    meetings = builder.meetings(groups)
    decisions, actions = builder.records(meetings)
    count = sum(len(m) for m in meetings.values())
    return (
        f"Networks demo loaded: {len(groups)} groups, {count} meetings, "
        f"{Attendance.objects.count()} attendance records, {decisions} decisions, "
        f"{actions} actions."
    )
