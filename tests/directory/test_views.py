import datetime

import pytest
from django.urls import reverse

from regionhub.directory.models import Appointment, HandoverNote, Organisation, Person, Post
from tests.factories import (
    AppointmentFactory,
    OrganisationFactory,
    PersonFactory,
    PostFactory,
    UserFactory,
)

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_authority):
    """Records of another authority than the coordinator's."""
    post = PostFactory(organisation=other_authority, title="Director of Children's Services")
    appointment = AppointmentFactory(
        post=post, person__organisation=other_authority, start=D(2020, 1, 1)
    )
    return {"organisation": other_authority, "post": post, "appointment": appointment}


def edit_urls(records):
    post, appointment = records["post"], records["appointment"]
    return [
        reverse("directory:organisation-edit", args=[records["organisation"].pk]),
        reverse("directory:person-edit", args=[appointment.person.pk]),
        reverse("directory:post-edit", args=[post.pk]),
        reverse("directory:appointment-create", args=[post.pk]),
        reverse("directory:post-handover", args=[post.pk]),
        reverse("directory:appointment-edit", args=[appointment.pk]),
        reverse("directory:appointment-end", args=[appointment.pk]),
        reverse("directory:handover-note-create", args=[post.pk]),
    ]


def test_another_authoritys_coordinator_gets_404_on_every_edit_view(client, coordinator, theirs):
    client.force_login(coordinator)
    for url in edit_urls(theirs):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"title": "x", "end": "2024-01-01"}).status_code == 404, url
    theirs["post"].refresh_from_db()
    assert theirs["post"].title == "Director of Children's Services"
    assert theirs["appointment"].post.appointments.get().end is None


