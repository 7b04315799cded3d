"""The engagement tracker as a spreadsheet."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from .selectors import EngagementTable

HEADERS = [
    "Authority",
    "Group",
    "Expected seniority",
    "Meetings held",
    "Attended",
    "Right seniority in the room",
    "Apologies",
    "Attended (%)",
    "Right seniority (%)",
    "Attended, period before (%)",
    "Trend",
]


def tracker_workbook(table: EngagementTable) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Engagement"
    sheet.append([f"Engagement tracker: {table.period.label}"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for authority, cells in table.by_authority():
        for group, cell in cells:
            if cell is None:
                continue
            sheet.append(
                [
                    authority.name,
                    group.name,
                    cell.expected_label,
                    cell.held,
                    cell.attended,
                    cell.senior,
                    cell.apologies,
                    cell.attended_rate,
                    cell.senior_rate,
                    cell.previous_rate,
                    cell.trend,
                ]
            )
    sheet.freeze_panes = "A3"
    for column, width in zip(
        "ABCDEFGHIJK", [34, 40, 28, 14, 10, 16, 10, 12, 14, 14, 8], strict=True
    ):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()
