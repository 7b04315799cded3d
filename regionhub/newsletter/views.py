"""Regional Update pages. Thin: parse, call a selector or service, render.

The back-office pages answer 404 to everyone but regional admins, as for a missing record.

View counts and the page cache: the public issue page is cached whole for anonymous readers,
so the count is recorded in `issue_detail`, before the cache lookup, and only the page body is
cached. The number shown to anonymous readers is the count when the page was last rendered; it
catches up whenever the archive next changes (a publication, a comment approved, an edit).
"""

import base64
import datetime
import hashlib
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.forms import formset_factory
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from regionhub.core.deferred import Deferred
from regionhub.core.pagecache import cache_for_anonymous
from regionhub.core.permissions import is_regional_admin

from . import forms, selectors, services
from .models import Comment, Issue, Section

ARCHIVE_PAGE_SIZE = 10
BOTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|"
    r"curl|wget|python-requests|python-urllib|httpclient|go-http-client|feedfetcher",
    re.IGNORECASE,
)


def _error(form, error: services.NewsletterError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def access_admin(user) -> None:
    if not is_regional_admin(user):
        raise Http404


def access_issue_for_admin(user, pk: int) -> Issue:
    access_admin(user)
    return get_object_or_404(Issue, pk=pk)


def access_section_for_admin(user, issue_pk: int, pk: int) -> Section:
    access_admin(user)
    return get_object_or_404(Section.objects.select_related("issue"), pk=pk, issue_id=issue_pk)


# Public pages ----------------------------------------------------------------------------------


@cache_for_anonymous("newsletter")
def archive(request):
    query = request.GET.get("q", "").strip()[:200]
    paginator = Paginator(selectors.issues_published(query), ARCHIVE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "newsletter/archive.html",
        {
            "nav": "updates",
            "page": page,
            "query": query,
            "is_admin": is_regional_admin(request.user),
        },
    )


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOTS.search(user_agent))


def visitor_hash(request, day: datetime.date) -> str:
    """A daily pseudonym for the reader: the signed-in user, else address and browser, salted
    with the day so that it cannot be followed from one day to the next."""
    if request.user.is_authenticated:
        who = f"user:{request.user.pk}"
    else:
        who = f"{request.META.get('REMOTE_ADDR', '')}|{request.META.get('HTTP_USER_AGENT', '')}"
    return hashlib.sha256(f"{settings.SECRET_KEY}|{day}|{who}".encode()).hexdigest()


def issue_detail(request, year: int, month: int):
    if request.method == "GET" and not is_bot(request.META.get("HTTP_USER_AGENT", "")):
        issue_id = (
            Issue.objects.published()
            .filter(month__year=year, month__month=month)
            .values_list("pk", flat=True)
            .first()
        )
        if issue_id is not None:
            day = timezone.localdate()
            services.issue_view_record(
                issue_id=issue_id, visitor=visitor_hash(request, day), day=day
            )
    return _issue_page(request, year=year, month=month)


@cache_for_anonymous("newsletter")
def _issue_page(request, *, year: int, month: int, form=None):
    issue = selectors.issue_published_for(year, month)
    if issue is None:
        raise Http404
    return _render_issue(request, issue, form=form)


def _render_issue(request, issue: Issue, *, form=None, preview: bool = False):
    return render(
        request,
        "newsletter/issue_detail.html",
        {
            "nav": "updates",
            "issue": issue,
            # Read only when the article is not already in the fragment cache.
            "sections": Deferred(lambda: selectors.issue_sections(issue)),
            "recent": selectors.issues_recent(exclude=issue),
            "comments": []
            if preview
            else Deferred(lambda: selectors.issue_comments_approved(issue)),
            "views": 0 if preview else selectors.issue_view_count(issue),
            "form": form or forms.CommentForm(),
            "preview": preview,
            "is_admin": is_regional_admin(request.user),
        },
    )


@require_POST
def comment_create(request, year: int, month: int):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("newsletter:issue-detail", args=[year, month]))
    issue = selectors.issue_published_for(year, month)
    if issue is None:
        raise Http404
    form = forms.CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(user=request.user, issue=issue, body=form.cleaned_data["body"])
        except services.NewsletterError as error:
            _error(form, error)
        else:
            messages.success(request, "Thank you. Your comment will appear once it is approved.")
            return redirect(issue.get_absolute_url() + "#comments")
    return _render_issue(request, issue, form=form)


