"""The savings report as CSV or XLSX, through the directory's export helpers."""

from regionhub.directory.exporting import Column, Table, export_response

from .selectors import SavingsRow

FORMATS = {"csv", "xlsx"}


def savings_response(rows: list[SavingsRow], fmt: str):
    columns = [
        Column("financial_year", lambda r: r.year),
        Column("programme", lambda r: r.programme),
        Column("cohort", lambda r: r.cohort),
        Column("authority", lambda r: r.authority),
        Column("places_taken", lambda r: r.places),
        Column("saving_per_place", lambda r: float(r.saving_per_place)),
        Column("saving", lambda r: float(r.saving)),
    ]
    return export_response(Table("programme-savings", columns, rows), fmt)
