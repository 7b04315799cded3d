"""The inspection pages `make bench` measures, at national scale.

`generate_commands` prepares the data (after the directory's national data set);
`targets` names the pages, each signed in as the member the directory suite creates.
"""

import datetime

from django.urls import reverse

BENCH_USER = "bench.member@regionhub.example"
AS_AT = datetime.date(2024, 1, 1)


def generate_commands(options: dict) -> list[list[str]]:
    return [["generate_inspections"]]


def targets() -> list[dict]:
    from regionhub.directory.management.commands.generate_national import MARKER
    from regionhub.directory.models import Organisation

    ambition = reverse("inspections:ambition")
    result = [
        {"name": "ambition", "path": ambition},
        {"name": "ambition-as-at", "path": f"{ambition}?date={AS_AT.isoformat()}"},
    ]
    authority = (
        Organisation.objects.filter(notes=MARKER, is_member=True, kind="council")
        .order_by("pk")
        .first()
    )
    if authority is not None:
        result.append(
            {
                "name": "inspections-authority",
                "path": reverse("inspections:authority", args=[authority.pk]),
            }
        )
    return [
        {**t, "user": BENCH_USER, "p95_goal_ms": 50, "throughput_goal_ratio": None} for t in result
    ]
