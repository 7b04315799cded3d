"""Networks pages. Everyone signed in reads groups, meetings, decisions and actions.

Regional admins change them; a coordinator records attendance for their own authority and sees
their own authority's tracker. Any page a user may not use answers 404, as for a missing record.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from regionhub.core.audit import audit_entries_for
from regionhub.core.deferred import Deferred
from regionhub.core.pagecache import data_version
from regionhub.core.permissions import coordinated_ids, is_regional_admin
from regionhub.directory import people_search
from regionhub.directory.models import Organisation, today

from . import forms, pickers, selectors, services
from .apps import CACHE_NAMESPACE
from .caching import remember
from .exporting import tracker_workbook
from .models import Action, Group, Meeting

# Columns of the regional view on one screen; a network with more groups is paged.
GROUPS_PER_PAGE = 12
# Rows of the group list, and of an authority's tracker.
GROUP_LIST_PAGE = 50
TRACKER_PAGE = 50
# Rows of the overdue actions, longest overdue first.
OVERDUE_PAGE = 50

# Access helpers ------------------------------------------------------------------------------


def require_admin_or_404(user) -> None:
    if not is_regional_admin(user):
        raise Http404


def access_authority_tracker(user, pk: int) -> Organisation:
    """The authority whose tracker `user` may see: admins any, coordinators only their own."""
    authority = get_object_or_404(Organisation, pk=pk)
    if not (is_regional_admin(user) or authority.pk in coordinated_ids(user)):
        raise Http404
    return authority


def _service_error(form, error: services.NetworkError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# Groups --------------------------------------------------------------------------------------


@login_required
def group_list(request):
    admin = is_regional_admin(request.user)
    return render(
        request,
        "networks/group_list.html",
        {
            "nav": "networks",
            "page": Paginator(selectors.groups_list(), GROUP_LIST_PAGE).get_page(
                request.GET.get("page")
            ),
            "can_manage": admin,
            "can_see_engagement": admin,
            "coordinated": list(
                Organisation.objects.filter(pk__in=coordinated_ids(request.user)).order_by("name")
            ),
        },
    )


@login_required
def group_detail(request, pk: int):
    group = get_object_or_404(
        Group.objects.select_related(
            "parent", "chair_post__organisation", "sponsor_post__organisation"
        ),
        pk=pk,
    )
    admin = is_regional_admin(request.user)
    return render(
        request,
        "networks/group_detail.html",
        {
            "nav": "networks",
            "group": group,
            "memory": selectors.group_memory(group),
            "today": today(),
            "can_manage": admin,
            "audit_entries": audit_entries_for(group) if admin else None,
        },
    )


def _group_form(request, group: Group | None):
    if request.method == "POST":
        form = forms.GroupForm(request.POST)
    else:
        form = forms.GroupForm(initial=forms.GroupForm.initial_for(group) if group else None)
    if request.method == "POST" and form.is_valid():
        try:
            if group is None:
                saved = services.group_create(
                    actor=request.user,
                    data=form.group_data(),
                    authorities=form.chosen_authorities(),
                )
            else:
                saved = services.group_update(
                    actor=request.user,
                    group=group,
                    data=form.group_data(),
                    authorities=form.chosen_authorities(),
                )
        except services.NetworkError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect(saved)
    title = "Add a group" if group is None else f"Change {group}"
    return render(
        request,
        "networks/group_form.html",
        {"nav": "networks", "form": form, "title": title, "group": group},
    )


@login_required
def group_create(request):
    require_admin_or_404(request.user)
    return _group_form(request, None)


@login_required
def group_edit(request, pk: int):
    require_admin_or_404(request.user)
    return _group_form(request, get_object_or_404(Group, pk=pk))


# Meetings ------------------------------------------------------------------------------------


def _meeting_or_404(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("group"), pk=pk)


@login_required
def meeting_detail(request, pk: int):
    meeting = _meeting_or_404(pk)
    admin = is_regional_admin(request.user)
    rows = selectors.meeting_attendance(meeting)
    mine = coordinated_ids(request.user)
    return render(
        request,
        "networks/meeting_detail.html",
        {
            "nav": "networks",
            "meeting": meeting,
            "rows": rows,
            "decisions": selectors.meeting_decisions(meeting),
            "actions": selectors.meeting_actions(meeting),
            "today": today(),
            "can_manage": admin,
            "can_record": admin or any(r.authority.pk in mine for r in rows),
            "decision_form": forms.DecisionForm() if admin else None,
            "audit_entries": audit_entries_for(meeting) if admin else None,
        },
    )


def _meeting_form(request, *, group: Group, meeting: Meeting | None):
    initial = None
    if meeting is not None:
        initial = {f: getattr(meeting, f) for f in services.MEETING_FIELDS}
    form = forms.MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if meeting is None:
                saved = services.meeting_create(
                    actor=request.user, group=group, data=form.cleaned_data
                )
            else:
                saved = services.meeting_update(
                    actor=request.user, meeting=meeting, data=form.cleaned_data
                )
        except services.NetworkError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"Meeting of {saved.date:%-d %B %Y} saved.")
            return redirect(saved)
    title = f"Record a meeting of {group}" if meeting is None else f"Change the {meeting}"
    return render(
        request,
        "networks/meeting_form.html",
        {"nav": "networks", "form": form, "title": title, "group": group, "meeting": meeting},
    )


@login_required
def meeting_create(request, pk: int):
    require_admin_or_404(request.user)
    return _meeting_form(request, group=get_object_or_404(Group, pk=pk), meeting=None)


@login_required
def meeting_edit(request, pk: int):
    require_admin_or_404(request.user)
    meeting = _meeting_or_404(pk)
    return _meeting_form(request, group=meeting.group, meeting=meeting)


@login_required
def attendance_edit(request, pk: int):
    """Attendance for each member authority the user may record for; nothing saved on any error."""
    meeting = _meeting_or_404(pk)
    admin = is_regional_admin(request.user)
    mine = coordinated_ids(request.user)
    rows = [r for r in selectors.meeting_attendance(meeting) if admin or r.authority.pk in mine]
    if not rows:
        raise Http404
    attendance_forms = []
    for row in rows:
        initial = {}
        if row.attendance is not None:
            initial = {"status": row.attendance.status, "person": row.attendance.person_id}
        attendance_forms.append(
            forms.AttendanceForm(
                request.POST or None,
                prefix=f"a{row.authority.pk}",
                initial=initial,
                authority=row.authority,
                people=selectors.people_for_authority(row.authority),
            )
        )
    if request.method == "POST" and all(f.is_valid() for f in attendance_forms):
        saved = _save_attendance(request.user, meeting, attendance_forms)
        if saved is not None:
            messages.success(request, f"Attendance saved for {saved} authorities.")
            return redirect(meeting)
    errors = [(f, field, e) for f in attendance_forms for field in f for e in field.errors]
    return render(
        request,
        "networks/attendance_form.html",
        {
            "nav": "networks",
            "meeting": meeting,
            "pairs": list(zip(rows, attendance_forms, strict=True)),
            "errors": errors,
        },
    )


def _save_attendance(user, meeting: Meeting, attendance_forms) -> int | None:
    """Save every changed row, or none: returns how many were saved, None on a refusal."""
    count = 0
    with transaction.atomic():
        for form in attendance_forms:
            status = form.cleaned_data.get("status")
            if not status:
                continue
            try:
                services.attendance_record(
                    actor=user,
                    meeting=meeting,
                    authority=form.authority,
                    status=status,
                    person=form.cleaned_data.get("person"),
                )
            except services.NetworkError as error:
                _service_error(form, error)
                transaction.set_rollback(True)
                return None
            count += 1
    return count


@login_required
def decision_add(request, pk: int):
    require_admin_or_404(request.user)
    meeting = _meeting_or_404(pk)
    form = forms.DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_add(actor=request.user, meeting=meeting, **form.cleaned_data)
        except services.NetworkError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Decision recorded.")
            return redirect(f"{meeting.get_absolute_url()}#decisions")
    return render(
        request,
        "core/form.html",
        {
            "nav": "networks",
            "form": form,
            "title": f"Record a decision: {meeting}",
            "submit": "Record the decision",
            "back_url": meeting.get_absolute_url(),
        },
    )


def _action_form(request, *, meeting: Meeting, action: Action | None):
    """Record or change an action. The owner is found by a search (the Search button, or live
    with htmx, which posts the same form and swaps only the results): a search brings the form
    back with everything typed and no errors; saving validates as usual."""
    form_class = forms.ActionForm if action is None else forms.ActionEditForm
    searching = request.method == "POST" and "find" in request.POST
    if searching:
        form = form_class(initial=form_class.typed(request.POST))
    elif request.method == "POST":
        form = form_class(request.POST)
    elif action is not None:
        form = form_class(
            initial={
                "description": action.description,
                "owner": action.owner_id,
                "due": action.due,
                "status": action.status,
            }
        )
    else:
        form = form_class()
    if request.method == "POST" and not searching and form.is_valid():
        try:
            if action is None:
                services.action_add(actor=request.user, meeting=meeting, **form.cleaned_data)
                messages.success(request, "Action recorded.")
            else:
                services.action_update(actor=request.user, action=action, data=form.cleaned_data)
                messages.success(request, "Action saved.")
        except services.NetworkError as error:
            _service_error(form, error)
        else:
            return redirect(f"{meeting.get_absolute_url()}#actions")
    chosen = people_search.chosen_pk(form["owner"].value())
    return render(
        request,
        "networks/action_form.html",
        {
            "nav": "networks",
            "form": form,
            "meeting": meeting,
            "action": action,
            "owners": pickers.owner_search(request.POST.get("owner_q", ""), keep=chosen),
            "chosen": chosen,
            "current_owner": action.owner_id if action is not None else None,
            "title": f"{'Record' if action is None else 'Change'} an action: {meeting}",
            "submit": "Record the action" if action is None else "Save the action",
        },
    )


@login_required
def action_add(request, pk: int):
    require_admin_or_404(request.user)
    return _action_form(request, meeting=_meeting_or_404(pk), action=None)


@login_required
def action_edit(request, pk: int):
    require_admin_or_404(request.user)
    action = get_object_or_404(Action.objects.select_related("meeting__group"), pk=pk)
    return _action_form(request, meeting=action.meeting, action=action)


@login_required
def overdue_actions(request):
    admin = is_regional_admin(request.user)
    if request.method == "POST":
        require_admin_or_404(request.user)
        services.actions_remind_overdue(actor=request.user)
        messages.success(request, "Reminders are on their way to the owners of overdue actions.")
        return redirect("networks:action-overdue")
    return render(
        request,
        "networks/action_overdue.html",
        {
            "nav": "networks",
            "page": Paginator(selectors.overdue_actions(today()), OVERDUE_PAGE).get_page(
                request.GET.get("page")
            ),
            "today": today(),
            "can_manage": admin,
        },
    )


# Engagement ----------------------------------------------------------------------------------


def _period(form: forms.PeriodForm, version: str) -> selectors.Period:
    """The period asked for, or the latest quarter with a meeting when the form is empty or
    wrong (its errors are shown beside the fields)."""
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    kind = cleaned.get("kind") or "quarter"
    on = cleaned.get("on")
    if on is None:
        # Default to the latest quarter in which a meeting was held, so the page is never empty
        # just because the current quarter has barely begun.
        latest = remember([version], "latest-meeting", _latest_meeting)
        on = latest or today()
    return selectors.period_for(kind, on, cleaned.get("start"), cleaned.get("end"))


def _latest_meeting():
    return Meeting.objects.filter(date__lte=today()).aggregate(d=Max("date"))["d"]


def _xlsx(table, name: str) -> HttpResponse:
    response = HttpResponse(
        tracker_workbook(table),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{table.period.start}-{table.period.end}.xlsx"'
    )
    return response


def _user_authority_ids(user) -> set[int]:
    """The authorities a user works for or coordinates: what places them in a region."""
    ids = set(coordinated_ids(user))
    if getattr(user, "organisation_id", None):
        ids.add(user.organisation_id)
    return ids


@login_required
def engagement_regional(request):
    """One network and the groups reporting to it, a page of groups at a time.

    The whole table (and the totals) is computed only when the cached fragment is missing; a
    spreadsheet holds every group of the network, the screen and the printable page one page.
    """
    require_admin_or_404(request.user)
    # Read once: every remembered part of the page is kept under this token.
    version = data_version(CACHE_NAMESPACE)
    mine = _user_authority_ids(request.user)
    scopes = remember(
        [version], "engagement-scopes", lambda: selectors.engagement_scopes(mine), *sorted(mine)
    )
    data = request.GET.copy()
    if not data.get("network") and scopes.default is not None:
        data["network"] = str(scopes.default)
    form = forms.RegionalEngagementForm(data, scopes=scopes.trees)
    period = _period(form, version)
    # A network not in the list is reported beside the field, and the default shown instead.
    chosen = form.cleaned_data.get("network") or scopes.default
    scope_groups = (
        remember(
            [version],
            "engagement-scope",
            lambda: selectors.engagement_scope_groups(chosen),
            chosen,
        )
        if chosen
        else []
    )
    page = Paginator(scope_groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    table = Deferred(lambda: selectors.engagement(period, today=today(), columns=scope_groups))
    if request.GET.get("format") == "xlsx":
        return _xlsx(table.resolve(), "engagement")
    template = (
        "networks/engagement_print.html"
        if request.GET.get("print")
        else "networks/engagement_regional.html"
    )
    return render(
        request,
        template,
        {
            "nav": "networks",
            "form": form,
            "period": period,
            "scope": scope_groups[0] if scope_groups else None,
            "children_count": max(len(scope_groups) - 1, 0),
            "page": page,
            "table": table,
            "rows": Deferred(lambda: table.by_authority(list(page.object_list))),
            "totals": Deferred(lambda: selectors.engagement_totals(table.resolve())),
            # Authority names and the posts people held come from the directory.
            "directory_version": data_version("directory"),
        },
    )


@login_required
def engagement_authority(request, pk: int):
    authority = access_authority_tracker(request.user, pk)
    form = forms.PeriodForm(request.GET or None)
    period = _period(form, data_version(CACHE_NAMESPACE))
    table = Deferred(lambda: selectors.engagement(period, today=today(), authority=authority))
    if request.GET.get("format") == "xlsx":
        return _xlsx(table.resolve(), f"engagement-{authority.pk}")
    rows = Deferred(lambda: table.rows_for(authority))
    if request.GET.get("print"):
        # The printable page is the whole tracker; the screen shows it a page at a time.
        template, shown, page = "networks/engagement_print.html", rows, None
    else:
        page = Deferred(
            lambda: Paginator(rows.resolve(), TRACKER_PAGE).get_page(request.GET.get("page"))
        )
        template, shown = "networks/engagement_authority.html", page
    return render(
        request,
        template,
        {
            "nav": "networks",
            "form": form,
            "period": period,
            "table": table,
            "authority": authority,
            "authority_rows": shown,
            "page": page,
            "totals": Deferred(lambda: selectors.authority_totals(rows.resolve())),
            "directory_version": data_version("directory"),
        },
    )


@login_required
@require_POST
def engagement_email(request):
    require_admin_or_404(request.user)
    period = _period(forms.PeriodForm(request.GET or None), data_version(CACHE_NAMESPACE))
    sent = services.engagement_email_authorities(
        actor=request.user, start=period.start, end=period.end
    )
    messages.success(
        request,
        f"Trackers for {period.label} are on their way to {len(sent)} authorities' coordinators.",
    )
    return redirect(f"{request.path.rsplit('email/', 1)[0]}?{request.GET.urlencode()}")
