"""The programme pages `make bench` measures at national scale: 2,000 cohorts, 100,000
applications and 10,000 registrations of interest over the directory's generated people
(`generate_programmes`).

- the programme list, as the bench member (a page of 25 of the 200 programmes);
- the busiest cohort still taking applications, as the bench admin, who sees every one of its
  1,000 applications (a page at a time) and may nominate;
- the savings report, as the bench admin: the totals by year, programme and authority;
- choosing a colleague to nominate on that cohort, as the bench admin, who may nominate any of
  the 50,000 people: a search by surname that matches hundreds. A search is read afresh every
  time (nothing of it is cached), so it is measured without a latency goal.
"""

from django.db.models import Count
from django.utils import timezone

MEMBER = "bench.member@regionhub.example"
ADMIN = "bench.admin@regionhub.example"
P95_GOAL_MS = 50.0
NOMINEE_SEARCH = "smith"


def generate_commands(options: dict | None = None) -> list[list[str]]:
    return [["generate_programmes"]]


def targets() -> list[dict]:
    from regionhub.programmes.models import Cohort

    found = [("programme-list", "/programmes/", MEMBER)]
    by_size = Cohort.objects.annotate(n=Count("applications")).order_by("-n", "pk")
    busiest = by_size.filter(deadline__gt=timezone.now()).first() or by_size.first()
    if busiest is not None:
        found.append(("cohort-page", busiest.get_absolute_url(), ADMIN))
    found.append(("savings-report", "/programmes/savings/", ADMIN))
    if busiest is not None:
        found.append(
            (
                "nominee-search",
                f"{busiest.get_absolute_url()}nominate/?q={NOMINEE_SEARCH}",
                ADMIN,
            )
        )
    return [
        {
            "name": name,
            "path": path,
            "user": user,
            "p95_goal_ms": None if name == "nominee-search" else P95_GOAL_MS,
            "throughput_goal_ratio": None,
        }
        for name, path, user in found
    ]
