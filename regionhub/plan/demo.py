"""Demo regional priority plan, built on the directory and networks demos.

The initiatives, their sponsors and boards are those the region's updates name; milestone and
update dates the updates do not give are illustrative. Everything goes through the plan
services with the demo admin as the actor, so it passes the same checks as a real change.
"""

import datetime

from django.db import transaction

from regionhub.accounts.models import User
from regionhub.directory.demo import ADMIN_EMAIL, NETWORK
from regionhub.directory.models import Person, Post
from regionhub.networks.models import Group

from . import services
from .models import Initiative

D = datetime.date

# title: (summary, sponsor post (organisation, title), board, lead officer, start, planned end,
#         milestones [(title, due, done)], updates [(date, rag, narrative)])
INITIATIVES = {
    "Regional Care Leaver Offer": (
        "A shared offer to every care leaver in the region, built over five years.",
        (NETWORK, "Chair, RCLO Board"),
        "RCLO Board",
        "Chris Yates",
        D(2023, 6, 1),
        D(2028, 5, 31),
        [
            ("Project manager in post", D(2023, 6, 30), D(2023, 6, 1)),
            ("RCLO team formed from care leaver managers", D(2023, 9, 30), D(2023, 10, 16)),
            ("First quick wins agreed by the board", D(2024, 3, 31), D(2024, 2, 15)),
            ("Offer in place in every authority", D(2026, 3, 31), None),
        ],
        [
            (D(2023, 7, 10), "amber", "Board formed; team still being nominated."),
            (D(2024, 3, 4), "green", "Team in place and quick wins agreed."),
            (D(2025, 3, 3), "green", "Other regions are looking to copy the offer."),
        ],
    ),
    "Safe Centre": (
        "A regional secure children's home, from aspiration to a building.",
        (NETWORK, "Chair, DCS Network"),
        "DCS Network",
        None,
        D(2022, 6, 1),
        D(2026, 12, 31),
        [
            ("Aspiration agreed by the DCS Network", D(2022, 6, 30), D(2022, 6, 15)),
            ("Business case approved", D(2023, 6, 30), D(2023, 9, 1)),
            ("Site identified", D(2024, 3, 31), D(2024, 5, 20)),
            ("Site secured and plans in place", D(2024, 12, 31), D(2025, 2, 28)),
            ("Building work begins", D(2025, 9, 30), None),
        ],
        [
            (D(2023, 5, 2), "red", "Business case delayed; no site in view."),
            (D(2024, 6, 3), "amber", "Site identified; negotiations under way."),
            (D(2025, 3, 3), "green", "Site secured and plans in place."),
        ],
    ),
    "Agency social worker MoU": (
        "A regional agreement on agency social workers' pay and conduct.",
        (NETWORK, "Sponsor, Workforce and Leadership Workstream"),
        "Workforce and Leadership Workstream",
        "Ana Davies",
        D(2022, 4, 1),
        D(2026, 3, 31),
        [("Every authority signed up", D(2023, 3, 31), D(2023, 3, 1))],
        [
            (D(2023, 6, 5), "amber", "Signed, but compliance varies between authorities."),
            (D(2025, 3, 3), "green", "Saving money for every authority and steadying teams."),
        ],
    ),
    "Child sexual abuse response pathway": (
        "A regional pathway, led by Solihull with every authority, policing and partners.",
        ("Solihull Metropolitan Borough Council", "Director of Children's Services"),
        "Regional Safeguarding Network",
        None,
        D(2023, 9, 1),
        D(2025, 12, 31),
        [
            ("Pathway agreed with policing", D(2024, 3, 31), D(2024, 4, 15)),
            ("Webinar and training dates published", D(2025, 1, 31), D(2025, 1, 20)),
        ],
        [
            (D(2024, 1, 8), "amber", "Agreement with policing taking longer than planned."),
            (D(2025, 2, 3), "green", "Webinar and training dates published."),
        ],
    ),
    "Collective work on AI": (
        "How the region might move forward together with AI applications.",
        (NETWORK, "Chair, DCS Network"),
        "DCS Network",
        "Ana Davies",
        D(2024, 6, 1),
        D(2025, 12, 31),
        [("Scoping paper to the DCS Network", D(2024, 12, 31), None)],
        [(D(2025, 1, 6), "amber", "Scoping under way with research partners.")],
    ),
}


@transaction.atomic
def load_demo_data() -> str:
    """Load the demo plan; changes nothing the second time."""
    actor = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if actor is None or not Group.objects.filter(name="DCS Network").exists():
        return "Plan demo skipped: the directory and networks demos are not loaded."
    if Initiative.objects.filter(title__in=list(INITIATIVES)).exists():
        return "Plan demo already loaded; nothing changed."
    updates = 0
    for title, (
        summary,
        sponsor,
        board,
        lead,
        start,
        end,
        milestones,
        statuses,
    ) in INITIATIVES.items():
        initiative = services.initiative_create(
            actor=actor,
            data={
                "title": title,
                "summary": summary,
                "sponsor_post": Post.objects.filter(
                    organisation__name=sponsor[0], title=sponsor[1]
                ).first(),
                "board": Group.objects.get(name=board),
                "lead_officer": Person.objects.filter(name=lead).first() if lead else None,
                "start": start,
                "planned_end": end,
            },
        )
        for name, due, done in milestones:
            services.milestone_add(
                actor=actor, initiative=initiative, title=name, due=due, done=done
            )
        for date, rag, narrative in statuses:
            services.status_update_add(
                actor=actor, initiative=initiative, date=date, rag=rag, narrative=narrative
            )
            updates += 1
    return f"Plan demo loaded: {len(INITIATIVES)} initiatives, {updates} status updates."
