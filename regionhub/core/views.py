import email
import email.policy
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from regionhub.core.permissions import can_manage_anything
from regionhub.directory import selectors as directory


def home(request):
    context = {"nav": "home", "can_manage": can_manage_anything(request.user)}
    if request.user.is_authenticated:
        context["recent"] = directory.recent_changes(limit=8)
    context["counts"] = directory.organisation_counts()
    return render(request, "core/home.html", context)


@never_cache
def healthz(request):
    """200 when the database answers and the task queue's table is readable."""
    status = {"status": "ok", "database": "ok", "tasks": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        status["database"] = "error"
    try:
        from django_tasks import task_backends

        backend = task_backends["default"]
        if backend.__class__.__name__ == "DatabaseBackend":
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.exists()
    except Exception:  # noqa: BLE001
        status["tasks"] = "error"
    healthy = status["database"] == "ok" and status["tasks"] == "ok"
    if not healthy:
        status["status"] = "error"
    return JsonResponse(status, status=200 if healthy else 503)


def _mail_dir() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def dev_mail(request):
    """Development only: the messages the file email backend wrote, newest first."""
    if not getattr(settings, "DEV_MAIL_PAGE", False):
        raise Http404
    folder = _mail_dir()
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:100]
    messages = []
    for path in files:
        for chunk in path.read_text(errors="replace").split("-" * 79):
            chunk = chunk.strip()
            if not chunk:
                continue
            msg = email.message_from_string(chunk, policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain", "html"))
            messages.append(
                {
                    "subject": msg.get("Subject", "(no subject)"),
                    "to": msg.get("To", ""),
                    "date": msg.get("Date", ""),
                    "body": body.get_content() if body else "",
                }
            )
    return render(request, "core/dev_mail.html", {"messages_sent": messages, "folder": folder})
