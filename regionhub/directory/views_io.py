"""Import and export of the directory (spreadsheets in, CSV and XLSX out)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render

from regionhub.core.permissions import is_regional_admin

from . import exporting
from .forms_io import ImportForm
from .importing import directory_import as run_import


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _summary(file_name: str, report) -> str:
    summary = "Imported {}: added {}, {} and {}.".format(
        file_name,
        _count(report.people_created, "person", "people"),
        _count(report.posts_created, "post", "posts"),
        _count(report.appointments_created, "appointment", "appointments"),
    )
    if report.appointments_updated:
        summary += " Added end dates to {}.".format(
            _count(report.appointments_updated, "appointment", "appointments")
        )
    if report.unchanged_lines:
        summary += " {} already in the directory.".format(
            _count(len(report.unchanged_lines), "row was", "rows were")
        )
    return summary


@login_required
def directory_import(request):
    if not is_regional_admin(request.user):
        raise Http404
    report = None
    commit = request.POST.get("action") == "import"
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            report = run_import(actor=request.user, rows=form.sheet.rows, commit=commit)
            if report.committed:
                messages.success(request, _summary(form.cleaned_data["file"].name, report))
                # Redirect so that reloading the page cannot import the file twice.
                return redirect("directory:import")
    else:
        form = ImportForm()
    return render(
        request,
        "directory/import.html",
        {
            "form": form,
            "report": report,
            "commit": commit,
            "ignored_columns": form.sheet.ignored_columns,
            "file_name": form.cleaned_data["file"].name if report else "",
        },
    )


def directory_export(request, listname: str, fmt: str):
    if fmt not in exporting.FORMATS:
        raise Http404
    try:
        table = exporting.build_table(listname, request.GET, request.user)
    except exporting.UnknownList:
        raise Http404 from None
    except exporting.ExportError as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    return exporting.export_response(table, fmt)
