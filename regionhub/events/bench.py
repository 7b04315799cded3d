"""The event pages `make bench` measures, at national scale.

`generate_commands` adds 5,000 events and 500,000 bookings over the directory's national data
set; `targets` names the event list and the busiest upcoming event's page, each read signed in
as the member the directory suite creates. Booking throughput needs POST requests, which the
runner does not send: `manage.py bench_bookings` measures it on its own.
"""

from django.db.models import Count
from django.urls import reverse

BENCH_USER = "bench.member@regionhub.example"


def generate_commands(options: dict) -> list[list[str]]:
    return [["generate_events"]]


def targets() -> list[dict]:
    from django.utils import timezone

    from regionhub.events.models import Event

    result = [{"name": "event-list", "path": reverse("events:event-list")}]
    busiest = (
        Event.objects.published()
        .filter(starts_at__gt=timezone.now())
        .annotate(n=Count("bookings"))
        .order_by("-n", "pk")
        .first()
    )
    if busiest is not None:
        result.append({"name": "event-page", "path": busiest.get_absolute_url()})
    return [
        {**t, "user": BENCH_USER, "p95_goal_ms": 50, "throughput_goal_ratio": None} for t in result
    ]
