import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from regionhub.core.models import AuditEntry
from regionhub.directory.models import Post
from regionhub.directory.services import post_handover
from regionhub.networks import services
from regionhub.networks.models import Action, Attendance, Group, GroupAuthority, Seniority
from regionhub.networks.selectors import meeting_attendance
from regionhub.networks.services import NetworkError
from tests.factories import OrganisationFactory, PersonFactory

from .conftest import holder

D = datetime.date


def test_group_create_records_authorities_and_audits(admin_user, authority):
    group = services.group_create(
        actor=admin_user,
        data={"name": " PSW network ", "kind": Group.Kind.NETWORK, "purpose": "Practice"},
        authorities={authority: Seniority.LEAD},
    )
    assert group.name == "PSW network"
    assert GroupAuthority.objects.get(group=group).expected == Seniority.LEAD
    entry = AuditEntry.objects.get(action="networks.group.created")
    assert entry.after["authorities"] == {str(authority.pk): Seniority.LEAD} or entry.after[
        "authorities"
    ] == {authority.pk: Seniority.LEAD}


def test_group_create_refuses_duplicate_name_and_non_authority(admin_user, group):
    with pytest.raises(NetworkError) as error:
        services.group_create(actor=admin_user, data={"name": "dcs network", "kind": "network"})
    assert error.value.field == "name"
    partner = OrganisationFactory(kind="partner", is_member=False)
    with pytest.raises(NetworkError, match="not a council"):
        services.group_create(
            actor=admin_user, data={"name": "New", "kind": "network"}, authorities={partner: 5}
        )


def test_group_cannot_sit_inside_itself(admin_user, group):
    child = services.group_create(
        actor=admin_user, data={"name": "Child", "kind": "workstream", "parent": group}
    )
    with pytest.raises(NetworkError, match="inside itself"):
        services.group_update(actor=admin_user, group=group, data={"parent": child})


@pytest.mark.parametrize("who", ["coordinator", "member"])
def test_only_admins_manage_groups_and_meetings(request, who, group):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.group_create(actor=user, data={"name": "X", "kind": "network"})
    with pytest.raises(PermissionDenied):
        services.meeting_create(actor=user, group=group, data={"date": D(2024, 1, 1)})


def test_coordinator_records_attendance_for_own_authority_only(
    coordinator, authority, other_authority, meeting
):
    person = holder(authority, Post.Category.DIRECTOR)
    attendance = services.attendance_record(
        actor=coordinator, meeting=meeting, authority=authority, status="present", person=person
    )
    assert attendance.status == "present"
    with pytest.raises(PermissionDenied):
        services.attendance_record(
            actor=coordinator, meeting=meeting, authority=other_authority, status="apologies"
        )
    assert not Attendance.objects.filter(authority=other_authority).exists()


def test_member_cannot_record_attendance(member, authority, meeting):
    with pytest.raises(PermissionDenied):
        services.attendance_record(
            actor=member, meeting=meeting, authority=authority, status="absent"
        )


def test_attendance_for_authority_not_in_group_is_refused(admin_user, meeting):
    outsider = OrganisationFactory(name="Outside Council")
    with pytest.raises(NetworkError) as error:
        services.attendance_record(
            actor=admin_user, meeting=meeting, authority=outsider, status="absent"
        )
    assert error.value.field == "authority"
    assert "Outside Council is not a member authority of DCS Network" in error.value.message


def test_attended_needs_a_person_and_recording_again_replaces(admin_user, authority, meeting):
    with pytest.raises(NetworkError, match="Choose who attended") as error:
        services.attendance_record(
            actor=admin_user, meeting=meeting, authority=authority, status="deputy"
        )
    assert error.value.field == "person"
    person = PersonFactory(organisation=authority)
    services.attendance_record(
        actor=admin_user, meeting=meeting, authority=authority, status="apologies", person=person
    )
    services.attendance_record(
        actor=admin_user, meeting=meeting, authority=authority, status="absent", person=person
    )
    only = Attendance.objects.get(meeting=meeting, authority=authority)
    assert (only.status, only.person) == ("absent", None)
    assert AuditEntry.objects.filter(action="networks.attendance.recorded").count() == 2


