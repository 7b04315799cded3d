import datetime
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from regionhub.directory.models import Post
from regionhub.networks.models import Action, Attendance, Group, GroupAuthority, Meeting, Seniority
from tests.factories import OrganisationFactory, UserFactory

from .conftest import holder

D = datetime.date


def test_pages_need_sign_in(client, meeting):
    for url in (reverse("networks:group-list"), meeting.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302 and "sign-in" in response.url


def test_member_reads_group_and_meeting_but_cannot_change(client, member, meeting):
    client.force_login(member)
    page = client.get(meeting.group.get_absolute_url()).content.decode()
    assert "DCS Network" in page and "Record a meeting" not in page
    assert client.get(meeting.get_absolute_url()).status_code == 200
    for name in ("meeting-edit", "attendance-edit", "decision-add", "action-add"):
        assert client.get(reverse(f"networks:{name}", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("networks:group-create")).status_code == 404


def test_coordinator_records_only_own_authority(
    client, coordinator, authority, other_authority, meeting
):
    director = holder(authority, Post.Category.DIRECTOR, name="Dana Director")
    client.force_login(coordinator)
    url = reverse("networks:attendance-edit", args=[meeting.pk])
    page = client.get(url).content.decode()
    assert authority.name in page and other_authority.name not in page
    # A field for another authority is ignored: the coordinator only has their own row.
    response = client.post(
        url,
        {
            f"a{authority.pk}-status": "present",
            f"a{authority.pk}-person": director.pk,
            f"a{other_authority.pk}-status": "apologies",
        },
    )
    assert response.status_code == 302
    assert Attendance.objects.get(meeting=meeting).authority == authority
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Dana Director" in page and "Met" in page


def test_attendance_errors_keep_what_was_typed(client, admin_user, authority, meeting):
    client.force_login(admin_user)
    url = reverse("networks:attendance-edit", args=[meeting.pk])
    response = client.post(url, {f"a{authority.pk}-status": "deputy"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose who attended" in page and "There is a problem" in page
    assert 'value="deputy" selected' in page
    assert not Attendance.objects.exists()


def test_coordinator_of_a_non_member_authority_gets_404(client, meeting):
    outsider = OrganisationFactory()
    user = UserFactory(role="coordinator", organisation=outsider)
    user.coordinated_authorities.add(outsider)
    client.force_login(user)
    assert client.get(reverse("networks:attendance-edit", args=[meeting.pk])).status_code == 404


def test_action_due_before_meeting_shown_beside_field(client, admin_user, meeting):
    owner = holder(meeting.group.authorities.first().authority, Post.Category.LEAD)
    client.force_login(admin_user)
    url = reverse("networks:action-add", args=[meeting.pk])
    response = client.post(
        url, {"description": "Circulate the offer", "owner": owner.pk, "due": "1/5/2024"}
    )
    page = response.content.decode()
    assert "before its meeting (14 May 2024)" in page
    assert 'id="id_due-error"' in page and "Circulate the offer" in page
    assert not Action.objects.exists()
    response = client.post(
        url, {"description": "Circulate the offer", "owner": owner.pk, "due": "1/6/2024"}
    )
    assert response.status_code == 302
    assert Action.objects.get().due == D(2024, 6, 1)


def test_admin_records_a_meeting_and_decision(client, admin_user, group):
    client.force_login(admin_user)
    response = client.post(
        reverse("networks:meeting-create", args=[group.pk]),
        {"date": "3/9/2024", "place": "Wolverhampton", "minutes": "Agreed the plan."},
    )
    meeting = Meeting.objects.get()
    assert response.url == meeting.get_absolute_url()
    client.post(reverse("networks:decision-add", args=[meeting.pk]), {"text": "Adopt the MoU"})
    page = client.get(group.get_absolute_url()).content.decode()
    assert "Adopt the MoU" in page and "3 September 2024" in page


def test_group_form_sets_expected_seniority(client, admin_user, authority):
    client.force_login(admin_user)
    response = client.post(
        reverse("networks:group-create"),
        {"name": "PSW network", "kind": "network", f"authority_{authority.pk}": Seniority.LEAD},
    )
    group = Group.objects.get(name="PSW network")
    assert response.url == group.get_absolute_url()
    assert GroupAuthority.objects.get(group=group).expected == Seniority.LEAD
    response = client.post(reverse("networks:group-create"), {"name": "PSW network", "kind": ""})
    assert "Choose the kind of group" in response.content.decode()


@pytest.fixture
def attended(meeting, authority, other_authority):
    director = holder(authority, Post.Category.DIRECTOR)
    Attendance.objects.create(
        meeting=meeting, authority=authority, status="present", person=director
    )
    Attendance.objects.create(meeting=meeting, authority=other_authority, status="apologies")
    return meeting


def test_regional_engagement_is_for_admins(client, admin_user, coordinator, member, attended):
    url = reverse("networks:engagement") + "?kind=quarter&on=2024-05-01"
    for user in (coordinator, member):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(admin_user)
    page = client.get(url).content.decode()
    assert "1 April 2024 to 30 June 2024" in page
    assert "1 of 1" in page and "0 of 1" in page and "apologies 1" in page


def test_coordinator_sees_only_own_authority_tracker(
    client, coordinator, member, authority, other_authority, attended
):
    client.force_login(coordinator)
    own = reverse("networks:engagement-authority", args=[authority.pk])
    other = reverse("networks:engagement-authority", args=[other_authority.pk])
    page = client.get(own + "?kind=year&on=2024-05-01").content.decode()
    assert "Financial year 2024/25" in page and "DCS Network" in page
    assert client.get(other).status_code == 404
    assert client.get(reverse("networks:engagement-authority", args=[999999])).status_code == 404
    client.force_login(member)
    assert client.get(own).status_code == 404


def test_tracker_downloads_and_prints(client, admin_user, authority, attended):
    client.force_login(admin_user)
    url = reverse("networks:engagement-authority", args=[authority.pk])
    response = client.get(url + "?kind=quarter&on=2024-05-01&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][:7] == (authority.name, "DCS Network", "Director", 1, 1, 1, 0)
    printed = client.get(url + "?kind=quarter&on=2024-05-01&print=1").content.decode()
    assert "@media print" in printed and 'class="govuk-service-navigation"' not in printed


def test_custom_period_errors(client, admin_user, attended):
    client.force_login(admin_user)
    response = client.get(
        reverse("networks:engagement") + "?kind=custom&start=2024-06-01&end=2024-05-01"
    )
    assert "The last day must be on or after the first day" in response.content.decode()


def test_overdue_actions_page_and_reminder(
    client, admin_user, member, meeting, mailoutbox, django_capture_on_commit_callbacks
):
    owner = holder(meeting.group.authorities.first().authority, Post.Category.LEAD)
    owner.email = "owner@example.org"
    owner.save()
    Action.objects.create(meeting=meeting, description="Late thing", owner=owner, due=D(2024, 6, 1))
    client.force_login(member)
    assert "Late thing" in client.get(reverse("networks:action-overdue")).content.decode()
    assert client.post(reverse("networks:action-overdue")).status_code == 404
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("networks:action-overdue"))
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["owner@example.org"]]


def test_admin_emails_each_authority_its_tracker(
    client, admin_user, coordinator, attended, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    assert client.post(reverse("networks:engagement-email")).status_code == 404
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("networks:engagement-email") + "?kind=year&on=2024-05-01")
    assert response.url == reverse("networks:engagement") + "?kind=year&on=2024-05-01"
    assert [m.to for m in mailoutbox] == [[coordinator.email]]
    assert "1 April 2024 to 31 March 2025" in mailoutbox[0].subject


def _matrix(page: str) -> str:
    start = page.index('id="engagement"')
    return page[start : page.index("</table>", start)]


def test_regional_view_shows_one_network_the_readers_region_first(
    client, admin_user, authority, other_authority
):
    west = Group.objects.create(name="A West network", kind="network")
    west_board = Group.objects.create(name="A West board", kind="board", parent=west)
    Group.objects.create(name="A West fostering workstream", kind="workstream", parent=west_board)
    east = Group.objects.create(name="B East network", kind="network")
    east_board = Group.objects.create(name="B East board", kind="board", parent=east)
    for group in (west, west_board):
        GroupAuthority.objects.create(group=group, authority=other_authority)
    for group in (east, east_board):
        GroupAuthority.objects.create(group=group, authority=authority)
    admin_user.organisation = authority
    admin_user.save()
    client.force_login(admin_user)
    url = reverse("networks:engagement")

    # The reader works for an authority in the East: that region first, though West sorts first.
    page = client.get(url).content.decode()
    assert "B East board" in _matrix(page) and "A West board" not in _matrix(page)
    assert f'<option value="{east.pk}" selected>B East network</option>' in page
    assert f'<optgroup label="A West network"><option value="{west.pk}">' in page

    page = client.get(f"{url}?network={west.pk}").content.decode()
    matrix = _matrix(page)
    assert "A West board" in matrix and "B East board" not in matrix
    # The board has groups of its own: a link to its own table; the workstream is not a column.
    assert f"network={west_board.pk}" in matrix and "fostering workstream" not in matrix
    page = client.get(f"{url}?network={west_board.pk}").content.decode()
    assert "A West fostering workstream" in _matrix(page)

    page = client.get(f"{url}?network=999999").content.decode()
    assert "Choose a network from the list" in page and "B East board" in _matrix(page)

    response = client.get(f"{url}?network={west.pk}&format=xlsx")
    sheet = load_workbook(BytesIO(response.content)).active
    groups = {row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert groups == {"A West network", "A West board"}
    printed = client.get(f"{url}?network={west.pk}&print=1").content.decode()
    assert "Regional engagement: A West network" in printed and "A West board" in printed


def test_group_list_pages_through_the_groups(client, member):
    for i in range(55):
        Group.objects.create(name=f"Group {i:02d}", kind="network")
    client.force_login(member)
    first = client.get(reverse("networks:group-list")).content.decode()
    second = client.get(reverse("networks:group-list") + "?page=2").content.decode()
    assert "55 groups" in first and "Group 49" in first and "Group 50" not in first
    assert "Group 50" in second and "Group 00" not in second


def test_authority_tracker_pages_through_its_groups_with_totals(
    client, coordinator, authority, meeting
):
    director = holder(authority, Post.Category.DIRECTOR)
    Attendance.objects.create(
        meeting=meeting, authority=authority, status="present", person=director
    )
    for i in range(54):
        group = Group.objects.create(name=f"Workstream {i:02d}", kind="workstream")
        GroupAuthority.objects.create(group=group, authority=authority)
    client.force_login(coordinator)
    url = (
        reverse("networks:engagement-authority", args=[authority.pk])
        + "?kind=quarter&on=2024-05-01"
    )
    first = client.get(url).content.decode()
    second = client.get(url + "&page=2").content.decode()
    assert "Across its 55 groups: 1 meeting held, 1 attended, 1 with someone" in first
    assert "DCS Network" in first and "Workstream 48" in first and "Workstream 49" not in first
    assert "Groups 51 to 55 of 55" in second and "Workstream 49" in second
    assert "DCS Network" not in second.split('id="tracker"')[1]
    printed = client.get(url + "&print=1").content.decode()
    assert "DCS Network" in printed and "Workstream 53" in printed
