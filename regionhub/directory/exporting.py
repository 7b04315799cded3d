"""The directory's lists as CSV (streamed) and XLSX downloads.

Each list is a queryset from the selectors plus its columns. The appointments list uses the
import's column names, so an export can be edited and imported again (see docs/import.md).
"""

import csv
import datetime
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from django.db.models import Q
from django.http import FileResponse, StreamingHttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import content_disposition_header

from . import selectors
from .importing import COLUMNS as IMPORT_COLUMNS
from .models import Appointment, Post, today

FORMATS = {"csv", "xlsx"}
CHUNK_SIZE = 2000
# Spreadsheet programs run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class UnknownList(Exception):
    pass


class ExportError(Exception):
    """A query parameter the list cannot use, with a message a person can read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Column:
    header: str
    value: Callable[[Any], Any]


@dataclass
class Table:
    name: str
    columns: list[Column]
    rows: Iterable[Any]
    private: bool = False


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _name(organisation) -> str:
    return organisation.name if organisation is not None else ""


def _stream(queryset) -> Iterator[Any]:
    return queryset.iterator(chunk_size=CHUNK_SIZE)


def organisations_table(params, user) -> Table:
    members = {"1": True, "0": False}.get(params.get("members", ""))
    queryset = selectors.organisations_list(members=members, query=params.get("q", "").strip())
    columns = [
        Column("name", lambda o: o.name),
        Column("short_name", lambda o: o.short_name),
        Column("kind", lambda o: o.kind),
        Column("is_member", lambda o: _yes_no(o.is_member)),
        Column("website", lambda o: o.website),
        Column("email_domains", lambda o: o.email_domains),
        Column("urn", lambda o: o.urn),
    ]
    return Table("organisations", columns, _stream(queryset))


def people_table(params, user) -> Table:
    signed_in = user.is_authenticated
    query = params.get("q", "").strip()
    if signed_in:
        queryset = selectors.people_search(query)
    else:
        # The list page also searches email addresses; anonymous visitors must not be able
        # to test whether an address is in the directory.
        queryset = selectors.people_search().filter(name__icontains=query)
    columns = [
        Column("name", lambda p: p.name),
        Column("organisation", lambda p: _name(p.organisation)),
    ]
    if signed_in:
        columns += [Column("email", lambda p: p.email), Column("phone", lambda p: p.phone)]
    return Table("people", columns, _stream(queryset), private=signed_in)


def posts_table(params, user) -> Table:
    category = params.get("category", "")
    if category and category not in Post.Category.values:
        raise ExportError(f"There is no post category '{category}'.")
    queryset = selectors.posts_search(params.get("q", "").strip(), category)
    columns = [
        Column("title", lambda p: p.title),
        Column("organisation", lambda p: p.organisation.name),
        Column("category", lambda p: p.category),
        Column("max_holders", lambda p: p.max_holders),
        Column("abolished", lambda p: p.abolished),
    ]
    return Table("posts", columns, _stream(queryset))


def appointments_table(params, user) -> Table:
    on = params.get("on", "").strip()
    if on:
        try:
            date = datetime.date.fromisoformat(on)
        except ValueError as exc:
            raise ExportError(f"'{on}' is not a date; write it like 2024-01-31.") from exc
        queryset = selectors.appointments_on(date)
    else:
        queryset = Appointment.objects.with_related().order_by(
            "post__organisation__name", "post__title", "start", "pk"
        )
    query = params.get("q", "").strip()
    if query:
        queryset = queryset.filter(
            Q(person__name__icontains=query) | Q(post__title__icontains=query)
        )
    queryset = queryset.select_related("person__organisation")
    values: dict[str, Callable[[Appointment], Any]] = {
        "person_name": lambda a: a.person.name,
        "person_email": lambda a: a.person.email,
        "person_organisation": lambda a: _name(a.person.organisation),
        "post_title": lambda a: a.post.title,
        "post_organisation": lambda a: a.post.organisation.name,
        "post_category": lambda a: a.post.category,
        "max_holders": lambda a: a.post.max_holders,
        "start": lambda a: a.start,
        "end": lambda a: a.end,
        "basis": lambda a: a.basis,
        "on_behalf_of": lambda a: _name(a.on_behalf_of),
        "approximate": lambda a: _yes_no(a.start_approximate),
        "end_approximate": lambda a: _yes_no(a.end_approximate),
    }
    signed_in = user.is_authenticated
    columns = [
        Column(name, values[name]) for name in IMPORT_COLUMNS if signed_in or name != "person_email"
    ]
    return Table("appointments", columns, _stream(queryset), private=signed_in)


def import_template_table(params, user) -> Table:
    example = {
        "person_name": "Alex Example",
        "person_email": "alex.example@example.gov.uk",
        "person_organisation": "Dudley",
        "post_title": "Director of Children's Services",
        "post_organisation": "Dudley",
        "post_category": Post.Category.DIRECTOR.value,
        "max_holders": 1,
        "start": datetime.date(2023, 6, 1),
        "end": None,
        "basis": Appointment.Basis.INTERIM.value,
        "on_behalf_of": "",
        "approximate": "no",
        "end_approximate": "no",
    }
    columns = [Column(name, itemgetter(name)) for name in IMPORT_COLUMNS]
    return Table("import-template", columns, [example])


TABLES: dict[str, Callable[[Any, Any], Table]] = {
    "organisations": organisations_table,
    "people": people_table,
    "posts": posts_table,
    "appointments": appointments_table,
    "import-template": import_template_table,
}


def build_table(listname: str, params, user) -> Table:
    try:
        builder = TABLES[listname]
    except KeyError:
        raise UnknownList(listname) from None
    return builder(params, user)


# Responses -----------------------------------------------------------------------------------


def _filename(table: Table, fmt: str) -> str:
    if table.name == "import-template":
        return f"regionhub-import-template.{fmt}"
    return f"regionhub-{table.name}-{today():%Y-%m-%d}.{fmt}"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte order mark makes Excel read the file as UTF-8 rather than Windows-1252.
    yield "\ufeff" + writer.writerow([c.header for c in table.columns])
    batch: list[str] = []
    for obj in table.rows:
        batch.append(writer.writerow([_csv_value(c.value(obj)) for c in table.columns]))
        if len(batch) >= 500:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def csv_response(table: Table) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_filename(table, "csv")
    )
    return response


def _xlsx_value(sheet, value: Any) -> Any:
    """The value as openpyxl should write it; a cell object only where the default is wrong."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            # Stored as text, a leading "=" is shown, never calculated.
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
    elif isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def xlsx_response(table: Table) -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.name[:31])
    sheet.freeze_panes = "A2"
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for obj in table.rows:
        sheet.append([_xlsx_value(sheet, c.value(obj)) for c in table.columns])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook.save(output)
    output.seek(0)
    return FileResponse(
        output,
        as_attachment=True,
        filename=_filename(table, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_response(table: Table, fmt: str):
    response = csv_response(table) if fmt == "csv" else xlsx_response(table)
    patch_vary_headers(response, ["Cookie"])
    if table.private:
        # Contact details must not sit in a shared cache.
        patch_cache_control(response, private=True, no_store=True)
    return response