def test_post_held_on_the_meeting_date_survives_a_later_handover(admin_user, authority, meeting):
    """The attendance shows the post held on the day, however the directory changes later."""
    outgoing = holder(authority, Post.Category.DIRECTOR, start=D(2020, 1, 1), name="Old Director")
    post = outgoing.appointments.get().post
    services.attendance_record(
        actor=admin_user, meeting=meeting, authority=authority, status="present", person=outgoing
    )
    incoming = PersonFactory(organisation=authority, name="New Director")
    post_handover(actor=admin_user, post=post, incoming=incoming, on=D(2024, 7, 1))
    # The outgoing director takes another post in the same authority after the handover.
    from tests.factories import AppointmentFactory, PostFactory

    adviser = PostFactory(organisation=authority, category=Post.Category.OTHER, title="Adviser")
    AppointmentFactory(person=outgoing, post=adviser, start=D(2024, 7, 1))

    row = next(r for r in meeting_attendance(meeting) if r.authority == authority)
    assert row.appointment.post == post
    assert row.appointment.person == outgoing
    assert row.senior_enough
    # A meeting after the handover derives the new post for the same person.
    later = services.meeting_create(
        actor=admin_user, group=meeting.group, data={"date": D(2024, 9, 1)}
    )
    services.attendance_record(
        actor=admin_user, meeting=later, authority=authority, status="present", person=outgoing
    )
    later_row = next(r for r in meeting_attendance(later) if r.authority == authority)
    assert later_row.appointment.post == adviser
    assert not later_row.senior_enough


def test_action_due_before_its_meeting_is_refused(admin_user, meeting):
    owner = PersonFactory()
    with pytest.raises(NetworkError) as error:
        services.action_add(
            actor=admin_user,
            meeting=meeting,
            description="Share the data",
            owner=owner,
            due=D(2024, 5, 13),
        )
    assert error.value.field == "due"
    assert "before its meeting (14 May 2024)" in error.value.message
    action = services.action_add(
        actor=admin_user,
        meeting=meeting,
        description="Share the data",
        owner=owner,
        due=D(2024, 5, 14),
    )
    assert action.status == Action.Status.OPEN
    with pytest.raises(NetworkError, match="change that action first"):
        services.meeting_update(actor=admin_user, meeting=meeting, data={"date": D(2024, 6, 1)})


def test_decision_needs_text(admin_user, meeting):
    with pytest.raises(NetworkError):
        services.decision_add(actor=admin_user, meeting=meeting, text="  ")
    decision = services.decision_add(actor=admin_user, meeting=meeting, text="Adopt the offer")
    assert decision.text == "Adopt the offer"


def test_remind_overdue_actions_emails_each_owner_once(
    admin_user, meeting, django_capture_on_commit_callbacks
):
    owner = PersonFactory(email="owner@example.org")
    for text in ("First", "Second"):
        services.action_add(
            actor=admin_user, meeting=meeting, description=text, owner=owner, due=D(2024, 6, 1)
        )
    done = services.action_add(
        actor=admin_user, meeting=meeting, description="Done", owner=owner, due=D(2024, 6, 1)
    )
    services.action_update(actor=admin_user, action=done, data={"status": "done"})
    with django_capture_on_commit_callbacks(execute=True):
        services.actions_remind_overdue(actor=admin_user)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.org"]
    assert "First" in mail.outbox[0].body and "Second" in mail.outbox[0].body
    assert "Done" not in mail.outbox[0].body


def test_email_each_authority_its_tracker(
    admin_user, coordinator, authority, meeting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.engagement_email_authorities(
            actor=admin_user, start=D(2024, 4, 1), end=D(2024, 6, 30)
        )
    assert sent == [authority]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [coordinator.email]
    assert "DCS Network" in message.body and "held 1" in message.body
    assert message.attachments[0][0].endswith(".xlsx")
    with pytest.raises(PermissionDenied):
        services.engagement_email_authorities(
            actor=coordinator, start=D(2024, 4, 1), end=D(2024, 6, 30)
        )