# Composing -------------------------------------------------------------------------------------


def manage_list(request):
    access_admin(request.user)
    return render(
        request,
        "newsletter/manage_list.html",
        {
            "nav": "updates",
            "issues": selectors.issues_for_admin(),
            "held": Comment.objects.filter(status=Comment.Status.HELD).count(),
        },
    )


def _form_page(request, form, *, title, caption="", submit="Save", back_url=""):
    return render(
        request,
        "core/form.html",
        {
            "nav": "updates",
            "form": form,
            "title": title,
            "caption": caption,
            "submit": submit,
            "back_url": back_url,
        },
    )


def issue_create(request):
    access_admin(request.user)
    form = forms.IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issue = services.issue_create(actor=request.user, **form.cleaned_data)
        except services.NewsletterError as error:
            _error(form, error)
        else:
            messages.success(request, f"{issue.title} started.")
            return redirect("newsletter:issue-manage", pk=issue.pk)
    return _form_page(
        request,
        form,
        title="Start an issue",
        submit="Start the issue",
        back_url=reverse("newsletter:manage"),
    )


def issue_manage(request, pk: int):
    issue = access_issue_for_admin(request.user, pk)
    return render(
        request,
        "newsletter/issue_manage.html",
        {
            "nav": "updates",
            "issue": issue,
            "sections": selectors.issue_sections(issue),
            "period": services.draft_period(issue),
            "may_approve": issue.status == Issue.Status.DRAFT
            and issue.drafted_by_id != request.user.pk,
            "schedule_form": forms.ScheduleForm(),
        },
    )


def issue_edit(request, pk: int):
    issue = access_issue_for_admin(request.user, pk)
    initial = {name: getattr(issue, name) for name in services.ISSUE_FIELDS}
    form = forms.IssueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.issue_update(actor=request.user, issue=issue, **form.cleaned_data)
        except services.NewsletterError as error:
            _error(form, error)
        else:
            messages.success(request, "Issue saved.")
            return redirect("newsletter:issue-manage", pk=issue.pk)
    return _form_page(
        request,
        form,
        title="Edit the issue",
        caption=issue.title,
        back_url=reverse("newsletter:issue-manage", args=[issue.pk]),
    )


def issue_preview(request, pk: int):
    issue = access_issue_for_admin(request.user, pk)
    return _render_issue(request, issue, preview=True)


@require_POST
def issue_draft(request, pk: int):
    issue = access_issue_for_admin(request.user, pk)
    try:
        sections = services.issue_draft_from_records(actor=request.user, issue=issue)
    except services.NewsletterError as error:
        messages.error(request, error.message)
    else:
        if sections:
            names = ", ".join(s.heading for s in sections)
            messages.success(request, f"Drafted from the records: {names}.")
        else:
            messages.info(request, "The records have nothing new for this period.")
    return redirect("newsletter:issue-manage", pk=issue.pk)


def _action(request, pk: int, service, done: str):
    issue = access_issue_for_admin(request.user, pk)
    try:
        service(actor=request.user, issue=issue)
    except services.NewsletterError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("newsletter:issue-manage", pk=issue.pk)


@require_POST
def issue_approve(request, pk: int):
    return _action(request, pk, services.issue_approve, "Issue approved.")


@require_POST
def issue_publish(request, pk: int):
    return _action(request, pk, services.issue_publish, "Issue published to the archive.")


def issue_schedule(request, pk: int):
    issue = access_issue_for_admin(request.user, pk)
    form = forms.ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.issue_schedule(
                actor=request.user, issue=issue, when=form.cleaned_data["publish_at"]
            )
        except services.NewsletterError as error:
            _error(form, error)
        else:
            when = timezone.localtime(issue.publish_at or form.cleaned_data["publish_at"])
            messages.success(request, f"Issue scheduled for {when:%-d %B %Y at %H:%M}.")
            return redirect("newsletter:issue-manage", pk=issue.pk)
    return _form_page(
        request,
        form,
        title="Schedule publication",
        caption=issue.title,
        submit="Schedule",
        back_url=reverse("newsletter:issue-manage", args=[issue.pk]),
    )


@require_POST
def issue_delete(request, pk: int):
    issue = access_issue_for_admin(request.user, pk)
    try:
        services.issue_delete(actor=request.user, issue=issue)
    except services.NewsletterError as error:
        messages.error(request, error.message)
        return redirect("newsletter:issue-manage", pk=issue.pk)
    messages.success(request, f"{issue.title} deleted.")
    return redirect("newsletter:manage")


