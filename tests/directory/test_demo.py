import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from regionhub.accounts.models import User
from regionhub.core.models import AuditEntry
from regionhub.directory import demo
from regionhub.directory.models import (
    Appointment,
    Delivery,
    HandoverNote,
    Organisation,
    Person,
    Post,
)
from regionhub.directory.services import can_read_handover_notes

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def loaded():
    result = demo.load_demo()
    assert result.loaded
    return result


def dcs_on(short_name: str, on: datetime.date) -> list[str]:
    return list(
        Appointment.objects.on(on)
        .filter(post__organisation__short_name=short_name, post__title=demo.DCS)
        .values_list("person__name", flat=True)
    )


def test_member_authorities(loaded):
    members = Organisation.objects.filter(is_member=True)
    assert members.filter(kind=Organisation.Kind.COUNCIL).count() == 14
    assert members.filter(kind=Organisation.Kind.TRUST).count() == 2
    assert members.count() == 16
    telford = Organisation.objects.get(short_name="Telford & Wrekin")
    assert (telford.urn, telford.domain_list) == ("80570", ["telford.gov.uk"])
    wcf = Organisation.objects.get(name="Worcestershire Children First")
    assert not wcf.is_member
    assert Delivery.objects.on(D(2022, 1, 1)).filter(provider=wcf).exists()
    assert not Delivery.objects.on(D(2024, 8, 1)).filter(provider=wcf).exists()


def test_every_council_has_a_dcs_post_and_some_are_vacant(loaded):
    posts = Post.objects.filter(title=demo.DCS, category=Post.Category.DIRECTOR)
    assert posts.count() == 14
    vacant = posts.exclude(appointments__in=Appointment.objects.current())
    assert vacant.exists()


def test_loading_twice_changes_nothing():
    # The whole command, so that every app's demo loader has run once before counting.
    call_command("load_demo", stdout=StringIO())
    counts = [
        model.objects.count()
        for model in (Organisation, Person, Post, Appointment, Delivery, HandoverNote, User)
    ]
    audit_count = AuditEntry.objects.count()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert counts == [
        model.objects.count()
        for model in (Organisation, Person, Post, Appointment, Delivery, HandoverNote, User)
    ]
    assert AuditEntry.objects.count() == audit_count


def test_command_prints_the_logins():
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert "Demo data loaded" in text
    for login in demo.DEMO_LOGINS:
        assert login.email in text
    assert demo.DEMO_PASSWORD in text


def test_jo_britton_timeline_and_the_chair_handover(loaded):
    jo = Person.objects.get(name="Jo Britton")
    timeline = [
        (a.post.title, a.post.organisation.short_name, a.start, a.end)
        for a in jo.appointments.select_related("post__organisation").order_by("start", "pk")
    ]
    titles = [t[0] for t in timeline]
    assert timeline[0][:2] == (demo.DCS, "Telford & Wrekin")
    assert titles.index(demo.CO_VICE_CHAIR) < titles.index(demo.CHAIR)
    chair = next(t for t in timeline if t[0] == demo.CHAIR)
    assert chair[2:] == (D(2023, 7, 1), D(2025, 6, 30))

    chair_post = Post.objects.get(title=demo.CHAIR)
    on_day = Appointment.objects.on(D(2025, 7, 1)).get(post=chair_post)
    assert on_day.person.name == "Nigel Minns"
    assert on_day.start_approximate
    assert on_day.on_behalf_of.short_name == "Warwickshire"
    assert Appointment.objects.on(D(2023, 6, 15)).get(post=chair_post).person.name == (
        "Jenny Turnross"
    )


def test_directors_in_august_2024(loaded):
    on = D(2024, 8, 1)
    assert dcs_on("Dudley", on) == ["Karen Graham"]
    assert dcs_on("Worcestershire", on) == ["Adam Johnston"]
    assert dcs_on("Herefordshire", on) == ["Tina Russell"]
    assert dcs_on("Worcestershire", D(2024, 6, 15)) == ["Tina Russell"]


@pytest.mark.parametrize("login", demo.DEMO_LOGINS, ids=lambda login: login.email)
def test_demo_users_can_sign_in(loaded, client, login):
    response = client.post(
        reverse("accounts:login"), {"username": login.email, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response.wsgi_request.user.email == login.email


def test_users_roles_and_links(loaded):
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    assert admin.is_regional_admin and admin.is_staff and admin.is_superuser
    dudley = Organisation.objects.get(short_name="Dudley")
    coordinator = User.objects.get(email="coordinator.dudley@regionhub.example")
    assert coordinator.is_coordinator
    assert list(coordinator.coordinated_authorities.all()) == [dudley]
    telford = User.objects.get(email="coordinator.telford@regionhub.example")
    assert list(telford.coordinated_authorities.values_list("short_name", flat=True)) == [
        "Telford & Wrekin"
    ]
    member = User.objects.get(email="member@regionhub.example")
    assert member.person.name == "Karen Graham"
    assert member.organisation == dudley
    dudley_dcs = Post.objects.get(organisation=dudley, title=demo.DCS)
    assert dudley_dcs.handover_notes.exists()
    assert can_read_handover_notes(member, dudley_dcs)
    assert Post.objects.get(title=demo.CHAIR).handover_notes.exists()


def test_records_are_audited_as_the_admin(loaded):
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    entries = AuditEntry.objects.filter(actor=admin)
    assert entries.filter(action="directory.organisation.created").count() == (
        Organisation.objects.count()
    )
    assert entries.filter(action="directory.person.created").count() == Person.objects.count()
    assert entries.filter(action="directory.post.created").count() == Post.objects.count()
    assert entries.filter(action="directory.post.handed_over").count() == len(demo.HANDOVERS)
    jo = Person.objects.get(name="Jo Britton")
    assert AuditEntry.objects.for_object(jo).filter(action="directory.person.created").exists()
