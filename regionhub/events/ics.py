"""iCalendar files: invites (REQUEST), cancellations (CANCEL), "add to calendar" and feeds.

UIDs stay the same for the life of a booking, one per session, so that a later invite or
cancellation updates the entry a calendar already holds; SEQUENCE is the event's sequence plus
the booking's own revision, so it only ever goes up.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from .models import Booking, Event, EventSession

PRODID = "-//RegionHub//Events//EN"
LONDON = "Europe/London"


def _domain() -> str:
    return getattr(settings, "ICAL_UID_DOMAIN", "regionhub")


def event_uid(event: Event, session: EventSession) -> str:
    return f"event-{event.pk}-session-{session.pk}@{_domain()}"


def booking_uid(booking: Booking, session: EventSession) -> str:
    return f"booking-{booking.pk}-session-{session.pk}@{_domain()}"


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _location(event: Event, *, show_link: bool) -> str:
    if event.venue:
        return event.venue
    return event.online_url if show_link else "Online (the joining link is sent to those booked)"


def _vevent(
    *,
    event: Event,
    session: EventSession,
    uid: str,
    sequence: int,
    show_link: bool,
    cancelled: bool = False,
    attendee=None,
) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", uid)
    vevent.add("sequence", sequence)
    vevent.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    vevent.add("dtstart", timezone.localtime(session.start))
    vevent.add("dtend", timezone.localtime(session.end))
    title = event.title if not session.title else f"{event.title}: {session.title}"
    vevent.add("summary", title)
    description = event.description
    if show_link and event.online_url:
        description = f"{description}\n\nJoin online: {event.online_url}".strip()
        vevent.add("url", event.online_url)
    if description:
        vevent.add("description", description)
    vevent.add("location", _location(event, show_link=show_link))
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>')}")
    organiser.params["cn"] = vText(getattr(settings, "SERVICE_NAME", "RegionHub"))
    vevent.add("organizer", organiser)
    if attendee is not None and attendee.email:
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("ACCEPTED")
        vevent.add("attendee", address)
    return vevent


def _finish(calendar: Calendar) -> bytes:
    # VTIMEZONE blocks for Europe/London, which Outlook needs to place TZID times.
    calendar.add_missing_timezones()
    return calendar.to_ical()


def booking_sequence(booking: Booking) -> int:
    return booking.event.sequence + booking.revision


def booking_invite(booking: Booking, *, cancel: bool = False) -> bytes:
    """METHOD:REQUEST for a place, METHOD:CANCEL when it is given up; one VEVENT per session."""
    event = booking.event
    calendar = _calendar("CANCEL" if cancel else "REQUEST")
    for session in event.sessions.all():
        calendar.add_component(
            _vevent(
                event=event,
                session=session,
                uid=booking_uid(booking, session),
                sequence=booking_sequence(booking),
                show_link=not cancel,
                cancelled=cancel,
                attendee=booking.person,
            )
        )
    return _finish(calendar)


def event_file(event: Event, *, show_link: bool) -> bytes:
    """The "add to calendar" file: no METHOD, so calendars import it rather than reply to it."""
    calendar = _calendar(None)
    for session in event.sessions.all():
        calendar.add_component(
            _vevent(
                event=event,
                session=session,
                uid=event_uid(event, session),
                sequence=event.sequence,
                show_link=show_link,
                cancelled=event.status == Event.Status.CANCELLED,
            )
        )
    return _finish(calendar)


def person_feed(bookings) -> bytes:
    """A subscribable feed of a person's bookings; cancelled ones stay, marked CANCELLED, so
    calendars that already hold them remove them."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", "My RegionHub events")
    calendar.add("x-wr-timezone", LONDON)
    for booking in bookings:
        for session in booking.event.sessions.all():
            calendar.add_component(
                _vevent(
                    event=booking.event,
                    session=session,
                    uid=booking_uid(booking, session),
                    sequence=booking_sequence(booking),
                    show_link=booking.holds_place,
                    cancelled=not booking.holds_place,
                )
            )
    return _finish(calendar)