# Sections --------------------------------------------------------------------------------------


def section_create(request, pk: int):
    issue = access_issue_for_admin(request.user, pk)
    form = forms.SectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.section_add(actor=request.user, issue=issue, **form.cleaned_data)
        except services.NewsletterError as error:
            _error(form, error)
        else:
            messages.success(request, "Section added.")
            return redirect("newsletter:issue-manage", pk=issue.pk)
    return _form_page(
        request,
        form,
        title="Add a section",
        caption=issue.title,
        submit="Add the section",
        back_url=reverse("newsletter:issue-manage", args=[issue.pk]),
    )


def section_edit(request, pk: int, section_pk: int):
    section = access_section_for_admin(request.user, pk, section_pk)
    form = forms.SectionForm(
        request.POST or None, initial={"heading": section.heading, "body": section.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.section_update(actor=request.user, section=section, **form.cleaned_data)
        except services.NewsletterError as error:
            _error(form, error)
        else:
            messages.success(request, "Section saved.")
            return redirect("newsletter:issue-manage", pk=pk)
    return _form_page(
        request,
        form,
        title="Edit the section",
        caption=section.issue.title,
        back_url=reverse("newsletter:issue-manage", args=[pk]),
    )


@require_POST
def section_delete(request, pk: int, section_pk: int):
    section = access_section_for_admin(request.user, pk, section_pk)
    services.section_delete(actor=request.user, section=section)
    messages.success(request, f"Section ‘{section.heading or 'untitled'}’ deleted.")
    return redirect("newsletter:issue-manage", pk=pk)


@require_POST
def section_move(request, pk: int, section_pk: int):
    section = access_section_for_admin(request.user, pk, section_pk)
    try:
        services.section_move(
            actor=request.user, section=section, direction=request.POST.get("direction", "")
        )
    except services.NewsletterError as error:
        messages.error(request, error.message)
    return redirect(reverse("newsletter:issue-manage", args=[pk]) + f"#section-{section.pk}")


# Moderation ------------------------------------------------------------------------------------


def comment_queue(request):
    access_admin(request.user)
    return render(
        request,
        "newsletter/comment_queue.html",
        {"nav": "updates", "comments": selectors.comments_held()},
    )


@require_POST
def comment_moderate(request, comment_pk: int):
    access_admin(request.user)
    comment = get_object_or_404(Comment, pk=comment_pk)
    approve = request.POST.get("decision") == "approve"
    services.comment_moderate(actor=request.user, comment=comment, approve=approve)
    messages.success(request, "Comment approved." if approve else "Comment rejected.")
    return redirect("newsletter:comment-queue")


# Import ----------------------------------------------------------------------------------------

MonthFormSet = formset_factory(forms.ImportMonthForm, extra=0)


def _pending(reports) -> list[dict]:
    return [
        {
            "name": r.filename,
            "data": base64.b64encode(r.data).decode(),
        }
        for r in reports
        if r.needs_month
    ]


def import_updates(request):
    access_admin(request.user)
    form = forms.ImportForm()
    months = None
    reports: list[services.ImportReport] = []
    if request.method == "POST" and "files" in request.FILES:
        form = forms.ImportForm(request.POST, request.FILES)
        if form.is_valid():
            for upload in form.cleaned_data["files"]:
                data = upload.read(2 * 1024 * 1024 + 1)
                report = services.issue_import(actor=request.user, filename=upload.name, data=data)
                report.data = data
                reports.append(report)
            if any(r.needs_month for r in reports):
                months = MonthFormSet(initial=_pending(reports), prefix="months")
    elif request.method == "POST":
        months = MonthFormSet(request.POST, prefix="months")
        if months.is_valid():
            for item in months.cleaned_data:
                data = base64.b64decode(item["data"])
                report = services.issue_import(
                    actor=request.user, filename=item["name"], data=data, month=item["month"]
                )
                report.data = data
                reports.append(report)
            pending = _pending(reports)
            months = MonthFormSet(initial=pending, prefix="months") if pending else None
    if months is not None:
        for month_form in months:
            name = month_form.initial.get("name") or month_form.data.get(
                f"{month_form.prefix}-name"
            )
            month_form.fields["month"].label = f"Month of {name}"
    return render(
        request,
        "newsletter/import.html",
        {"nav": "updates", "form": form, "months": months, "reports": reports},
    )
