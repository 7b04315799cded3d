"""Inspection pages. Everyone signed in reads; only regional admins change anything.

Change pages answer 404 to anyone else, exactly as for a missing record.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from regionhub.core.audit import audit_entries_for
from regionhub.core.deferred import Deferred
from regionhub.core.pagecache import data_version
from regionhub.core.permissions import is_regional_admin
from regionhub.directory.models import Organisation, today

from . import forms, selectors, services
from .charts import build_chart
from .importing import inspections_import
from .models import Inspection


def require_admin_or_404(user) -> None:
    if not is_regional_admin(user):
        raise Http404


def access_inspection_for_edit(user, pk: int) -> Inspection:
    require_admin_or_404(user)
    return get_object_or_404(Inspection.objects.select_related("authority", "framework"), pk=pk)


def _service_error(form, error: services.InspectionError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def ambition(request):
    form = forms.AsAtForm(request.GET or {"date": today().isoformat()})
    context = {"nav": "inspections", "form": form, "can_manage": is_regional_admin(request.user)}
    if form.is_valid():
        date = form.cleaned_data["date"]
        # Deferred: the numbers sit in a fragment cached until inspections or the directory
        # change, so a cached page costs no queries for them.
        result = Deferred(lambda: selectors.ambition_on(date))
        series = Deferred(lambda: selectors.ambition_series(date))
        context.update(
            date=date,
            directory_version=data_version("directory"),
            ambition=result,
            series=series,
            chart=Deferred(lambda: build_chart(series, result.total, result.wanted)),
        )
    return render(request, "inspections/ambition.html", context)


@login_required
def authority(request, pk: int):
    organisation = get_object_or_404(
        Organisation, pk=pk, kind__in=[Organisation.Kind.COUNCIL, Organisation.Kind.TRUST]
    )
    standing = Deferred(lambda: selectors.authority_standing(organisation, today()))
    inspections = Deferred(lambda: selectors.authority_inspections(organisation))
    admin = is_regional_admin(request.user)
    return render(
        request,
        "inspections/authority_detail.html",
        {
            "nav": "inspections",
            "organisation": organisation,
            "standing": standing,
            "next": Deferred(lambda: selectors.next_ilacs_window(standing.resolve())),
            # The organisation's name appears in the cached history.
            "directory_version": data_version("directory"),
            "inspections": inspections,
            "can_manage": admin,
            "audit_entries": audit_entries_for(organisation.inspections.all()) if admin else None,
        },
    )


def _form_view(request, *, inspection: Inspection | None):
    if request.method == "POST":
        form = forms.InspectionForm(request.POST)
    elif inspection is not None:
        form = forms.InspectionForm(initial=forms.InspectionForm.initial_for(inspection))
    else:
        form = forms.InspectionForm(initial={"authority": request.GET.get("authority")})
    if request.method == "POST" and form.is_valid():
        data, judgements = form.data_and_judgements()
        try:
            if inspection is None:
                saved = services.inspection_create(
                    actor=request.user, data=data, judgements=judgements
                )
            else:
                saved = services.inspection_update(
                    actor=request.user, inspection=inspection, data=data, judgements=judgements
                )
        except services.InspectionError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect(saved)
    title = "Record an inspection" if inspection is None else f"Change the {inspection}"
    return render(
        request,
        "inspections/inspection_form.html",
        {"nav": "inspections", "form": form, "title": title, "inspection": inspection},
    )


@login_required
def inspection_create(request):
    require_admin_or_404(request.user)
    return _form_view(request, inspection=None)


@login_required
def inspection_edit(request, pk: int):
    return _form_view(request, inspection=access_inspection_for_edit(request.user, pk))


@login_required
def inspection_delete(request, pk: int):
    inspection = access_inspection_for_edit(request.user, pk)
    if request.method == "POST":
        authority_url = reverse("inspections:authority", args=[inspection.authority_id])
        services.inspection_delete(actor=request.user, inspection=inspection)
        messages.success(request, f"{inspection} deleted.")
        return redirect(authority_url)
    return render(
        request,
        "inspections/inspection_delete.html",
        {"nav": "inspections", "inspection": inspection},
    )


@login_required
def target_edit(request):
    require_admin_or_404(request.user)
    target = selectors.ambition_target()
    initial = (
        {"count": target.count, "percentage": target.percentage, "statement": target.statement}
        if target
        else {}
    )
    form = forms.AmbitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.ambition_set(actor=request.user, **form.cleaned_data)
        except services.InspectionError as error:
            _service_error(form, error)
        else:
            messages.success(request, "The ambition is saved.")
            return redirect("inspections:ambition")
    return render(request, "inspections/target_form.html", {"nav": "inspections", "form": form})


@login_required
def published(request):
    form = forms.PublishedForm(request.GET or forms.default_published_range(today()))
    context = {"nav": "inspections", "form": form}
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        found = selectors.inspections_published_between(start, end)
        context.update(
            start=start,
            end=end,
            inspections=[(i, selectors.inspection_summary(i)) for i in found],
        )
    return render(request, "inspections/published.html", context)


@login_required
def inspection_import(request):
    require_admin_or_404(request.user)
    report = None
    commit = request.POST.get("action") == "import"
    if request.method == "POST":
        form = forms.ImportForm(request.POST, request.FILES)
        if form.is_valid():
            report = inspections_import(actor=request.user, rows=form.sheet.rows, commit=commit)
            report.ignored_columns = form.sheet.ignored_columns
            if report.committed:
                messages.success(
                    request,
                    f"Imported {form.cleaned_data['file'].name}: {report.created} added, "
                    f"{report.updated} updated, {report.unchanged} unchanged, "
                    f"{len(report.skipped)} skipped.",
                )
                return redirect("inspections:import")
    else:
        form = forms.ImportForm()
    return render(
        request,
        "inspections/import.html",
        {
            "nav": "inspections",
            "form": form,
            "report": report,
            "commit": commit,
            "file_name": form.cleaned_data["file"].name if report else "",
        },
    )
