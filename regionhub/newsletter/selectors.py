"""Every non-trivial read of the Regional Update; query counts do not grow with the data."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from .models import Comment, Issue, IssueView, Section


def issues_for_admin() -> QuerySet[Issue]:
    held = Count("comments", filter=Q(comments__status=Comment.Status.HELD), distinct=True)
    return (
        Issue.objects.select_related("drafted_by", "approved_by")
        .annotate(section_count=Count("sections", distinct=True), held_count=held)
        .order_by("-month")
    )


def issues_published(query: str = "") -> QuerySet[Issue]:
    """Published issues, newest first; `query` matches the title, foreword or any section."""
    qs = Issue.objects.published().defer("foreword", "foreword_html")
    query = query.strip()
    if query:
        in_sections = Section.objects.filter(issue=OuterRef("pk")).filter(
            Q(heading__icontains=query) | Q(body__icontains=query)
        )
        qs = qs.filter(
            Q(title__icontains=query)
            | Q(foreword__icontains=query)
            | Q(signature__icontains=query)
            | Exists(in_sections)
        )
    return qs.order_by("-month")


def issues_recent(*, exclude: Issue | None = None, limit: int = 6) -> list[Issue]:
    qs = Issue.objects.published().only("title", "month").order_by("-month")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs[:limit])


def issue_published_for(year: int, month: int) -> Issue | None:
    return (
        Issue.objects.published()
        .select_related("foreword_author", "foreword_post__organisation")
        .filter(month__year=year, month__month=month)
        .first()
    )


def issue_sections(issue: Issue) -> list[Section]:
    return list(issue.sections.order_by("order", "pk"))


def issue_comments_approved(issue: Issue) -> list[Comment]:
    return list(
        issue.comments.filter(status=Comment.Status.APPROVED)
        .select_related("user")
        .order_by("created", "pk")
    )


def issue_view_count(issue: Issue) -> int:
    return IssueView.objects.filter(issue=issue).count()


def comments_held(limit: int = 200) -> list[Comment]:
    return list(
        Comment.objects.filter(status=Comment.Status.HELD)
        .select_related("user", "issue")
        .order_by("created", "pk")[:limit]
    )
