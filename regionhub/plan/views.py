"""Plan pages: signed-in users read; only regional admins change the plan (404 for others)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from regionhub.core.audit import audit_entries_for
from regionhub.core.deferred import Deferred
from regionhub.core.pagecache import data_version
from regionhub.core.permissions import is_regional_admin
from regionhub.directory.models import today
from regionhub.networks.apps import CACHE_NAMESPACE as NETWORKS_CACHE

from . import forms, selectors, services
from .models import Initiative, Milestone

# Initiatives on one page of the overview.
PAGE_SIZE = 50


def require_admin_or_404(user) -> None:
    if not is_regional_admin(user):
        raise Http404


def _service_error(form, error: services.PlanError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def overview(request):
    """Every initiative's RAG as at a date, a page at a time, with the count of each rating.

    The page body is cached until the plan, the networks (board names) or the directory
    (sponsor posts, lead officers) change; a cached page costs no query for it.
    """
    form = forms.AsAtForm(request.GET or {"date": today().isoformat()})
    context = {
        "nav": "plan",
        "form": form,
        "can_manage": is_regional_admin(request.user),
        "versions": f"{data_version('directory')}:{data_version(NETWORKS_CACHE)}",
    }
    if form.is_valid():
        date = form.cleaned_data["date"]
        page = Deferred(
            lambda: Paginator(selectors.plan_as_at(date), PAGE_SIZE).get_page(
                request.GET.get("page")
            )
        )
        context.update(
            date=date,
            page=page,
            summary=Deferred(lambda: selectors.plan_summary_as_at(date)),
        )
    return render(request, "plan/overview.html", context)


@login_required
def initiative_detail(request, pk: int):
    initiative = get_object_or_404(
        Initiative.objects.select_related("sponsor_post__organisation", "board", "lead_officer"),
        pk=pk,
    )
    admin = is_regional_admin(request.user)
    return render(
        request,
        "plan/initiative_detail.html",
        {
            "nav": "plan",
            "initiative": initiative,
            "timeline": selectors.initiative_timeline(initiative),
            "sponsors": selectors.initiative_sponsors(initiative),
            "milestones": list(initiative.milestones.all()),
            "today": today(),
            "can_manage": admin,
            "audit_entries": audit_entries_for(initiative) if admin else None,
        },
    )


def _initiative_form(request, initiative: Initiative | None):
    initial = None
    if initiative is not None:
        initial = {f: getattr(initiative, f) for f in services.INITIATIVE_FIELDS}
    form = forms.InitiativeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if initiative is None:
                saved = services.initiative_create(actor=request.user, data=form.cleaned_data)
            else:
                saved = services.initiative_update(
                    actor=request.user, initiative=initiative, data=form.cleaned_data
                )
        except services.PlanError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect(saved)
    title = "Add an initiative" if initiative is None else f"Change {initiative}"
    back = initiative.get_absolute_url() if initiative else "/plan/"
    return render(
        request,
        "core/form.html",
        {"nav": "plan", "form": form, "title": title, "submit": "Save", "back_url": back},
    )


@login_required
def initiative_create(request):
    require_admin_or_404(request.user)
    return _initiative_form(request, None)


@login_required
def initiative_edit(request, pk: int):
    require_admin_or_404(request.user)
    return _initiative_form(request, get_object_or_404(Initiative, pk=pk))


@login_required
def milestone_add(request, pk: int):
    require_admin_or_404(request.user)
    initiative = get_object_or_404(Initiative, pk=pk)
    form = forms.MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_add(actor=request.user, initiative=initiative, **form.cleaned_data)
        except services.PlanError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Milestone added.")
            return redirect(initiative)
    return render(
        request,
        "core/form.html",
        {
            "nav": "plan",
            "form": form,
            "title": f"Add a milestone: {initiative}",
            "submit": "Add the milestone",
            "back_url": initiative.get_absolute_url(),
        },
    )


@login_required
def milestone_edit(request, pk: int):
    require_admin_or_404(request.user)
    milestone = get_object_or_404(Milestone.objects.select_related("initiative"), pk=pk)
    initial = {"title": milestone.title, "due": milestone.due, "done": milestone.done}
    form = forms.MilestoneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        confirm = data.pop("confirm_after_end")
        try:
            services.milestone_update(
                actor=request.user, milestone=milestone, data=data, confirm_after_end=confirm
            )
        except services.PlanError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Milestone saved.")
            return redirect(milestone.initiative)
    return render(
        request,
        "core/form.html",
        {
            "nav": "plan",
            "form": form,
            "title": f"Change a milestone: {milestone.initiative}",
            "submit": "Save the milestone",
            "back_url": milestone.initiative.get_absolute_url(),
        },
    )


@login_required
def status_update_add(request, pk: int):
    require_admin_or_404(request.user)
    initiative = get_object_or_404(Initiative, pk=pk)
    form = forms.StatusUpdateForm(request.POST or None, initial={"date": today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.status_update_add(
                actor=request.user, initiative=initiative, **form.cleaned_data
            )
        except services.PlanError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Status update added.")
            return redirect(initiative)
    return render(
        request,
        "core/form.html",
        {
            "nav": "plan",
            "form": form,
            "title": f"Add a status update: {initiative}",
            "submit": "Add the update",
            "back_url": initiative.get_absolute_url(),
        },
    )
