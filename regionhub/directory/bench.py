"""The directory's benchmark suite: national-scale data, and its pages read anonymously and
signed in.

Anonymous readers are served from the whole-page cache, so those figures mostly measure a cache
hit and are held to both goals. Signed-in readers get every page rendered afresh (their pages
show contact details and edit links), so the same pages signed in show what rendering costs; their
throughput has no goal because a rendered page cannot be expected to keep up with a cached one.
"""

import datetime

MEMBER_EMAIL = "bench.member@regionhub.example"
ADMIN_EMAIL = "bench.admin@regionhub.example"
AS_AT_DATE = datetime.date(2024, 1, 1)
P95_GOAL_MS = 50.0
THROUGHPUT_GOAL_RATIO = 0.5
SCALE_OPTIONS = ("people", "appointments", "authorities")


def generate_commands(options: dict | None = None) -> list[list[str]]:
    """generate_national at the bench's scale (its own defaults when none is given), then the
    accounts the signed-in pages are read as."""
    generate = ["generate_national"]
    for name in SCALE_OPTIONS:
        if (options or {}).get(name) is not None:
            generate += [f"--{name}", str(options[name])]
    return [generate, ["bench_users"]]


def pages() -> list[tuple[str, str]]:
    """Each page chosen as the heaviest of its kind in the data, as (name, path)."""
    from django.db.models import Count

    from regionhub.directory.management.commands.generate_national import MARKER
    from regionhub.directory.models import Organisation, Person, Post

    orgs = Organisation.objects.annotate(n=Count("posts")).order_by("-n", "pk")
    org = orgs.filter(notes=MARKER, is_member=True).first() or orgs.first()
    person = Person.objects.annotate(n=Count("appointments")).order_by("-n", "pk").first()
    post = Post.objects.annotate(n=Count("appointments")).order_by("-n", "pk").first()
    found = [("organisation-list", "/directory/")]
    if org:
        found.append(("organisation-page", f"/directory/organisations/{org.pk}/"))
    if person:
        found.append(("person-page", f"/directory/people/{person.pk}/"))
    if post:
        found.append(("post-page", f"/directory/posts/{post.pk}/"))
    found.append(("as-at", f"/directory/as-at/?date={AS_AT_DATE.isoformat()}"))
    return found


def targets() -> list[dict]:
    found = pages()
    anonymous = [
        {
            "name": name,
            "path": path,
            "user": None,
            "p95_goal_ms": P95_GOAL_MS,
            "throughput_goal_ratio": THROUGHPUT_GOAL_RATIO,
        }
        for name, path in found
    ]
    signed_in = [
        {
            "name": f"{name} signed-in",
            "path": path,
            "user": MEMBER_EMAIL,
            "p95_goal_ms": P95_GOAL_MS,
            "throughput_goal_ratio": None,
        }
        for name, path in found
    ]
    return anonymous + signed_in
