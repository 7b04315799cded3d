"""Importing the region's appointments spreadsheet: one row per appointment.

Reading (`read_sheet`) turns an uploaded CSV or XLSX file into rows or refuses the whole file
with `ImportFileError`. Importing (`directory_import`) runs every row through the directory's
own services inside one transaction and rolls it back unless asked to commit and every row was
accepted, so a check and a real import always reach the same verdict. The column layout is
documented in docs/import.md.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import DataError, IntegrityError, transaction

from regionhub.core.permissions import is_regional_admin, require

from .models import Appointment, Organisation, Person, Post
from .services import (
    DirectoryError,
    PossibleDuplicate,
    appointment_create,
    appointment_update,
    person_create,
    post_create,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# Wider sheets are someone's working copy with notes to the right; the columns we read come first.
MAX_COLUMNS = 100
MAX_HOLDERS = 1000

REQUIRED_COLUMNS = ["person_name", "post_title", "post_organisation", "start"]
OPTIONAL_COLUMNS = [
    "person_email",
    "person_organisation",
    "post_category",
    "max_holders",
    "end",
    "end_approximate",
    "basis",
    "on_behalf_of",
    "approximate",
]
COLUMNS = [
    "person_name",
    "person_email",
    "person_organisation",
    "post_title",
    "post_organisation",
    "post_category",
    "max_holders",
    "start",
    "end",
    "basis",
    "on_behalf_of",
    "approximate",
    "end_approximate",
]


class ImportFileError(Exception):
    """The file as a whole cannot be read; no row is looked at."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RowError(Exception):
    """One row is refused, with the reason shown beside its line number."""


@dataclass
class Row:
    line: int
    values: dict[str, Any]

    def text(self, column: str) -> str:
        value = self.values.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return " ".join(str(value).split())


@dataclass
class Sheet:
    rows: list[Row]
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class Rejection:
    line: int
    reason: str


@dataclass
class ImportReport:
    committed: bool = False
    rows: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    people_created: int = 0
    people_matched: int = 0
    posts_created: int = 0
    posts_matched: int = 0
    appointments_created: int = 0
    appointments_updated: int = 0
    unchanged_lines: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


# Reading the file ----------------------------------------------------------------------------


def column_name(header: Any) -> str:
    text = "" if header is None else str(header)
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def read_sheet(uploaded_file) -> Sheet:
    """The data rows of an uploaded CSV or XLSX file, or ImportFileError saying what is wrong."""
    return _sheet_from_table(read_table(uploaded_file))


def read_table(uploaded_file):
    """The raw rows (lists of cells) of an uploaded CSV or XLSX file, header included.

    Checks size, emptiness and type first; other imports build on this with their own columns.
    Raises ImportFileError with a message for the person who uploaded the file.
    """
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise ImportFileError("The file must be smaller than 5 MB.")
    data = uploaded_file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError("The file must be smaller than 5 MB.")
    if not data.strip():
        raise ImportFileError("The file is empty.")
    name = (getattr(uploaded_file, "name", "") or "").lower()
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        table = _xlsx_table(data)
    elif name.endswith((".csv", ".txt")):
        table = _csv_table(data)
    else:
        raise ImportFileError("The file must be a CSV file or an Excel (.xlsx) spreadsheet.")
    return table


def read_rows(uploaded_file) -> list[Row]:
    return read_sheet(uploaded_file).rows


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel's plain "CSV" on Windows is Windows-1252.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "The file's characters could not be read. Save it as 'CSV UTF-8' and try again."
        ) from exc


def _csv_table(data: bytes):
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError("The file is not a CSV file. Save it as 'CSV UTF-8' and try again.")
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportFileError(
            f"The file could not be read as CSV (line {reader.line_num}): {exc}."
        ) from exc


def _xlsx_table(data: bytes):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken workbook
        raise ImportFileError(
            "The file is not a valid Excel spreadsheet. Save it as .xlsx or CSV and try again."
        ) from exc
    try:
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield list(row)
    except Exception as exc:  # noqa: BLE001 - a damaged sheet fails part-way through
        raise ImportFileError(
            "Part of the spreadsheet could not be read. Save it again as .xlsx and try again."
        ) from exc
    finally:
        workbook.close()


def _unescape(value: str) -> str:
    """Undo the apostrophe our exports put before text a spreadsheet would run as a formula."""
    if value.startswith("'") and value[1:2] in {"=", "+", "-", "@"}:
        return value[1:]
    return value


