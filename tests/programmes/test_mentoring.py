import datetime

import pytest
from django.core import mail, signing
from django.urls import reverse

from regionhub.programmes import mentoring
from regionhub.programmes.models import Endorsement, MenteeApplication, MentoringScheme
from tests.factories import UserFactory
from tests.programmes.conftest import coordinator_of, member_of

pytestmark = pytest.mark.django_db
M = MenteeApplication.Status
GOALS = "I want to grow into a team manager role and handle conflict in supervision"


@pytest.fixture
def scheme_coordinator(db):
    return UserFactory(role="member")


@pytest.fixture
def scheme(scheme_coordinator):
    scheme = MentoringScheme.objects.create(name="Teaching Partnership Mentoring Scheme")
    scheme.coordinators.add(scheme_coordinator)
    return scheme


@pytest.fixture
def mentee(authority):
    return member_of(authority)


def apply(user, scheme, **overrides):
    data = {
        "goals": GOALS,
        "areas": ["leadership", "supervision"],
        "line_manager_name": "Pat Manager",
        "line_manager_email": "pat.manager@example.gov.uk",
    }
    data.update(overrides)
    return mentoring.mentee_apply(actor=user, scheme=scheme, **data)


def link_in(message) -> str:
    return next(line for line in message.body.splitlines() if "/mentoring/endorse/" in line)


def test_the_line_manager_email_and_page_carry_no_application_content(
    client, mentee, scheme, committed
):
    mail.outbox.clear()
    with committed(execute=True):
        application = apply(mentee, scheme)
    [message] = mail.outbox
    assert message.to == ["pat.manager@example.gov.uk"]
    assert mentee.person.name in message.body
    assert GOALS not in message.body
    assert "conflict" not in message.body
    assert "Supervision" not in message.body and "supervision" not in message.subject
    path = link_in(message).split("127.0.0.1:8000", 1)[-1]

    page = client.get(path).content.decode()
    assert mentee.person.name in page
    assert GOALS not in page
    assert "conflict in supervision" not in page
    assert "Leadership and management" not in page

    done = client.post(path, {"supports": "yes", "comment": "Happy to release time"})
    assert GOALS not in done.content.decode()
    application.refresh_from_db()
    assert application.status == M.SUPPORTED
    assert application.endorsement.comment == "Happy to release time"
    again = client.get(path).content.decode()
    assert "already answered" in again


def test_a_tampered_link_is_refused_plainly(client, mentee, scheme):
    application = apply(mentee, scheme)
    token = mentoring.endorsement_token(application)
    other = apply(member_of(application.authority), scheme)
    forged = f"{other.pk}:{token.split(':', 1)[1]}"
    for bad in (forged, token[:-3], "nonsense"):
        response = client.post(
            reverse("programmes:mentoring-endorse", args=[bad]), {"supports": "yes"}
        )
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    assert not Endorsement.objects.exists()


def test_an_expired_link_is_refused_plainly(client, mentee, scheme, settings):
    application = apply(mentee, scheme)
    token = mentoring.endorsement_token(application)
    settings.MENTORING_ENDORSEMENT_DAYS = 0
    response = client.post(
        reverse("programmes:mentoring-endorse", args=[token]), {"supports": "yes"}
    )
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    with pytest.raises(mentoring.MentoringError, match="expired"):
        mentoring.endorsement_give(token=token, supports=True)
    assert not Endorsement.objects.exists()


def test_the_token_is_signed_with_its_own_salt(mentee, scheme):
    application = apply(mentee, scheme)
    other_salt = signing.TimestampSigner(salt="something.else").sign(str(application.pk))
    with pytest.raises(mentoring.MentoringError, match="not valid"):
        mentoring.application_for_token(other_salt)


def test_the_line_manager_cannot_be_the_applicant(mentee, scheme):
    with pytest.raises(mentoring.MentoringError) as error:
        apply(mentee, scheme, line_manager_email=mentee.person.email)
    assert error.value.field == "line_manager_email"


def test_a_second_application_is_refused(mentee, scheme):
    apply(mentee, scheme)
    with pytest.raises(mentoring.MentoringError, match="already have an application"):
        apply(mentee, scheme)


