"""Sections of a draft issue written from the records: who started and left leadership posts,
inspections published, upcoming events with places, and plan updates.

Each source is another app's selector. A source that is missing (the app is not installed, or
does not offer the selector yet) or has nothing for the period gives no section at all, so a
draft never carries an empty heading. Programmes have no app yet, so they give no section.
"""

import datetime
import importlib
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone

from regionhub.directory.models import Appointment, Organisation, Post, today


@dataclass
class DraftSection:
    key: str
    heading: str
    body: str


def _day(date: datetime.date, approximate: bool = False) -> str:
    if approximate:
        return f"in {date:%B %Y}"
    return f"on {date.day} {date:%B %Y}"


def _post_phrase(appointment: Appointment) -> str:
    """'Director of Children's Services at Dudley', 'Chair, DCS Network (for Warwickshire)'."""
    post = appointment.post
    org = post.organisation
    name = org.short_name or org.name
    basis = "" if appointment.basis == Appointment.Basis.SUBSTANTIVE else "interim "
    if appointment.basis == Appointment.Basis.ACTING:
        basis = "acting "
    if org.kind == Organisation.Kind.NETWORK:
        # Network posts already name their network ("Chair, DCS Network").
        phrase = f"{basis}{post.title}"
        behalf = appointment.on_behalf_of
        if behalf is not None:
            phrase += f" (for {behalf.short_name or behalf.name})"
        return phrase
    return f"{basis}{post.title} at {name}"


def _started(a: Appointment, now: datetime.date) -> str:
    verb = "will become" if a.start > now else "became"
    return f"{a.person.name} {verb} {_post_phrase(a)} {_day(a.start, a.start_approximate)}."


def _ended(a: Appointment, now: datetime.date) -> str:
    assert a.end is not None
    verb = "will leave" if a.end > now else "left"
    return f"{a.person.name} {verb} the post of {_post_phrase(a)} {_day(a.end, a.end_approximate)}."


def dcs_updates(start: datetime.date, end: datetime.date) -> DraftSection | None:
    from regionhub.directory.selectors import changes_between

    changes = changes_between(start, end, list(Post.LEADERSHIP))
    now = today()
    lines = [(a.start, _started(a, now)) for a in changes.started]
    lines += [(a.end, _ended(a, now)) for a in changes.ended if a.end is not None]
    if not lines:
        return None
    lines.sort(key=lambda pair: pair[0])
    return DraftSection("dcs-updates", "DCS updates", "\n".join(f"- {text}" for _, text in lines))


def inspections(start: datetime.date, end: datetime.date) -> DraftSection | None:
    if not apps.is_installed("regionhub.inspections"):
        return None
    from regionhub.inspections.selectors import inspection_summary, inspections_published_between

    found = inspections_published_between(start, end)
    if not found:
        return None
    lines = []
    for inspection in found:
        assert inspection.published is not None
        text = f"{inspection_summary(inspection)} (published {_day(inspection.published)[3:]})"
        if inspection.report_url:
            text += f" – [read the report]({inspection.report_url})"
        lines.append(f"- {text}")
    return DraftSection("inspections", "Inspections", "\n".join(lines))


def key_events(limit: int = 10) -> DraftSection | None:
    if not apps.is_installed("regionhub.events"):
        return None
    from regionhub.events.availability import events_availability
    from regionhub.events.models import Event

    events = list(
        Event.objects.published().upcoming().select_related("host").order_by("starts_at", "pk")
    )
    availability = events_availability(events)
    lines = []
    for event in events:
        left = event.capacity - availability[event.pk].taken
        if left <= 0 or event.starts_at is None:
            continue
        when = timezone.localtime(event.starts_at).date()
        where = event.venue or "online"
        places = "1 place left" if left == 1 else f"{left} places left"
        link = f"[{event.title}]({event.get_absolute_url()})"
        lines.append(f"- **{link}** – {_day(when)[3:]}, {where}: {places}.")
        if len(lines) >= limit:
            break
    if not lines:
        return None
    return DraftSection("key-events", "Key Events", "\n".join(lines))


def _plan_selector():
    """The plan app's `plan_updates_between`, if the app offers it."""
    if not apps.is_installed("regionhub.plan"):
        return None
    try:
        module = importlib.import_module("regionhub.plan.selectors")
    except ImportError:
        return None
    return getattr(module, "plan_updates_between", None)


def _plan_line(update) -> str:
    initiative = getattr(update, "initiative", None)
    text = ""
    for name in ("summary", "text", "body", "note"):
        text = getattr(update, name, "") or ""
        if text:
            break
    rag = getattr(update, "get_rag_display", None)
    parts = [f"**{initiative}**" if initiative else ""]
    if callable(rag):
        parts.append(f"({rag()})")
    parts.append(text or str(update))
    return "- " + " ".join(p for p in parts if p)


def regional_priorities(start: datetime.date, end: datetime.date) -> DraftSection | None:
    selector = _plan_selector()
    if selector is None:
        return None
    updates = list(selector(start, end))
    if not updates:
        return None
    return DraftSection(
        "regional-priorities", "Regional priorities", "\n".join(_plan_line(u) for u in updates)
    )


def sections_for(start: datetime.date, end: datetime.date) -> list[DraftSection]:
    """The sections for the period [start, end], in the order the Regional Update uses."""
    found = [
        dcs_updates(start, end),
        inspections(start, end),
        regional_priorities(start, end),
        key_events(),
    ]
    return [section for section in found if section is not None]
