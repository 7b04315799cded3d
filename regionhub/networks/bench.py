"""The networks pages `make bench` measures at national scale: 2,000 groups, 50,000 meetings
and 600,000 attendance rows over the directory's generated regions (`generate_networks`).

Both trackers are read as the bench regional admin, who may see every authority's: the regional
view of the region with the most attendance recorded (its DCS network and the groups reporting
to it, the page a regional admin lands on), the same region's busiest network, and the tracker
of the authority with the most attendance rows.
"""

from django.db.models import Count

ADMIN = "bench.admin@regionhub.example"
P95_GOAL_MS = 100.0


def generate_commands(options: dict | None = None) -> list[list[str]]:
    """The directory's national data at the bench's scale (skipped when already there) and its
    bench accounts, then this app's own rows."""
    from regionhub.directory.bench import generate_commands as directory_commands

    return directory_commands(options) + [["generate_networks"]]


def pages() -> list[tuple[str, str]]:
    from regionhub.networks.models import Attendance, Group

    busiest_authority = (
        Attendance.objects.values("authority_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "authority_id")
        .first()
    )
    # The top-level network whose member authorities are the most (the biggest region).
    region = (
        Group.objects.filter(parent__isnull=True)
        .annotate(
            n=Count("authorities", distinct=True), children_n=Count("children", distinct=True)
        )
        .filter(children_n__gt=0)
        .order_by("-n", "pk")
        .first()
    )
    found = []
    if region is not None:
        found.append(("engagement-region", f"/networks/engagement/?network={region.pk}"))
        network = (
            Group.objects.filter(parent=region)
            .annotate(n=Count("children"))
            .order_by("-n", "pk")
            .first()
        )
        if network is not None:
            found.append(("engagement-network", f"/networks/engagement/?network={network.pk}"))
    if busiest_authority is not None:
        found.append(
            (
                "engagement-authority",
                f"/networks/engagement/authorities/{busiest_authority['authority_id']}/",
            )
        )
    return found


def targets() -> list[dict]:
    return [
        {
            "name": name,
            "path": path,
            "user": ADMIN,
            "p95_goal_ms": P95_GOAL_MS,
            "throughput_goal_ratio": None,
        }
        for name, path in pages()
    ]