def is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _sheet_from_table(table) -> Sheet:
    header: list[str] | None = None
    rows: list[Row] = []
    # Spreadsheet line numbers: the header is line 1 and blank lines still count.
    for line, cells in enumerate(table, start=1):
        cells = list(cells)[:MAX_COLUMNS]
        if header is None:
            if is_blank(cells):
                raise ImportFileError("The first line must be the header row naming the columns.")
            header = [column_name(c) for c in cells]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise ImportFileError(
                    "The header row is missing these columns: "
                    + ", ".join(missing)
                    + ". Download the template to see the columns."
                )
            continue
        if is_blank(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
            )
        values = {}
        for name, value in zip(header, cells, strict=False):
            if name in COLUMNS and name not in values:
                values[name] = _unescape(value.strip()) if isinstance(value, str) else value
        rows.append(Row(line=line, values=values))
    if header is None:
        raise ImportFileError("The file is empty.")
    if not rows:
        raise ImportFileError("The file has a header row but no rows below it.")
    ignored = sorted({c for c in header if c and c not in COLUMNS})
    return Sheet(rows=rows, ignored_columns=ignored)


# Reading one row's values --------------------------------------------------------------------

_MONTH_FORMATS = ["%b %Y", "%B %Y", "%m/%Y", "%Y-%m"]
_DAY_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d %B %Y",
    "%d %b %Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
]
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0", ""}


