"""Background work for accounts."""

from django.utils import timezone
from django_tasks import task

from .models import Session


@task()
def clear_expired_sessions() -> int:
    """Delete the sessions past their expiry, which can sign nobody in again; the number
    deleted."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
