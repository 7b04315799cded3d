"""The plan pages `make bench` measures at national scale: 400 initiatives with their milestones
and monthly status updates (`generate_plan`), read by the bench member: the overview today and
as at a date two years back."""

import datetime

MEMBER = "bench.member@regionhub.example"
P95_GOAL_MS = 50.0


def generate_commands(options: dict | None = None) -> list[list[str]]:
    """The directory's national data at the bench's scale (skipped when already there) and its
    bench accounts, then this app's own rows."""
    from regionhub.directory.bench import generate_commands as directory_commands

    return directory_commands(options) + [["generate_plan"]]


def pages() -> list[tuple[str, str]]:
    from regionhub.directory.models import today

    past = today() - datetime.timedelta(days=730)
    return [("plan-overview", "/plan/"), ("plan-as-at", f"/plan/?date={past.isoformat()}")]


def targets() -> list[dict]:
    return [
        {
            "name": name,
            "path": path,
            "user": MEMBER,
            "p95_goal_ms": P95_GOAL_MS,
            "throughput_goal_ratio": None,
        }
        for name, path in pages()
    ]
