"""Importing inspection outcomes from CSV or XLSX, including the published Ofsted ILACS scrape.

Files are read with the directory import's readers; each row then goes through the inspection
services inside one transaction that is rolled back unless asked to commit and no row was
refused, so a check and an import always agree. Rows for authorities that are not in the
directory are *skipped*, not refused: the national file lists all 153 English authorities and
the region's directory holds its own, so they are expected. The rules are in docs/inspections.md.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import DataError, IntegrityError, transaction

from regionhub.core.permissions import is_regional_admin, require
from regionhub.directory.importing import (
    MAX_COLUMNS,
    MAX_ROWS,
    ImportFileError,
    Row,
    RowError,
    column_name,
    is_blank,
    parse_date,
    read_table,
)
from regionhub.directory.models import Organisation

from .models import Grade, Inspection
from .services import InspectionError, framework_for, inspection_create, inspection_update

# The scrape's column names; "authority", "start" and the like are accepted as well.
ALIASES = {
    "urn": "urn",
    "local_authority": "authority",
    "authority": "authority",
    "la_name": "authority",
    "inspection_type": "type",
    "type": "type",
    "inspection_framework": "framework",
    "inspection_start_date": "start",
    "start": "start",
    "start_date": "start",
    "inspection_end_date": "end",
    "end": "end",
    "end_date": "end",
    "publication_date": "published",
    "published": "published",
    "inspection_link": "report_url",
    "report_url": "report_url",
    "overall_effectiveness_grade": "overall",
    "overall_inspection_grade": "overall",
    "overall_effectiveness": "overall",
    "help_and_protection_grade": "help_protection",
    "in_care_grade": "in_care",
    "care_leavers_grade": "care_leavers",
    "in_care_and_care_leavers_grade": "in_care_and_leavers",
    "impact_of_leaders_grade": "leaders",
    "theme": "theme",
    "jtai_theme": "theme",
}
GRADE_COLUMNS = [
    "overall",
    "help_protection",
    "in_care",
    "care_leavers",
    "in_care_and_leavers",
    "leaders",
]

_GRADES = {
    "outstanding": Grade.OUTSTANDING,
    "1": Grade.OUTSTANDING,
    "good": Grade.GOOD,
    "2": Grade.GOOD,
    "requires improvement": Grade.REQUIRES_IMPROVEMENT,
    "requires improvement to be good": Grade.REQUIRES_IMPROVEMENT,
    "ri": Grade.REQUIRES_IMPROVEMENT,
    "3": Grade.REQUIRES_IMPROVEMENT,
    "inadequate": Grade.INADEQUATE,
    "4": Grade.INADEQUATE,
}
# Cells that say "no judgement": empty, pandas' "nan", and the scrape's marker for a care
# leavers judgement that did not exist when the inspection took place.
_NO_GRADE = {"", "nan", "none", "n/a", "na", "-", "not judged", "inspection pre dates judgement"}
_TYPES = {
    "standard": Inspection.Type.ILACS_STANDARD,
    "short": Inspection.Type.ILACS_SHORT,
    "focused": Inspection.Type.FOCUSED_VISIT,
    "monitoring": Inspection.Type.MONITORING_VISIT,
}


@dataclass
class Rejection:
    line: int
    reason: str


@dataclass
class ImportReport:
    committed: bool = False
    rows: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    skipped: list[Rejection] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


# Reading the file ----------------------------------------------------------------------------


@dataclass
class Sheet:
    rows: list[Row]
    ignored_columns: list[str] = field(default_factory=list)


def read_inspection_sheet(uploaded_file) -> Sheet:
    """The rows of an uploaded CSV or XLSX file, keyed by our column names, or ImportFileError."""
    table = read_table(uploaded_file)
    header: list[str | None] | None = None
    rows: list[Row] = []
    for line, cells in enumerate(table, start=1):
        cells = list(cells)[:MAX_COLUMNS]
        if header is None:
            if is_blank(cells):
                raise ImportFileError("The first line must be the header row naming the columns.")
            header = [ALIASES.get(column_name(c)) for c in cells]
            named = set(header)
            if not named & {"urn", "authority"}:
                raise ImportFileError(
                    "The header row needs a urn or a local_authority column to say which "
                    "authority each row is about."
                )
            if "start" not in named:
                raise ImportFileError("The header row needs an inspection_start_date column.")
            ignored = sorted(
                {column_name(c) for c, n in zip(cells, header, strict=True) if c and not n}
            )
            continue
        if is_blank(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows. Split it up.")
        values: dict[str, Any] = {}
        for column, value in zip(header, cells, strict=False):
            if column and column not in values:
                values[column] = value.strip() if isinstance(value, str) else value
        rows.append(Row(line=line, values=values))
    if header is None:
        raise ImportFileError("The file is empty.")
    if not rows:
        raise ImportFileError("The file has a header row but no rows below it.")
    return Sheet(rows=rows, ignored_columns=ignored)


# Reading one row -----------------------------------------------------------------------------


def parse_grade(value: Any, column: str) -> str | None:
    """A four-point grade written in any common way, or None for 'no judgement'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(re.sub(r"[_\-]+", " ", "" if value is None else str(value)).lower().split())
    if text in _NO_GRADE:
        return None
    grade = _GRADES.get(text)
    if grade is None:
        raise RowError(
            f"{column} '{value}' is not a grade. Use outstanding, good, requires improvement "
            "(or RI), inadequate, or 1 to 4."
        )
    return grade


