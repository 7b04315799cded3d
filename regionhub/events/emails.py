"""The emails people get about their bookings, each with a calendar file where it helps."""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from . import ics
from .models import Booking

FEED_SALT = "events.person-feed"

SUBJECTS = {
    "confirmed": "Your place is confirmed: {event}",
    "promoted": "A place has come up for you: {event}",
    "offered": "A place is offered to you: {event}",
    "waitlisted": "You are on the waiting list: {event}",
    "cancelled": "Your place is cancelled: {event}",
    "left_waitlist": "You have left the waiting list: {event}",
    "event_cancelled": "Event cancelled: {event}",
    "updated": "Event changed: {event}",
    "reminder": "Reminder: {event}",
}
# Which emails carry an invite, and of which kind.
INVITES = {
    "confirmed": "REQUEST",
    "promoted": "REQUEST",
    "updated": "REQUEST",
    "reminder": "REQUEST",
    "cancelled": "CANCEL",
    "event_cancelled": "CANCEL",
}


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def feed_token(person_id: int) -> str:
    return signing.Signer(salt=FEED_SALT).sign(str(person_id))


def feed_person_id(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=FEED_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def feed_url(person_id: int) -> str:
    return absolute(reverse("events:person-feed", args=[feed_token(person_id)]))


def booking_message(booking: Booking, kind: str) -> EmailMultiAlternatives | None:
    person = booking.person
    if person is None or not person.email:
        return None
    event = booking.event
    context = {
        "booking": booking,
        "event": event,
        "person": person,
        "kind": kind,
        "sessions": list(event.sessions.all()),
        "event_url": absolute(event.get_absolute_url()),
        "feed_url": feed_url(person.pk),
        "show_link": kind in ("confirmed", "promoted", "updated", "reminder"),
    }
    body = render_to_string("events/email/booking.txt", context)
    message = EmailMultiAlternatives(
        subject=SUBJECTS[kind].format(event=event.title),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
    )
    method = INVITES.get(kind)
    if method:
        data = ics.booking_invite(booking, cancel=method == "CANCEL")
        # As an alternative part Outlook and Gmail show the invite with accept buttons; as an
        # attachment too, for clients that only offer files.
        message.attach_alternative(data.decode(), f"text/calendar; method={method}; charset=utf-8")
        message.attach("invite.ics", data, "application/ics")
    return message
