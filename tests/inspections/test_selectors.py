import datetime

import pytest

from regionhub.inspections import selectors, services
from regionhub.inspections.models import Grade, Inspection
from tests.factories import OrganisationFactory

from .helpers import ALL_GOOD_2018, ALL_GOOD_2023, INAD, OUT, RI, D, G, record

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def overall_on(date, authority):
    standing = next(s for s in selectors.ambition_on(date).standings if s.authority == authority)
    return standing.overall.grade


def test_an_inspection_counts_from_its_publication_date_not_its_start(admin_user, authority):
    published = D(2023, 4, 18)
    record(
        admin_user, authority, start=D(2023, 2, 20), published=published, judgements=ALL_GOOD_2023
    )
    assert overall_on(D(2023, 2, 20), authority) is None
    assert overall_on(published - DAY, authority) is None
    assert overall_on(published, authority) == G
    assert len(selectors.ambition_on(published - DAY).good) == 0
    assert len(selectors.ambition_on(published).good) == 1


def test_an_unpublished_inspection_never_counts(admin_user, authority):
    record(admin_user, authority, start=D(2023, 2, 20), published=None, judgements=ALL_GOOD_2023)
    assert overall_on(D(2030, 1, 1), authority) is None


def test_a_later_inspection_replaces_an_earlier_one(admin_user, authority):
    record(
        admin_user,
        authority,
        start=D(2019, 1, 7),
        published=D(2019, 3, 1),
        judgements=ALL_GOOD_2018,
    )
    second = D(2023, 7, 14)
    record(
        admin_user,
        authority,
        start=D(2023, 5, 15),
        published=second,
        judgements={
            "overall": RI,
            "help_protection": G,
            "in_care": RI,
            "care_leavers": G,
            "leaders": RI,
        },
    )
    assert overall_on(second - DAY, authority) == G
    assert overall_on(second, authority) == RI


def test_visits_between_inspections_do_not_replace_the_grade(admin_user, authority):
    record(
        admin_user,
        authority,
        start=D(2019, 1, 7),
        published=D(2019, 3, 1),
        judgements=ALL_GOOD_2018,
    )
    record(
        admin_user,
        authority,
        type=Inspection.Type.FOCUSED_VISIT,
        start=D(2021, 1, 7),
        published=D(2021, 2, 1),
        judgements={"priority_action": Grade.PRIORITY_YES},
    )
    assert overall_on(D(2022, 1, 1), authority) == G


def test_areas_missing_from_the_older_framework_are_said_so_not_missing(
    admin_user, authority, other_authority
):
    record(
        admin_user,
        authority,
        start=D(2022, 10, 3),
        published=D(2022, 11, 25),
        judgements=ALL_GOOD_2018,
    )
    record(
        admin_user,
        other_authority,
        start=D(2023, 2, 20),
        published=D(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )
    result = selectors.ambition_on(D(2023, 5, 1))
    old, new = (
        next(s for s in result.standings if s.authority == a) for a in (authority, other_authority)
    )
    old_cells = {area.code: cell for area, cell in old.cells}
    new_cells = {area.code: cell for area, cell in new.cells}
    assert old_cells["care_leavers"].label == "Not judged under that framework"
    assert old_cells["in_care_and_leavers"].grade == G
    assert new_cells["in_care_and_leavers"].label == "Not judged under that framework"
    assert new_cells["care_leavers"].grade == G
    # Both are Good in every judgement their framework had.
    assert len(result.good_everywhere) == 2
    by_area = {c.area.code: c for c in result.areas}
    assert [o.pk for o in by_area["care_leavers"].good] == [other_authority.pk]
    assert by_area["care_leavers"].not_in_framework == [authority]
    assert by_area["care_leavers"].judged == 1


def test_the_ambition_counts_member_councils_and_compares_with_the_target(
    admin_user, authority, other_authority
):
    OrganisationFactory(kind="council", is_member=False)
    OrganisationFactory(kind="trust", is_member=True)
    record(
        admin_user,
        authority,
        start=D(2023, 2, 20),
        published=D(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )
    record(
        admin_user,
        other_authority,
        start=D(2023, 2, 20),
        published=D(2023, 4, 18),
        judgements={"overall": OUT, "help_protection": RI},
    )
    services.ambition_set(actor=admin_user, count=2)
    result = selectors.ambition_on(D(2024, 1, 1))
    assert result.total == 2
    assert (len(result.good), result.share, result.wanted, result.met) == (2, 100, 2, True)
    assert [s.authority for s in result.good_everywhere] == [authority]
    services.ambition_set(actor=admin_user, percentage=100)
    assert selectors.ambition_on(D(2023, 4, 17)).to_go == 2


def test_the_series_steps_at_each_quarter(admin_user, authority, other_authority):
    record(
        admin_user,
        authority,
        start=D(2019, 1, 7),
        published=D(2019, 3, 1),
        judgements=ALL_GOOD_2018,
    )
    record(
        admin_user,
        authority,
        start=D(2022, 10, 3),
        published=D(2022, 11, 25),
        judgements={"overall": INAD, "help_protection": INAD},
    )
    record(
        admin_user,
        other_authority,
        start=D(2023, 2, 20),
        published=D(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )
    points = {p.date: p for p in selectors.ambition_series(D(2023, 6, 30))}
    assert points[D(2019, 1, 1)].good == 0
    assert (points[D(2019, 4, 1)].good, points[D(2019, 4, 1)].good_everywhere) == (1, 1)
    assert points[D(2023, 1, 1)].good == 0
    assert points[D(2023, 7, 1) - DAY].good == 1
    assert points[D(2023, 6, 30)].inspected == 2


def test_next_ilacs_window(admin_user, authority):
    record(
        admin_user,
        authority,
        start=D(2023, 2, 20),
        end=D(2023, 3, 3),
        published=D(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )
    window = selectors.next_ilacs_window(selectors.authority_standing(authority, D(2024, 1, 1)))
    assert (window.kind, window.earliest, window.latest) == ("short", D(2025, 9, 3), D(2026, 9, 3))
    record(
        admin_user,
        authority,
        start=D(2024, 2, 19),
        end=D(2024, 3, 1),
        published=D(2024, 4, 19),
        judgements={"overall": RI},
    )
    window = selectors.next_ilacs_window(selectors.authority_standing(authority, D(2024, 5, 1)))
    assert (window.kind, window.earliest, window.latest) == ("standard", None, D(2027, 3, 1))


def test_inspections_published_between_two_dates_for_the_regional_update(admin_user, authority):
    authority.short_name = "Birmingham"
    authority.save()
    record(
        admin_user,
        authority,
        start=D(2023, 2, 20),
        published=D(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )
    record(
        admin_user,
        authority,
        type=Inspection.Type.AREA_SEND,
        start=D(2024, 5, 13),
        published=D(2024, 7, 9),
        judgements={"send_outcome": Grade.SEND_POSITIVE},
    )
    assert selectors.inspections_published_between(D(2023, 4, 19), D(2024, 7, 8)) == []
    found = selectors.inspections_published_between(D(2023, 4, 18), D(2024, 7, 9))
    summaries = [selectors.inspection_summary(i) for i in found]
    assert summaries[0] == "Birmingham: ILACS standard inspection, Good in every judgement"
    assert summaries[1].startswith("Birmingham: Area SEND inspection, The local area partnership")