def normalise_authority(name: str) -> str:
    """'City of Wolverhampton Council' and 'wolverhampton' give the same key."""
    text = name.lower().replace("&", " and ")
    text = " ".join(re.sub(r"[^\w\s]", " ", text).split())
    text = re.sub(r"^(the |city of |royal borough of |london borough of )+", "", text)
    text = re.sub(r"( (metropolitan|borough|district|county|city|council))+$", "", text)
    return text


class AuthorityIndex:
    """Councils and trusts by Ofsted URN and by name, however the name is written."""

    def __init__(self):
        self.by_urn: dict[str, Organisation] = {}
        self.by_name: dict[str, set[Organisation]] = {}
        authorities = Organisation.objects.filter(
            kind__in=[Organisation.Kind.COUNCIL, Organisation.Kind.TRUST]
        )
        for organisation in authorities:
            if organisation.urn:
                self.by_urn[organisation.urn] = organisation
            for name in {organisation.name, organisation.short_name}:
                if name:
                    self.by_name.setdefault(normalise_authority(name), set()).add(organisation)

    def find(self, urn: str, name: str) -> Organisation | None:
        """The authority, None when it is not in the directory, RowError when ambiguous."""
        if urn and urn in self.by_urn:
            return self.by_urn[urn]
        matches = self.by_name.get(normalise_authority(name), set()) if name else set()
        if len(matches) > 1:
            raise RowError(
                f"'{name}' could be any of "
                + ", ".join(sorted(o.name for o in matches))
                + "; add the URN to say which."
            )
        return next(iter(matches), None)


def _type(row: Row) -> str:
    written = row.text("type") or row.text("framework")
    key = written.lower()
    if key in {"", "nan", "none"}:
        return Inspection.Type.ILACS_STANDARD
    for code, label in Inspection.Type.choices:
        if key in {code, str(label).lower()}:
            return code
    for word, code in _TYPES.items():
        if word in key:
            return code
    raise RowError(
        f"inspection type '{written}' is not one of: standard, short, focused visit, "
        "monitoring visit."
    )


@dataclass
class _Parsed:
    authority: Organisation
    data: dict[str, Any]
    judgements: dict[str, str]