def parse_date(value: Any, column: str) -> tuple[datetime.date | None, bool]:
    """(date, only the month is known); (None, False) for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    if isinstance(value, datetime.datetime):
        return value.date(), False
    if isinstance(value, datetime.date):
        return value, False
    text = " ".join(str(value).split())
    # "1st June 2023" and "Sept 2023" are how people write dates in these sheets.
    cleaned = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text, flags=re.IGNORECASE)
    cleaned = re.sub(r"\bsept\b", "Sep", cleaned, flags=re.IGNORECASE)
    for fmt in _DAY_FORMATS:
        try:
            return datetime.datetime.strptime(cleaned, fmt).date(), False
        except ValueError:
            continue
    for fmt in _MONTH_FORMATS:
        try:
            return datetime.datetime.strptime(cleaned, fmt).date(), True
        except ValueError:
            continue
    raise RowError(f"{column} '{text}' is not a date. Write it like 1 June 2023 or 2023-06-01.")


def parse_yes_no(value: Any, column: str) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise RowError(f"{column} must be yes or no, not '{value}'.")


def _choice(value: str, choices, column: str) -> str:
    wanted = value.strip().lower()
    for code, label in choices:
        if wanted in {code.lower(), str(label).lower()}:
            return code
    allowed = ", ".join(code for code, _ in choices)
    raise RowError(f"{column} '{value}' is not one of: {allowed}.")


def _normalise_name(name: str) -> str:
    name = name.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^\w\s]", " ", name).split())


class OrganisationIndex:
    """Organisations by name or short name, ignoring case, punctuation and '&' versus 'and'."""

    def __init__(self, organisations):
        self._by_key: dict[str, set[Organisation]] = {}
        for organisation in organisations:
            for name in {organisation.name, organisation.short_name}:
                if name:
                    self._by_key.setdefault(_normalise_name(name), set()).add(organisation)

    def find(self, name: str, column: str) -> Organisation | None:
        if not name:
            return None
        matches = self._by_key.get(_normalise_name(name), set())
        if not matches:
            raise RowError(f"Unknown organisation '{name}' in {column}.")
        if len(matches) > 1:
            raise RowError(
                f"'{name}' in {column} could be any of "
                + ", ".join(sorted(o.name for o in matches))
                + "; use the full name."
            )
        return next(iter(matches))


@dataclass
class _Parsed:
    person_name: str
    person_email: str
    person_organisation: Organisation | None
    post_title: str
    post_organisation: Organisation
    post_category: str
    max_holders: int
    appointment: dict[str, Any]

    @property
    def key(self) -> tuple:
        person = self.person_email or (self.person_name.lower(), self.person_organisation)
        return (person, self.post_title.lower(), self.post_organisation, self.appointment["start"])


def _required(row: Row, column: str) -> str:
    value = row.text(column)
    if not value:
        raise RowError(f"{column} is missing.")
    return value


def _parse_row(row: Row, organisations: OrganisationIndex) -> _Parsed:
    problems = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except RowError as exc:
            problems.append(str(exc))
            return None

    person_name = attempt(_required, row, "person_name")
    post_title = attempt(_required, row, "post_title")
    post_org_name = attempt(_required, row, "post_organisation")
    post_organisation = attempt(organisations.find, post_org_name or "", "post_organisation")
    person_organisation = attempt(
        organisations.find, row.text("person_organisation"), "person_organisation"
    )
    on_behalf_of = attempt(organisations.find, row.text("on_behalf_of"), "on_behalf_of")
    email = row.text("person_email").lower()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problems.append(f"person_email '{email}' is not an email address.")

    # The database refuses longer values, which would otherwise end the whole import.
    for column, value, limit in [
        ("person_name", person_name, Person._meta.get_field("name").max_length),
        ("person_email", email, Person._meta.get_field("email").max_length),
        ("post_title", post_title, Post._meta.get_field("title").max_length),
    ]:
        if limit and value and len(value) > limit:
            problems.append(f"{column} is longer than {limit} characters.")

    start, start_month_only = attempt(parse_date, row.values.get("start"), "start") or (None, False)
    if start is None and not any(p.startswith("start") for p in problems):
        problems.append("start is missing.")
    end, end_month_only = attempt(parse_date, row.values.get("end"), "end") or (None, False)
    approximate = attempt(parse_yes_no, row.values.get("approximate"), "approximate")
    end_approximate = attempt(parse_yes_no, row.values.get("end_approximate"), "end_approximate")

    category = Post.Category.OTHER
    if row.text("post_category"):
        category = attempt(
            _choice, row.text("post_category"), Post.Category.choices, "post_category"
        )
    basis = Appointment.Basis.SUBSTANTIVE
    if row.text("basis"):
        basis = attempt(_choice, row.text("basis"), Appointment.Basis.choices, "basis")
    max_holders = 1
    if row.text("max_holders"):
        try:
            max_holders = int(row.text("max_holders"))
            if not 1 <= max_holders <= MAX_HOLDERS:
                raise ValueError
        except ValueError:
            problems.append(
                f"max_holders must be a whole number from 1 to {MAX_HOLDERS}, "
                f"not '{row.text('max_holders')}'."
            )
    if start and end and end < start:
        problems.append(
            f"The end date ({end:%-d %B %Y}) is before the start date ({start:%-d %B %Y})."
        )
    if problems:
        raise RowError(" ".join(problems))
    return _Parsed(
        person_name=person_name,
        person_email=email,
        person_organisation=person_organisation,
        post_title=post_title,
        post_organisation=post_organisation,
        post_category=category,
        max_holders=max_holders,
        appointment={
            "start": start,
            "start_approximate": bool(approximate or start_month_only),
            "end": end,
            "end_approximate": bool(end_approximate or end_month_only),
            "basis": basis,
            "on_behalf_of": on_behalf_of,
        },
    )


# Importing -----------------------------------------------------------------------------------


class _RollBack(Exception):
    """Raised to undo a check, or an import in which a row was refused."""


def directory_import(*, actor, rows: list[Row], commit: bool) -> ImportReport:
    """Run every row through the directory services; keep the result only if all rows pass.

    With `commit` false (a check), or with any row refused, everything is rolled back, so the
    report of a check is exactly what an import of the same file would do.
    """
    require(is_regional_admin(actor), "Only regional admins can import the directory.")
    report = ImportReport(rows=len(rows))
    try:
        with transaction.atomic():
            _Importer(actor, report).run(rows)
            if not commit or report.rejected:
                raise _RollBack
    except _RollBack:
        return report
    report.committed = True
    return report


class _Importer:
    def __init__(self, actor, report: ImportReport):
        self.actor = actor
        self.report = report
        self.organisations = OrganisationIndex(Organisation.objects.all())
        self.seen: dict[tuple, int] = {}
        self.people_seen: set[int] = set()
        self.posts_seen: set[int] = set()
        # Which line of this file created each appointment, to name it in overlap messages.
        self.created_lines: dict[int, int] = {}

    def run(self, rows: list[Row]) -> None:
        for row in rows:
            try:
                parsed = _parse_row(row, self.organisations)
                first = self.seen.setdefault(parsed.key, row.line)
                if first != row.line:
                    raise RowError(f"Duplicate row: line {first} has the same appointment.")
                # Each row is all or nothing, so a refused row leaves no person or post behind
                # for later rows to match, and is not counted.
                with transaction.atomic():
                    person, person_created = self._person(parsed)
                    post, post_created = self._post(parsed)
                    outcome = self._appointment(row, parsed, person, post)
            except RowError as exc:
                self.report.rejected.append(Rejection(row.line, str(exc)))
                continue
            except DirectoryError as exc:
                self.report.rejected.append(Rejection(row.line, exc.message))
                continue
            except (DataError, IntegrityError) as exc:
                # The row's savepoint has been rolled back, so the other rows can still be
                # checked; the database's own words are the best reason available.
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.report.rejected.append(
                    Rejection(row.line, f"The database refused this row: {reason}")
                )
                continue
            self._count(person.pk, person_created, self.people_seen, "people")
            self._count(post.pk, post_created, self.posts_seen, "posts")
            if outcome == "unchanged":
                self.report.unchanged_lines.append(row.line)
            else:
                setattr(
                    self.report,
                    f"appointments_{outcome}",
                    getattr(self.report, f"appointments_{outcome}") + 1,
                )

    def _count(self, pk: int, created: bool, seen: set[int], kind: str) -> None:
        if pk in seen:
            return
        seen.add(pk)
        counter = f"{kind}_{'created' if created else 'matched'}"
        setattr(self.report, counter, getattr(self.report, counter) + 1)

    def _appointment(self, row: Row, parsed: _Parsed, person: Person, post: Post) -> str:
        data = parsed.appointment
        existing = Appointment.objects.filter(person=person, post=post, start=data["start"]).first()
        if existing is not None:
            # The file may add an end date to an appointment already recorded; it never clears
            # one, because a blank cell in an old copy of the sheet is not news.
            if data["end"] is not None and (
                existing.end != data["end"] or existing.end_approximate != data["end_approximate"]
            ):
                appointment_update(
                    actor=self.actor,
                    appointment=existing,
                    data={"end": data["end"], "end_approximate": data["end_approximate"]},
                )
                return "updated"
            return "unchanged"
        try:
            appointment = appointment_create(actor=self.actor, post=post, person=person, data=data)
        except DirectoryError as exc:
            raise DirectoryError(exc.message + self._clashing_lines(post, data)) from exc
        self.created_lines[appointment.pk] = row.line
        return "created"

    def _clashing_lines(self, post: Post, data: dict[str, Any]) -> str:
        clashes = post.appointments.overlapping(data["start"], data["end"])
        lines = sorted(
            self.created_lines[pk]
            for pk in clashes.values_list("pk", flat=True)
            if pk in self.created_lines
        )
        if not lines:
            return ""
        return " (from line " + ", ".join(str(n) for n in lines) + " of this file)"

    def _person(self, parsed: _Parsed) -> tuple[Person, bool]:
        person = self._find_person(parsed)
        if person is not None:
            return person, False
        try:
            person = person_create(
                actor=self.actor,
                data={
                    "name": parsed.person_name,
                    "email": parsed.person_email,
                    "organisation": parsed.person_organisation,
                },
            )
        except PossibleDuplicate as exc:
            others = ", ".join(
                f"{m.name} ({m.email or 'no email'}, {m.organisation or 'no organisation'})"
                for m in exc.matches
            )
            raise RowError(
                f"{parsed.person_name} may already be in the directory as {others}. Use the "
                "same email, or add this person by hand if they are someone else."
            ) from exc
        return person, True

    def _find_person(self, parsed: _Parsed) -> Person | None:
        if parsed.person_email:
            by_email = list(Person.objects.filter(email__iexact=parsed.person_email)[:2])
            if len(by_email) == 1:
                return by_email[0]
            if len(by_email) > 1:
                raise RowError(
                    f"More than one person in the directory has the email {parsed.person_email}."
                )
        same_name = Person.objects.filter(name__iexact=parsed.person_name)
        if parsed.person_organisation is not None:
            same_name = same_name.filter(organisation=parsed.person_organisation)
        if parsed.person_email:
            # Someone of the same name with a different email is another person.
            same_name = same_name.filter(email="")
        matches = list(same_name[:2])
        if len(matches) > 1:
            raise RowError(
                f"More than one {parsed.person_name} is in the directory; "
                "add person_email or person_organisation to say which."
            )
        return matches[0] if matches else None

    def _post(self, parsed: _Parsed) -> tuple[Post, bool]:
        post = Post.objects.filter(
            organisation=parsed.post_organisation, title__iexact=parsed.post_title
        ).first()
        if post is not None:
            return post, False
        post = post_create(
            actor=self.actor,
            data={
                "title": parsed.post_title,
                "organisation": parsed.post_organisation,
                "category": parsed.post_category,
                "max_holders": parsed.max_holders,
            },
        )
        return post, True
