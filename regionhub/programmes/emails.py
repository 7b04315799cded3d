"""The emails programmes and the mentoring scheme send. Each is plain text built from a template.

Emails about mentoring name the scheme and say what happened; they never carry what a mentee
wrote, as they may pass through inboxes the scheme does not control.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from regionhub.accounts.models import User

from .models import Application, Interest, Match, MenteeApplication

APPLICATION_SUBJECTS = {
    "applied": "Application received: {cohort}",
    "nominated": "You have been nominated: {cohort}",
    "endorsed": "Your authority has endorsed you and a place is held: {cohort}",
    "waitlisted": "Endorsed, waiting for a place: {cohort}",
    "promoted": "A place has come up for you: {cohort}",
    "confirmed": "Your place is confirmed, please accept or decline: {cohort}",
    "accepted": "Place accepted: {cohort}",
    "declined": "Place declined: {cohort}",
    "withdrawn": "Application withdrawn: {cohort}",
    "refused": "Not selected this time: {cohort}",
}
# Coordinators hear about the steps that need them or change their authority's places.
TELL_COORDINATORS = {"applied", "accepted", "declined", "withdrawn"}


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def coordinator_emails(authority_id: int | None) -> list[str]:
    if authority_id is None:
        return []
    return list(
        User.objects.filter(
            is_active=True, role=User.Role.COORDINATOR, coordinated_authorities=authority_id
        ).values_list("email", flat=True)
    )


def message(to: list[str], subject: str, template: str, context: dict) -> EmailMessage:
    return EmailMessage(
        subject=subject,
        body=render_to_string(template, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )


def application_messages(application: Application, kind: str) -> list[EmailMessage]:
    cohort = application.cohort
    subject = APPLICATION_SUBJECTS[kind].format(cohort=cohort)
    context = {
        "application": application,
        "cohort": cohort,
        "kind": kind,
        "url": absolute(cohort.get_absolute_url()),
    }
    messages = []
    if application.person.email:
        messages.append(
            message(
                [application.person.email],
                subject,
                "programmes/email/application.txt",
                context | {"to_person": True},
            )
        )
    if kind in TELL_COORDINATORS:
        to = coordinator_emails(application.authority_id)
        if to:
            messages.append(message(to, subject, "programmes/email/application.txt", context))
    return messages


def interest_message(interest: Interest) -> EmailMessage | None:
    if not interest.person.email or interest.told_about is None:
        return None
    cohort = interest.told_about
    return message(
        [interest.person.email],
        f"A new cohort is open: {cohort}",
        "programmes/email/interest.txt",
        {"interest": interest, "cohort": cohort, "url": absolute(cohort.get_absolute_url())},
    )


def endorsement_request_message(application: MenteeApplication) -> EmailMessage:
    from .mentoring import endorsement_max_age, endorsement_token

    url = absolute(reverse("programmes:mentoring-endorse", args=[endorsement_token(application)]))
    return message(
        [application.line_manager_email],
        f"Please confirm your support: {application.scheme.name}",
        "programmes/email/endorsement_request.txt",
        {
            "application": application,
            "name": application.line_manager_name,
            "applicant": application.person.name,
            "scheme": application.scheme.name,
            "url": url,
            "days": endorsement_max_age().days,
        },
    )


def match_messages(match: Match) -> list[EmailMessage]:
    mentee, mentor = match.mentee.person, match.mentor.person
    scheme = match.mentee.scheme.name
    messages = []
    for person, other, role in ((mentee, mentor, "mentor"), (mentor, mentee, "mentee")):
        if person.email:
            messages.append(
                message(
                    [person.email],
                    f"You have been matched: {scheme}",
                    "programmes/email/match.txt",
                    {"person": person, "other": other, "role": role, "scheme": scheme},
                )
            )
    return messages