def parse_row(row: Row, authority: Organisation) -> _Parsed:
    problems: list[str] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except RowError as exc:
            problems.append(str(exc))
            return None

    def day(column: str, label: str, required: bool):
        value, month_only = attempt(parse_date, row.values.get(column), label) or (None, False)
        if month_only:
            problems.append(f"{label} '{row.text(column)}' needs the day as well as the month.")
        elif value is None and required and not any(p.startswith(label) for p in problems):
            problems.append(f"{label} is missing.")
        return value

    inspection_type = attempt(_type, row)
    start = day("start", "inspection_start_date", True)
    end = day("end", "inspection_end_date", False) or start
    published = day("published", "publication_date", False)
    grades = {c: attempt(parse_grade, row.values.get(c), f"{c}_grade") for c in GRADE_COLUMNS}
    if start and end and end < start:
        problems.append(
            f"The end date ({end:%-d %B %Y}) is before the start date ({start:%-d %B %Y})."
        )
    if problems:
        raise RowError(" ".join(problems))
    judgements = {c: g for c, g in grades.items() if g}
    framework = framework_for(inspection_type, start)
    # The scrape puts the single pre-2023 judgement on children in care and care leavers in its
    # in_care column.
    if framework and "in_care" in judgements:
        codes = set(framework.areas.values_list("code", flat=True))
        if "in_care" not in codes and "in_care_and_leavers" in codes:
            judgements["in_care_and_leavers"] = judgements.pop("in_care")
    return _Parsed(
        authority=authority,
        data={
            "authority": authority,
            "type": inspection_type,
            "start": start,
            "end": end,
            "published": published,
            "report_url": row.text("report_url"),
            "theme": row.text("theme"),
        },
        judgements=judgements,
    )


# Importing -----------------------------------------------------------------------------------


class _RollBack(Exception):
    pass


def inspections_import(*, actor, rows: list[Row], commit: bool) -> ImportReport:
    """Import every row through the services; keep the result only if no row was refused."""
    require(is_regional_admin(actor), "Only regional admins can import inspections.")
    report = ImportReport(rows=len(rows))
    try:
        with transaction.atomic():
            _run(actor, rows, report)
            if not commit or report.rejected:
                raise _RollBack
    except _RollBack:
        return report
    report.committed = True
    return report


def _is_empty_row(row: Row) -> bool:
    columns = ["start", "end", "published", *GRADE_COLUMNS]
    return all(row.text(c).lower() in _NO_GRADE for c in columns)


def _urn(row: Row) -> str:
    return row.text("urn").removesuffix(".0")


def _run(actor, rows: list[Row], report: ImportReport) -> None:
    index = AuthorityIndex()
    seen: dict[tuple, int] = {}
    for row in rows:
        urn, name = _urn(row), row.text("authority")
        try:
            authority = index.find(urn, name)
            if authority is None:
                if not (urn or name):
                    raise RowError("The row names no authority: give its urn or local_authority.")
                report.skipped.append(
                    Rejection(row.line, f"{name or 'URN ' + urn} is not in the directory.")
                )
                continue
            if _is_empty_row(row):
                # The national file lists authorities not yet inspected under ILACS.
                report.skipped.append(
                    Rejection(row.line, f"{name or 'URN ' + urn} has no inspection in this row.")
                )
                continue
            parsed = parse_row(row, authority)
            key = (authority.pk, parsed.data["type"], parsed.data["start"])
            first = seen.setdefault(key, row.line)
            if first != row.line:
                raise RowError(f"Duplicate row: line {first} has the same inspection.")
            with transaction.atomic():
                outcome = _save(actor, parsed)
        except RowError as exc:
            report.rejected.append(Rejection(row.line, str(exc)))
            continue
        except InspectionError as exc:
            report.rejected.append(Rejection(row.line, exc.message))
            continue
        except (DataError, IntegrityError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            report.rejected.append(Rejection(row.line, f"The database refused this row: {reason}"))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)


def _save(actor, parsed: _Parsed) -> str:
    existing = (
        Inspection.objects.filter(
            authority=parsed.authority, type=parsed.data["type"], start=parsed.data["start"]
        )
        .prefetch_related("judgements__area")
        .first()
    )
    if existing is None:
        inspection_create(actor=actor, data=parsed.data, judgements=parsed.judgements)
        return "created"
    current = {f: getattr(existing, f) for f in parsed.data}
    grades = {j.area.code: j.grade for j in existing.judgements.all()}
    if current == parsed.data and grades == parsed.judgements:
        return "unchanged"
    inspection_update(
        actor=actor, inspection=existing, data=parsed.data, judgements=parsed.judgements
    )
    return "updated"
