"""Reading a CSV of an existing mailing list: one row per person, with the columns
`email`, `name`, `organisation` and `consent note` (any order, any case; `name` and
`organisation` may be left out). Every row needs a consent note: how and when that person
agreed to receive the list.

`parse` returns a `Row` or a `Rejection` (with its line number and reason) for every data line;
a file that cannot be read as such a CSV raises `ImportFileError` instead.
"""

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 200_000
HEADERS = {
    "email": "email",
    "email address": "email",
    "e-mail": "email",
    "name": "name",
    "full name": "name",
    "organisation": "organisation",
    "organization": "organisation",
    "consent note": "consent_note",
    "consent_note": "consent_note",
    "consent": "consent_note",
}


class ImportFileError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Row:
    line: int
    email: str
    name: str
    organisation: str
    consent_note: str


@dataclass(frozen=True)
class Rejection:
    line: int
    email: str
    reason: str


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ImportFileError(
            "This file is not a CSV file (it looks like a spreadsheet or another binary file). "
            "Save it as ‘CSV UTF-8’ and upload that."
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("The file's characters cannot be read. Save it as ‘CSV UTF-8’.")


def parse(data: bytes) -> list[Row | Rejection]:
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    text = _decode(data)
    if not text.strip():
        raise ImportFileError("The file is empty.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except csv.Error as error:
        raise ImportFileError(f"The file cannot be read as CSV: {error}.") from error
    columns = {}
    for index, title in enumerate(header):
        key = HEADERS.get(" ".join(title.strip().lower().replace("_", " ").split()))
        if key and key not in columns:
            columns[key] = index
    missing = [
        label
        for key, label in (("email", "email"), ("consent_note", "consent note"))
        if key not in columns
    ]
    if missing:
        found = ", ".join(header)[:200] or "(an empty line)"
        raise ImportFileError(
            "The first line must name the columns: email, name, organisation, consent note. "
            f"No {' or '.join(missing)} column was found in: {found}."
        )
    results: list[Row | Rejection] = []
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(results) >= MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows; split it.")

            def cell(key: str, values=values) -> str:
                index = columns.get(key)
                return values[index].strip() if index is not None and index < len(values) else ""

            email = cell("email").lower()
            results.append(
                _row(line, email, cell("name"), cell("organisation"), cell("consent_note"), seen)
            )
    except csv.Error as error:
        raise ImportFileError(f"Line {reader.line_num} cannot be read as CSV: {error}.") from error
    if not results:
        raise ImportFileError("The file has a header line but no rows.")
    return results


def _row(line: int, email: str, name: str, organisation: str, consent: str, seen: dict[str, int]):
    if not email:
        return Rejection(line=line, email="", reason="No email address")
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        return Rejection(line=line, email=email, reason="Not a valid email address")
    if email in seen:
        return Rejection(line=line, email=email, reason=f"Duplicate: already on line {seen[email]}")
    seen[email] = line
    if not consent:
        return Rejection(
            line=line, email=email, reason="No consent note: say how and when they agreed"
        )
    return Row(
        line=line,
        email=email,
        name=name[:200],
        organisation=organisation[:200],
        consent_note=consent,
    )
