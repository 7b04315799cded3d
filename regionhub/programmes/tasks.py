"""Background work for programmes and the mentoring scheme: the emails."""

from django_tasks import task

from .models import Application, Interest, Match, MenteeApplication


@task()
def send_application_email(application_id: int, kind: str) -> int:
    from .emails import application_messages

    application = (
        Application.objects.select_related("cohort__programme", "person")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return 0
    sent = application_messages(application, kind)
    for message in sent:
        message.send()
    return len(sent)


@task()
def send_interest_email(interest_id: int) -> bool:
    from .emails import interest_message

    interest = (
        Interest.objects.select_related("person", "told_about__programme")
        .filter(pk=interest_id)
        .first()
    )
    message = interest_message(interest) if interest else None
    if message is None:
        return False
    message.send()
    return True


@task()
def send_endorsement_request(application_id: int) -> bool:
    """Email the line manager their signed link. The message names the applicant and the
    scheme, and nothing the applicant wrote."""
    from .emails import endorsement_request_message

    application = (
        MenteeApplication.objects.select_related("person", "scheme")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return False
    endorsement_request_message(application).send()
    return True


@task()
def send_match_emails(match_id: int) -> int:
    from .emails import match_messages

    match = (
        Match.objects.select_related("mentee__person", "mentee__scheme", "mentor__person")
        .filter(pk=match_id)
        .first()
    )
    if match is None:
        return 0
    sent = match_messages(match)
    for message in sent:
        message.send()
    return len(sent)