def test_anonymous_users_are_sent_to_sign_in_on_every_edit_view(client, theirs):
    urls = [
        *edit_urls(theirs),
        reverse("directory:organisation-create"),
        reverse("directory:person-create"),
        reverse("directory:post-create"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_members_get_404_on_edit_views(client, member, theirs):
    client.force_login(member)
    for url in [*edit_urls(theirs), reverse("directory:organisation-create")]:
        assert client.get(url).status_code == 404, url


def test_a_coordinator_edits_their_own_post(client, coordinator, authority):
    post = PostFactory(organisation=authority, title="Head of Safeguarding")
    client.force_login(coordinator)
    response = client.post(
        reverse("directory:post-edit", args=[post.pk]),
        {
            "title": "Head of Safeguarding and Quality",
            "organisation": authority.pk,
            "category": "head_of_service",
            "max_holders": "1",
        },
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.title == "Head of Safeguarding and Quality"


def test_a_coordinator_cannot_choose_another_authority_for_a_post(
    client, coordinator, authority, other_authority
):
    client.force_login(coordinator)
    response = client.post(
        reverse("directory:post-create"),
        {
            "title": "Sneaky",
            "organisation": other_authority.pk,
            "category": "other",
            "max_holders": 1,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Post.objects.filter(title="Sneaky").exists()


def test_anonymous_visitors_see_no_contact_details(client, authority):
    person = PersonFactory(organisation=authority, email="secret@dudley.gov.uk", phone="0123")
    body = client.get(person.get_absolute_url()).content.decode()
    assert person.name in body
    assert "secret@dudley.gov.uk" not in body and "0123" not in body
    listing = client.get(reverse("directory:person-list")).content.decode()
    assert "secret@dudley.gov.uk" not in listing


def test_signed_in_users_see_contact_details(client, member, authority):
    person = PersonFactory(organisation=authority, email="kg@dudley.gov.uk")
    client.force_login(member)
    assert "kg@dudley.gov.uk" in client.get(person.get_absolute_url()).content.decode()


class TestForms:
    def test_end_before_start_keeps_what_was_typed(self, client, admin_user, authority):
        post = PostFactory(organisation=authority)
        person = PersonFactory(organisation=authority, name="Adam Johnston")
        client.force_login(admin_user)
        response = client.post(
            reverse("directory:appointment-create", args=[post.pk]),
            {
                "person": person.pk,
                "start": "2024-07-01",
                "end": "2024-01-01",
                "basis": "acting",
                "note": "Covering the summer",
            },
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in body
        assert "The end date must be on or after the start date" in body
        assert 'value="2024-07-01"' in body and "Covering the summer" in body
        assert f'value="{person.pk}" selected' in body
        assert not Appointment.objects.exists()

    def test_overlapping_holder_is_explained_beside_the_field(self, client, admin_user, authority):
        post = PostFactory(organisation=authority)
        AppointmentFactory(post=post, person__name="Tina Russell", start=D(2019, 1, 1))
        newcomer = PersonFactory(organisation=authority)
        client.force_login(admin_user)
        response = client.post(
            reverse("directory:appointment-create", args=[post.pk]),
            {"person": newcomer.pk, "start": "2024-07-01", "basis": "substantive"},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Tina Russell" in body and "govuk-error-message" in body
        assert post.appointments.count() == 1

    def test_nonsense_date_gets_a_message(self, client, admin_user):
        client.force_login(admin_user)
        response = client.get(reverse("directory:as-at"), {"date": "31/02/2024"})
        assert response.status_code == 200
        assert "as a real date" in response.content.decode()

    def test_duplicate_person_needs_confirmation(self, client, admin_user, authority):
        PersonFactory(name="Bernie Brown", organisation=authority, email="")
        client.force_login(admin_user)
        url = reverse("directory:person-create")
        data = {"name": "Bernie Brown", "organisation": authority.pk, "email": "bb@example.org"}
        response = client.post(url, data)
        body = response.content.decode()
        assert "Possible duplicates" in body and 'value="bb@example.org"' in body
        assert Person.objects.filter(name="Bernie Brown").count() == 1
        response = client.post(url, {**data, "confirm_shown": "1", "confirm_different": "on"})
        assert response.status_code == 302
        assert Person.objects.filter(name="Bernie Brown").count() == 2

    def test_handover_through_the_page(self, client, coordinator, authority):
        post = PostFactory(organisation=authority)
        outgoing = AppointmentFactory(
            post=post, person__organisation=authority, start=D(2020, 1, 1)
        )
        incoming = PersonFactory(organisation=authority)
        client.force_login(coordinator)
        response = client.post(
            reverse("directory:post-handover", args=[post.pk]),
            {
                "outgoing": outgoing.pk,
                "incoming": incoming.pk,
                "on": "2024-07-01",
                "basis": "interim",
            },
        )
        assert response.status_code == 302
        outgoing.refresh_from_db()
        assert outgoing.end == D(2024, 6, 30)
        new = post.appointments.get(person=incoming)
        assert new.basis == "interim" and new.start == D(2024, 7, 1)

    def test_handover_without_a_date_keeps_the_choices(self, client, admin_user, authority):
        post = PostFactory(organisation=authority)
        outgoing = AppointmentFactory(
            post=post, person__organisation=authority, start=D(2020, 1, 1)
        )
        incoming = PersonFactory(organisation=authority)
        client.force_login(admin_user)
        response = client.post(
            reverse("directory:post-handover", args=[post.pk]),
            {"outgoing": outgoing.pk, "incoming": incoming.pk, "on": "", "basis": "acting"},
        )
        body = response.content.decode()
        assert "Enter the handover date" in body
        assert f'value="{incoming.pk}" selected' in body
        assert 'value="acting" selected' in body

    def test_coordinator_edits_their_organisation_but_not_its_name(
        self, client, coordinator, authority
    ):
        client.force_login(coordinator)
        original = authority.name
        response = client.post(
            reverse("directory:organisation-edit", args=[authority.pk]),
            {
                "name": "Renamed",
                "short_name": "Dud",
                "website": "",
                "email_domains": "dudley.gov.uk",
            },
        )
        assert response.status_code == 302
        authority.refresh_from_db()
        assert authority.name == original and authority.email_domains == "dudley.gov.uk"

    def test_bad_email_domain_is_refused(self, client, admin_user, authority):
        client.force_login(admin_user)
        response = client.post(
            reverse("directory:organisation-edit", args=[authority.pk]),
            {"name": authority.name, "kind": "council", "email_domains": "not a domain"},
        )
        assert "is not an email domain" in response.content.decode()


class TestHandoverNotes:
    @pytest.fixture
    def post(self, authority):
        post = PostFactory(organisation=authority)
        HandoverNote.objects.create(post=post, title="Open question", body="Confidential detail")
        return post

    def test_current_holder_reads_them(self, client, post):
        holder = AppointmentFactory(post=post, start=D(2020, 1, 1)).person
        client.force_login(UserFactory(person=holder))
        assert "Confidential detail" in client.get(post.get_absolute_url()).content.decode()

    def test_next_holder_reads_them(self, client, post):
        AppointmentFactory(post=post, start=D(2020, 1, 1), end=D(2099, 1, 1))
        future = AppointmentFactory(post=post, start=D(2099, 1, 2)).person
        client.force_login(UserFactory(person=future))
        assert "Confidential detail" in client.get(post.get_absolute_url()).content.decode()

    def test_others_do_not(self, client, post, coordinator):
        past = AppointmentFactory(post=post, start=D(2010, 1, 1), end=D(2011, 1, 1)).person
        for user in [None, UserFactory(person=past), UserFactory(), coordinator]:
            client.logout()
            if user:
                client.force_login(user)
            body = client.get(post.get_absolute_url()).content.decode()
            assert "Confidential detail" not in body
        assert client.get(
            reverse("directory:handover-note-create", args=[post.pk])
        ).status_code == (404)

    def test_admin_reads_and_adds(self, client, post, admin_user):
        client.force_login(admin_user)
        response = client.post(
            reverse("directory:handover-note-create", args=[post.pk]),
            {"title": "Contacts", "body": "Ring the chair"},
        )
        assert response.status_code == 302
        assert "Ring the chair" in client.get(post.get_absolute_url()).content.decode()


class TestAuditOnPages:
    def test_only_admins_see_the_history(self, client, admin_user, member, authority):
        post = PostFactory(organisation=authority)
        client.force_login(admin_user)
        client.post(
            reverse("directory:appointment-create", args=[post.pk]),
            {
                "person": PersonFactory(organisation=authority).pk,
                "start": "2024-01-01",
                "basis": "substantive",
            },
        )
        assert (
            "directory.appointment.created" in client.get(post.get_absolute_url()).content.decode()
        )
        client.force_login(member)
        assert (
            "directory.appointment.created"
            not in client.get(post.get_absolute_url()).content.decode()
        )


class TestRegionOverTime:
    @pytest.fixture
    def region(self):
        telford = OrganisationFactory(name="Telford and Wrekin", short_name="Telford & Wrekin")
        network = OrganisationFactory(name="DCS Network", kind="network", is_member=False)
        dcs = PostFactory(organisation=telford, title="DCS", category=Post.Category.DIRECTOR)
        chair = PostFactory(
            organisation=network, title="Chair", category=Post.Category.NETWORK_OFFICER
        )
        jo = PersonFactory(name="Jo Britton", organisation=telford)
        AppointmentFactory(post=dcs, person=jo, start=D(2020, 3, 1))
        AppointmentFactory(
            post=chair, person__name="Jenny Turnross", start=D(2021, 1, 1), end=D(2023, 6, 30)
        )
        AppointmentFactory(post=chair, person=jo, start=D(2023, 7, 1), end=D(2025, 6, 30))
        AppointmentFactory(post=chair, person__name="Nigel Minns", start=D(2025, 7, 1))
        return chair

    def test_as_at_shows_who_held_the_posts(self, client, region):
        body = client.get(reverse("directory:as-at"), {"date": "2024-01-01"}).content.decode()
        assert "Jo Britton" in body and "Jenny Turnross" not in body and "Nigel Minns" not in body
        body = client.get(reverse("directory:as-at"), {"date": "2023-01-01"}).content.decode()
        assert "Jenny Turnross" in body

    def test_changes_lists_starts_and_ends(self, client, region):
        response = client.get(
            reverse("directory:changes"), {"start": "2023-06-01", "end": "2023-07-31"}
        )
        started = [a.person.name for a in response.context["changes"].started]
        ended = [a.person.name for a in response.context["changes"].ended]
        assert started == ["Jo Britton"] and ended == ["Jenny Turnross"]

    def test_changes_refuses_a_backwards_range(self, client, region):
        response = client.get(
            reverse("directory:changes"), {"start": "2024-01-01", "end": "2023-01-01"}
        )
        assert "must be on or after" in response.content.decode()
        assert "changes" not in response.context


def test_organisation_list_shows_leaders_and_vacancies(client):
    held = OrganisationFactory(name="Dudley")
    vacant = OrganisationFactory(name="Walsall")
    for org in (held, vacant):
        PostFactory(organisation=org, title="DCS", category=Post.Category.DIRECTOR)
    AppointmentFactory(post=held.posts.get(), person__name="Karen Graham", start=D(2024, 7, 1))
    body = client.get(reverse("directory:organisation-list")).content.decode()
    assert "Karen Graham" in body
    walsall_row = body[body.index("Walsall") :]
    assert "Vacant" in walsall_row[: walsall_row.index("</tr>")]


def test_organisation_page_shows_delivery_history(client):
    from regionhub.directory.models import Delivery

    council = OrganisationFactory(name="Worcestershire")
    company = OrganisationFactory(
        name="Worcestershire Children First", kind="company", is_member=False
    )
    Delivery.objects.create(
        provider=company, authority=council, start=D(2019, 10, 1), end=D(2024, 3, 31)
    )
    body = client.get(council.get_absolute_url()).content.decode()
    assert "Worcestershire Children First" in body and "31 March 2024" in body


def test_organisation_counts_on_home(client):
    OrganisationFactory.create_batch(3)
    OrganisationFactory(kind=Organisation.Kind.PARTNER, is_member=False)
    assert "3 member authorities" in client.get("/").content.decode()


@pytest.mark.parametrize(
    "typed", ["2024-07-01", "1/7/2024", "01/07/2024", "1 July 2024", "1 Jul 2024", "1.7.2024"]
)
def test_dates_are_accepted_as_people_write_them(typed):
    from regionhub.directory.forms import AsAtForm

    form = AsAtForm({"date": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["date"] == D(2024, 7, 1)