@pytest.mark.parametrize(
    "who", ["anonymous", "member", "another_member", "coordinator", "admin_without_scheme_role"]
)
def test_mentoring_content_is_404_for_everyone_else(
    client, who, mentee, scheme, authority, other_authority, admin_user
):
    application = apply(mentee, scheme)
    users = {
        "anonymous": None,
        "member": member_of(authority),
        "another_member": member_of(other_authority),
        "coordinator": coordinator_of(authority),
        "admin_without_scheme_role": admin_user,
    }
    if users[who] is not None:
        client.force_login(users[who])
    for url in (
        reverse("programmes:mentoring-application", args=[application.pk]),
        reverse("programmes:mentoring-match", args=[application.pk]),
        reverse("programmes:mentoring-scheme", args=[scheme.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, (who, url)
        assert GOALS not in response.content.decode()
    response = client.post(
        reverse("programmes:mentoring-match", args=[application.pk]), {"mentor": 1}
    )
    assert response.status_code == 404


def test_the_applicant_and_the_scheme_coordinator_see_the_content(
    client, mentee, scheme, scheme_coordinator
):
    application = apply(mentee, scheme)
    url = reverse("programmes:mentoring-application", args=[application.pk])
    client.force_login(mentee)
    assert GOALS in client.get(url).content.decode()
    client.force_login(scheme_coordinator)
    assert GOALS in client.get(url).content.decode()
    listing = client.get(reverse("programmes:mentoring-scheme", args=[scheme.pk])).content.decode()
    assert mentee.person.name in listing
    assert "Pat Manager" in listing


def test_matching_suggests_by_area_capacity_and_another_authority(
    client, mentee, scheme, scheme_coordinator, authority, other_authority, committed
):
    application = apply(mentee, scheme)
    mentoring.endorsement_give(token=mentoring.endorsement_token(application), supports=True)
    near = member_of(authority, name="Near Mentor")
    close = member_of(other_authority, name="Close Match")
    loose = member_of(other_authority, name="Loose Match")
    full = member_of(other_authority, name="Full Mentor")
    mentoring.mentor_offer(
        actor=near, scheme=scheme, experience="x", areas=["leadership"], capacity=2
    )
    best = mentoring.mentor_offer(
        actor=close, scheme=scheme, experience="x", areas=["leadership", "supervision"], capacity=1
    )
    mentoring.mentor_offer(
        actor=loose, scheme=scheme, experience="x", areas=["research"], capacity=3
    )
    busy = mentoring.mentor_offer(
        actor=full, scheme=scheme, experience="x", areas=["leadership"], capacity=1
    )
    other_mentee = apply(member_of(other_authority), scheme)
    mentoring.endorsement_give(token=mentoring.endorsement_token(other_mentee), supports=True)
    mentoring.match_make(actor=scheme_coordinator, application=other_mentee, mentor=busy)

    names = [s.mentor.person.name for s in mentoring.mentor_suggestions(application)]
    assert names == ["Close Match", "Loose Match"]
    with_own = mentoring.mentor_suggestions(application, include_same_authority=True)
    assert "Near Mentor" in [s.mentor.person.name for s in with_own]

    client.force_login(scheme_coordinator)
    page = client.get(reverse("programmes:mentoring-match", args=[application.pk]))
    assert "Close Match" in page.content.decode()
    assert "Near Mentor" not in page.content.decode()
    mail.outbox.clear()
    with committed(execute=True):
        client.post(
            reverse("programmes:mentoring-match", args=[application.pk]), {"mentor": best.pk}
        )
    application.refresh_from_db()
    assert application.status == M.MATCHED
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mentee.person.email, close.person.email])
    assert all(GOALS not in m.body for m in mail.outbox)


def test_a_full_mentor_cannot_be_matched(mentee, scheme, scheme_coordinator, other_authority):
    offer = mentoring.mentor_offer(
        actor=member_of(other_authority),
        scheme=scheme,
        experience="x",
        areas=["career"],
        capacity=1,
    )
    first, second = apply(mentee, scheme), apply(member_of(other_authority), scheme)
    for application in (first, second):
        mentoring.endorsement_give(token=mentoring.endorsement_token(application), supports=True)
    mentoring.match_make(actor=scheme_coordinator, application=first, mentor=offer)
    with pytest.raises(mentoring.MentoringError, match="no room"):
        mentoring.match_make(actor=scheme_coordinator, application=second, mentor=offer)


def test_unsupported_applications_are_not_matched(
    mentee, scheme, scheme_coordinator, other_authority
):
    offer = mentoring.mentor_offer(
        actor=member_of(other_authority),
        scheme=scheme,
        experience="x",
        areas=["career"],
        capacity=1,
    )
    application = apply(mentee, scheme)
    mentoring.endorsement_give(token=mentoring.endorsement_token(application), supports=False)
    with pytest.raises(mentoring.MentoringError, match="line manager supports"):
        mentoring.match_make(actor=scheme_coordinator, application=application, mentor=offer)


def test_mentee_form_keeps_input_and_explains(client, mentee, scheme):
    client.force_login(mentee)
    response = client.post(
        reverse("programmes:mentoring-apply", args=[scheme.pk]),
        {"goals": "Keep me", "line_manager_name": "Pat", "line_manager_email": "not-an-email"},
    )
    body = response.content.decode()
    assert "Choose at least one area" in body
    assert "Enter an email address like" in body
    assert "Keep me" in body
    assert not MenteeApplication.objects.exists()


def test_audit_rows_never_hold_what_the_mentee_wrote(mentee, scheme):
    from regionhub.core.models import AuditEntry

    apply(mentee, scheme)
    for entry in AuditEntry.objects.all():
        assert GOALS not in str(entry.before) + str(entry.after) + entry.object_repr


def test_max_age_setting(settings):
    settings.MENTORING_ENDORSEMENT_DAYS = 3
    assert mentoring.endorsement_max_age() == datetime.timedelta(days=3)
