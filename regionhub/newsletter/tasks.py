"""Background work for the Regional Update: publishing scheduled issues."""

import datetime

from django.utils import timezone
from django_tasks import default_task_backend, task


@task()
def publish_scheduled_issue(issue_id: int) -> bool:
    from .services import issue_publish_if_due

    return issue_publish_if_due(issue_id=issue_id)


@task()
def publish_due_issues() -> int:
    """Publish every approved issue whose time has come: a safety net, run periodically, for a
    scheduled task that was lost."""
    from .models import Issue
    from .services import issue_publish_if_due

    due = Issue.objects.filter(
        status=Issue.Status.APPROVED, publish_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(issue_publish_if_due(issue_id=pk) for pk in list(due))


def schedule_publication(issue_id: int, when: datetime.datetime) -> None:
    """Enqueue the publication to run at `when`. A backend that cannot defer (the immediate one
    in tests) runs it now, when it finds the issue not yet due and does nothing; the periodic
    `publish_due_issues` then publishes it on time."""
    if default_task_backend.supports_defer:
        publish_scheduled_issue.using(run_after=when).enqueue(issue_id)
    else:
        publish_scheduled_issue.enqueue(issue_id)
