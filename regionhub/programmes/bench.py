"""The programme pages `make bench` measures at national scale: 2,000 cohorts and 100,000
applications over the directory's generated people (`generate_programmes`). The cohort page and
the savings report are read as the bench admin, who sees every application and the report."""

from django.db.models import Count

MEMBER = "bench.member@regionhub.example"
ADMIN = "bench.admin@regionhub.example"
P95_GOAL_MS = 50.0


def generate_commands(options: dict | None = None) -> list[list[str]]:
    return [["generate_programmes"]]


def targets() -> list[dict]:
    from regionhub.programmes.models import Cohort

    found = [("programme-list", "/programmes/", MEMBER)]
    busiest = Cohort.objects.annotate(n=Count("applications")).order_by("-n", "pk").first()
    if busiest is not None:
        found.append(("cohort-page", busiest.get_absolute_url(), ADMIN))
    found.append(("savings-report", "/programmes/savings/", ADMIN))
    return [
        {
            "name": name,
            "path": path,
            "user": user,
            "p95_goal_ms": P95_GOAL_MS,
            "throughput_goal_ratio": None,
        }
        for name, path, user in found
    ]
