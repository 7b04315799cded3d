import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from regionhub.core.models import AuditEntry
from regionhub.inspections import services
from regionhub.inspections.models import (
    AmbitionTarget,
    Grade,
    Inspection,
    Judgement,
    JudgementArea,
)
from regionhub.inspections.services import InspectionError
from tests.factories import OrganisationFactory

from .helpers import ALL_GOOD_2018, ALL_GOOD_2023, RI, D, G, record

pytestmark = pytest.mark.django_db


def test_admin_records_an_inspection_with_judgements_and_an_audit_row(admin_user, authority):
    inspection = record(
        admin_user,
        authority,
        start=D(2023, 2, 20),
        published=D(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )
    assert inspection.framework.code == "ilacs-2023"
    assert {j.area.code: j.grade for j in inspection.judgements.all()} == ALL_GOOD_2023
    entry = AuditEntry.objects.get(action="inspections.inspection.created")
    assert entry.actor == admin_user
    assert entry.after["judgements"]["care_leavers"] == G


def test_the_framework_follows_the_start_date(admin_user, authority):
    before = record(
        admin_user,
        authority,
        start=D(2022, 12, 31),
        published=D(2023, 2, 1),
        judgements=ALL_GOOD_2018,
    )
    after = record(
        admin_user, authority, start=D(2023, 1, 1), published=D(2023, 3, 1), judgements={}
    )
    assert (before.framework.code, after.framework.code) == ("ilacs-2018", "ilacs-2023")


@pytest.mark.parametrize("who", ["coordinator", "member"])
def test_only_regional_admins_change_inspections(request, who, admin_user, authority):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        record(user, authority, start=D(2023, 2, 20), published=None, judgements={})
    inspection = record(admin_user, authority, start=D(2023, 2, 20), published=None, judgements={})
    with pytest.raises(PermissionDenied):
        services.inspection_update(
            actor=user, inspection=inspection, data={"published": D(2023, 4, 1)}
        )
    with pytest.raises(PermissionDenied):
        services.inspection_delete(actor=user, inspection=inspection)
    with pytest.raises(PermissionDenied):
        services.ambition_set(actor=user, count=11)
    assert Inspection.objects.get().published is None


def test_end_before_start_is_refused_beside_the_end(admin_user, authority):
    with pytest.raises(InspectionError) as error:
        record(
            admin_user,
            authority,
            start=D(2023, 3, 1),
            end=D(2023, 2, 1),
            published=None,
            judgements={},
        )
    assert error.value.field == "end"
    assert (
        "1 February 2023" in error.value.message and "before the first day" in error.value.message
    )
    assert not Inspection.objects.exists()


def test_published_before_the_end_is_refused(admin_user, authority):
    with pytest.raises(InspectionError) as error:
        record(admin_user, authority, start=D(2023, 3, 1), published=D(2023, 3, 2), judgements={})
    assert error.value.field == "published"


def test_a_care_leavers_judgement_on_a_pre_2023_ilacs_is_refused(admin_user, authority):
    with pytest.raises(InspectionError) as error:
        record(
            admin_user,
            authority,
            start=D(2022, 10, 3),
            published=D(2022, 11, 25),
            judgements={"overall": G, "care_leavers": G},
        )
    assert error.value.field == "judgement_care_leavers"
    assert "Care leavers was not a judgement under ILACS (January 2018" in error.value.message
    assert "children in care and care leavers" in error.value.message
    assert not Inspection.objects.exists()


@pytest.mark.parametrize(
    "type, judgements, field",
    [
        (Inspection.Type.ILACS_STANDARD, {"overall": Grade.SEND_POSITIVE}, "judgement_overall"),
        (Inspection.Type.ILACS_STANDARD, {"overall": "excellent"}, "judgement_overall"),
        (Inspection.Type.AREA_SEND, {"send_outcome": G}, "judgement_send_outcome"),
        (Inspection.Type.AREA_SEND, {"overall": G}, "judgement_overall"),
        (Inspection.Type.MONITORING_VISIT, {"overall": RI}, "judgement_overall"),
        (Inspection.Type.FOCUSED_VISIT, {"priority_action": G}, "judgement_priority_action"),
        (
            Inspection.Type.ILACS_SHORT,
            {"priority_action": Grade.PRIORITY_YES},
            "judgement_priority_action",
        ),
    ],
)
def test_a_grade_not_allowed_for_the_type_is_refused(
    admin_user, authority, type, judgements, field
):
    with pytest.raises(InspectionError) as error:
        record(
            admin_user,
            authority,
            type=type,
            start=D(2024, 5, 13),
            published=None,
            judgements=judgements,
        )
    assert error.value.field == field
    assert error.value.message


def test_send_outcomes_and_focused_visits_record_their_own_scales(admin_user, authority):
    send = record(
        admin_user,
        authority,
        type=Inspection.Type.AREA_SEND,
        start=D(2024, 5, 13),
        published=D(2024, 7, 9),
        judgements={"send_outcome": Grade.SEND_FAILINGS},
    )
    visit = record(
        admin_user,
        authority,
        type=Inspection.Type.FOCUSED_VISIT,
        start=D(2024, 2, 1),
        published=D(2024, 3, 9),
        judgements={"priority_action": Grade.PRIORITY_NO},
    )
    assert send.framework.code == "area-send-2023"
    assert "widespread and/or systemic failings" in send.judgements.get().get_grade_display()
    assert visit.judgements.get().get_grade_display() == "No areas for priority action"


def test_a_theme_only_on_a_jtai(admin_user, authority):
    with pytest.raises(InspectionError) as error:
        record(
            admin_user,
            authority,
            start=D(2024, 1, 8),
            published=None,
            judgements={},
            theme="Neglect",
        )
    assert error.value.field == "theme"
    jtai = record(
        admin_user,
        authority,
        type=Inspection.Type.JTAI,
        start=D(2024, 1, 8),
        published=None,
        judgements={},
        theme="Neglect",
    )
    assert jtai.framework.code == "jtai-2016"


def test_only_councils_and_trusts_are_inspected(admin_user):
    partner = OrganisationFactory(kind="partner", is_member=False)
    with pytest.raises(InspectionError) as error:
        record(admin_user, partner, start=D(2024, 1, 8), published=None, judgements={})
    assert error.value.field == "authority"


def test_the_same_inspection_twice_is_refused(admin_user, authority):
    record(admin_user, authority, start=D(2024, 1, 8), published=None, judgements={})
    with pytest.raises(InspectionError) as error:
        record(admin_user, authority, start=D(2024, 1, 8), published=None, judgements={})
    assert "already recorded" in error.value.message


def test_update_replaces_judgements_and_refits_the_framework(admin_user, authority):
    inspection = record(
        admin_user,
        authority,
        start=D(2023, 2, 20),
        published=D(2023, 4, 18),
        judgements=ALL_GOOD_2023,
    )
    services.inspection_update(
        actor=admin_user,
        inspection=inspection,
        data={"start": D(2022, 11, 1), "end": D(2022, 11, 11)},
        judgements={"overall": RI, "in_care_and_leavers": G},
    )
    inspection.refresh_from_db()
    assert inspection.framework.code == "ilacs-2018"
    assert {j.area.code: j.grade for j in inspection.judgements.all()} == {
        "overall": RI,
        "in_care_and_leavers": G,
    }
    entry = AuditEntry.objects.get(action="inspections.inspection.updated")
    assert entry.before["judgements"]["care_leavers"] == G
    assert "care_leavers" not in entry.after["judgements"]


def test_an_update_keeps_judgements_when_not_given(admin_user, authority):
    inspection = record(
        admin_user, authority, start=D(2023, 2, 20), published=None, judgements=ALL_GOOD_2023
    )
    services.inspection_update(
        actor=admin_user, inspection=inspection, data={"published": D(2023, 4, 18)}
    )
    assert inspection.judgements.count() == 5


def test_delete_removes_judgements_and_audits(admin_user, authority):
    inspection = record(
        admin_user, authority, start=D(2023, 2, 20), published=None, judgements=ALL_GOOD_2023
    )
    services.inspection_delete(actor=admin_user, inspection=inspection)
    assert not Judgement.objects.exists()
    assert AuditEntry.objects.get(action="inspections.inspection.deleted").before["judgements"]


def test_the_database_refuses_end_before_start_and_two_judgements_of_one_area(
    admin_user, authority
):
    inspection = record(
        admin_user, authority, start=D(2023, 2, 20), published=None, judgements={"overall": G}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.filter(pk=inspection.pk).update(end=D(2023, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Judgement.objects.create(
            inspection=inspection, area=JudgementArea.objects.get(code="overall"), grade=RI
        )


def test_the_ambition_is_a_number_or_a_percentage(admin_user):
    with pytest.raises(InspectionError):
        services.ambition_set(actor=admin_user)
    with pytest.raises(InspectionError):
        services.ambition_set(actor=admin_user, count=11, percentage=80)
    with pytest.raises(InspectionError):
        services.ambition_set(actor=admin_user, percentage=120)
    services.ambition_set(actor=admin_user, count=11)
    target = services.ambition_set(actor=admin_user, percentage=80)
    assert AmbitionTarget.objects.get() == target
    assert (target.count, target.wanted(14)) == (None, 12)
    assert AuditEntry.objects.filter(action="inspections.ambition.set").count() == 2
