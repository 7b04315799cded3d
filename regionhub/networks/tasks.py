"""Background work for networks: overdue action reminders and each authority's tracker by email."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@task()
def remind_overdue_actions() -> int:
    """Email each owner of an open action past its due date, one email per owner.

    Run daily; an owner is reminded every run until the action is done or dropped.
    """
    from .selectors import overdue_actions

    today = timezone.localdate()
    by_owner = defaultdict(list)
    for action in overdue_actions(today):
        if action.owner.email:
            by_owner[action.owner].append(action)
    for owner, actions in by_owner.items():
        body = render_to_string(
            "networks/email/overdue_actions.txt",
            {
                "owner": owner,
                "actions": actions,
                "today": today,
                "url": _absolute(reverse("networks:action-overdue")),
            },
        )
        EmailMessage(
            subject=f"Overdue actions: {len(actions)} past their due date",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[owner.email],
        ).send()
    return len(by_owner)


@task()
def send_authority_tracker(authority_id: int, start: str, end: str) -> int:
    """Email an authority's coordinators its engagement tracker, with the spreadsheet attached."""
    from regionhub.directory.models import Organisation

    from .exporting import tracker_workbook
    from .selectors import Period, engagement

    authority = Organisation.objects.get(pk=authority_id)
    recipients = list(authority.coordinators.filter(is_active=True).values_list("email", flat=True))
    if not recipients:
        return 0
    period = Period("custom", datetime.date.fromisoformat(start), datetime.date.fromisoformat(end))
    table = engagement(period, today=timezone.localdate(), authority=authority)
    path = reverse("networks:engagement-authority", args=[authority.pk])
    body = render_to_string(
        "networks/email/authority_tracker.txt",
        {
            "authority": authority,
            "table": table,
            "rows": table.rows_for(authority),
            "url": _absolute(f"{path}?kind=custom&start={start}&end={end}"),
        },
    )
    message = EmailMessage(
        subject=f"Engagement tracker for {authority}: {period.label}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    message.attach(
        f"engagement-{authority.pk}-{start}-{end}.xlsx",
        tracker_workbook(table),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    message.send()
    return len(recipients)
