"""Import and export of the directory (spreadsheets in, CSV and XLSX out)."""

from django.http import Http404


def directory_import(request):
    raise Http404


def directory_export(request, listname: str, fmt: str):
    raise Http404
