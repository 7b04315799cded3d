"""The judgement areas and frameworks Ofsted has used: reference data every database needs.

Written by migration 0002 and again after every `migrate` or `flush` (see apps.py), so a test
database emptied between tests still has them. A new framework is a new entry here.
"""

import datetime

AREAS = [
    ("overall", "Overall effectiveness", "Overall effectiveness", "grade"),
    (
        "help_protection",
        "The experiences and progress of children who need help and protection",
        "Help and protection",
        "grade",
    ),
    (
        "in_care_and_leavers",
        "The experiences and progress of children in care and care leavers",
        "Children in care and care leavers",
        "grade",
    ),
    (
        "in_care",
        "The experiences and progress of children in care",
        "Children in care",
        "grade",
    ),
    (
        "care_leavers",
        "The experiences and progress of care leavers",
        "Care leavers",
        "grade",
    ),
    (
        "leaders",
        "The impact of leaders on social work practice with children and families",
        "Impact of leaders",
        "grade",
    ),
    ("priority_action", "Areas for priority action", "Priority action", "priority"),
    ("send_outcome", "Area SEND inspection outcome", "SEND outcome", "send"),
]
GRADED_2018 = ["overall", "help_protection", "in_care_and_leavers", "leaders"]
FRAMEWORKS = [
    (
        "before-sif",
        "Inspections before the single inspection framework",
        "ilacs",
        datetime.date(1990, 1, 1),
        ["overall"],
    ),
    (
        "sif-2013",
        "Single inspection framework (November 2013)",
        "ilacs",
        datetime.date(2013, 11, 1),
        GRADED_2018,
    ),
    (
        "ilacs-2018",
        "ILACS (January 2018 to December 2022)",
        "ilacs",
        datetime.date(2018, 1, 1),
        [*GRADED_2018, "priority_action"],
    ),
    (
        "ilacs-2023",
        "ILACS (from January 2023)",
        "ilacs",
        datetime.date(2023, 1, 1),
        ["overall", "help_protection", "in_care", "care_leavers", "leaders", "priority_action"],
    ),
    ("jtai-2016", "Joint targeted area inspections", "jtai", datetime.date(2016, 1, 1), []),
    (
        "area-send-2016",
        "Local area SEND inspections (May 2016)",
        "send",
        datetime.date(2016, 5, 1),
        [],
    ),
    (
        "area-send-2023",
        "Area SEND inspections (January 2023)",
        "send",
        datetime.date(2023, 1, 1),
        ["send_outcome"],
    ),
]


def ensure_reference_data(JudgementArea, Framework) -> None:
    """Create or update the areas and frameworks; the models are passed in so that the
    migration can use its historical ones."""
    areas = {}
    for position, (code, name, short_name, scale) in enumerate(AREAS, start=1):
        areas[code], _ = JudgementArea.objects.update_or_create(
            code=code,
            defaults={"name": name, "short_name": short_name, "scale": scale, "position": position},
        )
    for code, name, family, valid_from, area_codes in FRAMEWORKS:
        framework, _ = Framework.objects.update_or_create(
            code=code, defaults={"name": name, "family": family, "valid_from": valid_from}
        )
        framework.areas.set([areas[c] for c in area_codes])
