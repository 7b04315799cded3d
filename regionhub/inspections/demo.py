"""Demo inspections for the West Midlands, built on the directory demo.

With the published Ofsted ILACS file beside the project, its West Midlands rows are loaded as
they are. A few facts from the region's own updates are added either way; where those are
silent (exact dates, grades), the values are illustrative and say so in the inspection's note.

Every record passes the services' own checks, but is written without audit rows: the demo is
the starting state, not a change anyone made, and loading it leaves the change history empty.
"""

import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from regionhub.core.pagecache import data_changed
from regionhub.directory.importing import RowError
from regionhub.directory.models import Organisation

from . import services
from .importing import AuthorityIndex, parse_row, read_inspection_sheet
from .models import AmbitionTarget, Grade, Inspection, Judgement

D = datetime.date
G, RI, OUT = Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.OUTSTANDING
DEMO_NOTE = "Demo value: dates and grades the region's updates do not give are illustrative."
ILACS_FILE = "ofsted_csc_ilacs_overview.xlsx"


def ilacs_data_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "ofsted-ilacs"


# (authority short name, type, start, end, published, judgements, note)
FACTS = [
    (
        "Birmingham",
        Inspection.Type.ILACS_STANDARD,
        D(2023, 2, 20),
        D(2023, 3, 3),
        D(2023, 4, 18),
        {"overall": G, "help_protection": G, "in_care": G, "care_leavers": G, "leaders": G},
        "",
    ),
    (
        "Stoke-on-Trent",
        Inspection.Type.ILACS_STANDARD,
        D(2022, 9, 5),
        D(2022, 9, 16),
        D(2022, 10, 28),
        {"overall": RI, "help_protection": RI, "in_care_and_leavers": G, "leaders": RI},
        DEMO_NOTE,
    ),
    (
        "Coventry",
        Inspection.Type.ILACS_SHORT,
        D(2023, 5, 8),
        D(2023, 5, 12),
        D(2023, 6, 30),
        {"overall": G, "help_protection": G, "in_care": G, "care_leavers": G, "leaders": G},
        DEMO_NOTE,
    ),
    (
        "Telford & Wrekin",
        Inspection.Type.ILACS_SHORT,
        D(2024, 4, 29),
        D(2024, 5, 3),
        D(2024, 7, 12),
        {"overall": OUT, "help_protection": G, "in_care": OUT, "care_leavers": OUT, "leaders": OUT},
        "",
    ),
    (
        "Worcestershire",
        Inspection.Type.AREA_SEND,
        D(2024, 5, 13),
        D(2024, 5, 17),
        D(2024, 7, 9),
        {"send_outcome": Grade.SEND_INCONSISTENT},
        DEMO_NOTE,
    ),
]


def _add(data: dict, judgements: dict[str, str]) -> bool:
    if Inspection.objects.filter(
        authority=data["authority"], type=data["type"], start=data["start"]
    ).exists():
        return False
    inspection = Inspection(**data)
    checked = services.check_inspection(inspection, judgements)
    inspection.save()
    Judgement.objects.bulk_create(
        Judgement(inspection=inspection, area=area, grade=grade) for area, grade in checked
    )
    return True


def _real_file_rows() -> list[tuple[dict, dict[str, str]]]:
    """The rows of the Ofsted file for authorities in the directory; none without the file."""
    path = ilacs_data_dir() / ILACS_FILE
    if not path.exists():
        return []
    sheet = read_inspection_sheet(SimpleUploadedFile(path.name, path.read_bytes()))
    index = AuthorityIndex()
    rows = []
    for row in sheet.rows:
        try:
            authority = index.find(row.text("urn"), row.text("authority"))
            if authority is not None:
                parsed = parse_row(row, authority)
                rows.append((parsed.data, parsed.judgements))
        except RowError:
            continue
    return rows


@transaction.atomic
def load_demo_data() -> str:
    """Load the demo inspections and the ambition; changes nothing the second time."""
    if not Organisation.objects.filter(short_name="Birmingham", urn="80429").exists():
        return "Inspections demo skipped: the directory demo is not loaded."
    by_name = {o.short_name: o for o in Organisation.objects.exclude(short_name="")}
    from_file = 0
    for data, judgements in _real_file_rows():
        try:
            with transaction.atomic():
                from_file += _add(data, judgements)
        except services.InspectionError:
            # A row the checks refuse is left out of the demo rather than stopping it.
            continue
    from_updates = 0
    for short_name, type, start, end, published, judgements, note in FACTS:
        data = {
            "authority": by_name[short_name],
            "type": type,
            "start": start,
            "end": end,
            "published": published,
            "note": note,
        }
        from_updates += _add(data, judgements)
    if not AmbitionTarget.objects.exists():
        AmbitionTarget.objects.create(
            pk=1, count=11, statement="At least 11 of our 14 councils judged Good or better."
        )
    if not (from_file or from_updates):
        return "Inspections demo already loaded; nothing changed."
    data_changed(services.CACHE_NAMESPACE)
    return (
        f"Inspections demo loaded: {from_file} from the Ofsted file, {from_updates} from the "
        "region's updates; ambition 11 of 14."
    )
