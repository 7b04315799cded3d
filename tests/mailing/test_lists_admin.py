"""The regional admins' mailing pages: who may see them, lists with counts, subscribers paged
and searched within a query budget, adding and removing, the suppression list, the audit."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from regionhub.core.models import AuditEntry
from regionhub.mailing import services
from regionhub.mailing.models import MailingList, Subscriber, Subscription, Suppression

from .factories import MailingListFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
S = Subscription.Status


def _admin_urls(mailing_list, subscription, suppression):
    return [
        ("get", reverse("mailing:lists")),
        ("get", reverse("mailing:list-create")),
        ("get", reverse("mailing:list-detail", args=[mailing_list.pk])),
        ("get", reverse("mailing:list-edit", args=[mailing_list.pk])),
        ("get", reverse("mailing:subscriber-add", args=[mailing_list.pk])),
        ("get", reverse("mailing:list-import", args=[mailing_list.pk])),
        (
            "post",
            reverse("mailing:subscription-remove", args=[mailing_list.pk, subscription.pk]),
        ),
        ("get", reverse("mailing:suppressions")),
        ("get", reverse("mailing:suppression-add")),
        ("get", reverse("mailing:suppression-remove", args=[suppression.pk])),
    ]


@pytest.fixture
def records(main_list):
    subscription = SubscriptionFactory(mailing_list=main_list)
    suppression = Suppression.objects.create(email="x@example.org", reason="manual")
    return main_list, subscription, suppression


@pytest.mark.parametrize("who", ["member", "coordinator"])
def test_other_users_get_404(client, request, records, who):
    client.force_login(request.getfixturevalue(who))
    for method, url in _admin_urls(*records):
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
    assert Subscription.objects.count() == 1


def test_visitors_are_sent_to_sign_in(client, records):
    for method, url in _admin_urls(*records):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
    assert Subscription.objects.count() == 1


def test_services_refuse_non_admins(member, main_list):
    with pytest.raises(PermissionDenied):
        services.mailing_list_create(actor=member, name="X", slug="x")
    with pytest.raises(PermissionDenied):
        services.subscriber_add(
            actor=member, mailing_list=main_list, email="a@example.org", consent_note="yes"
        )
    with pytest.raises(PermissionDenied):
        services.suppression_add(actor=member, email="a@example.org", note="no")


def test_admin_pages_answer(client, admin_user, records):
    client.force_login(admin_user)
    for method, url in _admin_urls(*records):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_list_index_counts(client, admin_user, main_list, django_assert_max_num_queries):
    SubscriptionFactory.create_batch(3, mailing_list=main_list)
    SubscriptionFactory.create_batch(2, mailing_list=main_list, status=S.PENDING)
    SubscriptionFactory(mailing_list=main_list, status=S.UNSUBSCRIBED)
    MailingListFactory.create_batch(5)
    client.force_login(admin_user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("mailing:lists"))
    assert len(response.context["lists"]) == 6
    [row] = [row for row in response.context["lists"] if row == main_list]
    assert (row.confirmed, row.pending, row.unsubscribed) == (3, 2, 1)


def test_create_and_edit_a_list(client, admin_user, main_list):
    client.force_login(admin_user)
    response = client.post(
        reverse("mailing:list-create"), {"name": "Regional Update", "slug": "other"}
    )
    assert response.status_code == 200
    assert "There is already a list called Regional Update" in response.content.decode()
    response = client.post(
        reverse("mailing:list-create"),
        {"name": "Practice Leaders", "slug": "practice-leaders", "public": "on"},
    )
    created = MailingList.objects.get(slug="practice-leaders")
    assert response["Location"] == reverse("mailing:list-detail", args=[created.pk])
    client.post(
        reverse("mailing:list-edit", args=[created.pk]),
        {"name": "Practice Leaders", "slug": "practice-leaders", "description": "For PSWs"},
    )
    created.refresh_from_db()
    assert created.description == "For PSWs" and not created.public
    assert AuditEntry.objects.filter(action="mailing.list.updated").count() == 1


def test_subscribers_are_paged_searched_and_within_a_query_budget(
    client, admin_user, main_list, django_assert_max_num_queries
):
    for n in range(60):
        SubscriptionFactory(
            mailing_list=main_list,
            subscriber=SubscriberFactory(email=f"person{n:02d}@example.org", name=f"Person {n}"),
        )
    SubscriptionFactory(
        mailing_list=main_list,
        subscriber=SubscriberFactory(email="zed@walsall.gov.uk", name="Zed Walsh"),
        status=S.PENDING,
    )
    client.force_login(admin_user)
    url = reverse("mailing:list-detail", args=[main_list.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    page = response.content.decode()
    assert "person00@example.org" in page and "person49@example.org" in page
    assert "person50@example.org" not in page
    assert "Page 1 of 2" in page
    assert "person50@example.org" in client.get(url + "?page=2").content.decode()
    found = client.get(url + "?q=walsh").content.decode()
    assert "zed@walsall.gov.uk" in found and "person01@example.org" not in found
    pending = client.get(url + "?status=pending").content.decode()
    assert "zed@walsall.gov.uk" in pending and "person01@example.org" not in pending


def test_add_a_subscriber_needs_consent_and_refuses_the_unsubscribed(client, admin_user, main_list):
    client.force_login(admin_user)
    url = reverse("mailing:subscriber-add", args=[main_list.pk])
    response = client.post(url, {"email": "new@example.org", "consent_note": ""})
    assert "Say how and when this person agreed" in response.content.decode()
    response = client.post(
        url, {"email": "New@Example.org", "name": "New", "consent_note": "Asked at the DCS network"}
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get(subscriber__email="new@example.org")
    assert subscription.status == S.CONFIRMED
    assert subscription.source == Subscription.Source.ADMIN
    assert subscription.consent_note == "Asked at the DCS network"
    assert AuditEntry.objects.filter(action="mailing.subscription.added", actor=admin_user).exists()

    gone = SubscriptionFactory(mailing_list=main_list, status=S.UNSUBSCRIBED)
    response = client.post(url, {"email": gone.subscriber.email, "consent_note": "Phoned"})
    assert "Only they can subscribe again" in response.content.decode()
    Suppression.objects.create(email="blocked@example.org", reason="complaint")
    response = client.post(url, {"email": "blocked@example.org", "consent_note": "Phoned"})
    assert "is on the suppression list" in response.content.decode()
    assert not Subscriber.objects.filter(email="blocked@example.org").exists()


def test_remove_a_subscriber(client, admin_user, main_list):
    subscription = SubscriptionFactory(mailing_list=main_list)
    other_list = MailingListFactory()
    client.force_login(admin_user)
    # The subscription must belong to the list in the address.
    wrong = reverse("mailing:subscription-remove", args=[other_list.pk, subscription.pk])
    assert client.post(wrong).status_code == 404
    url = reverse("mailing:subscription-remove", args=[main_list.pk, subscription.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not Subscription.objects.exists()
    entry = AuditEntry.objects.get(action="mailing.subscription.removed")
    assert entry.before["status"] == S.CONFIRMED


def test_suppression_add_and_remove(client, admin_user, main_list):
    subscription = SubscriptionFactory(mailing_list=main_list)
    email = subscription.subscriber.email
    client.force_login(admin_user)
    response = client.post(
        reverse("mailing:suppression-add"),
        {"email": email.upper(), "note": "Asked by phone", "reason": "manual"},
    )
    assert response.status_code == 302
    assert not services.may_send(subscriber_id=subscription.subscriber_id, list_id=main_list.pk)
    response = client.post(
        reverse("mailing:suppression-add"), {"email": email, "note": "again", "reason": "manual"}
    )
    assert "already on the suppression list" in response.content.decode()
    suppression = Suppression.objects.get(email=email)
    url = reverse("mailing:suppression-remove", args=[suppression.pk])
    response = client.post(url, {"note": ""})
    assert "Say why this address may be sent to again" in response.content.decode()
    response = client.post(url, {"note": "Asked to receive it again"})
    assert response.status_code == 302
    assert services.may_send(subscriber_id=subscription.subscriber_id, list_id=main_list.pk)
    entry = AuditEntry.objects.get(action="mailing.suppression.removed")
    assert entry.after == {"note": "Asked to receive it again"}


def test_lifting_a_bounce_clears_the_bounce(admin_user, main_list):
    subscription = SubscriptionFactory(
        mailing_list=main_list, subscriber=SubscriberFactory(bounced_at=timezone.now())
    )
    suppression = Suppression.objects.create(
        email=subscription.subscriber.email, reason=Suppression.Reason.BOUNCED
    )
    services.suppression_remove(actor=admin_user, suppression=suppression, note="New mailbox")
    subscription.subscriber.refresh_from_db()
    assert subscription.subscriber.bounced_at is None
    assert services.may_send(subscriber_id=subscription.subscriber_id, list_id=main_list.pk)


def test_suppression_list_query_budget(client, admin_user, django_assert_max_num_queries):
    for n in range(60):
        Suppression.objects.create(email=f"s{n:02d}@example.org", reason="manual")
    client.force_login(admin_user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("mailing:suppressions") + "?q=s0")
    page = response.content.decode()
    assert "s00@example.org" in page and "s09@example.org" in page
    assert "s10@example.org" not in page


def test_issue_email_preview_for_admins_only(client, admin_user, member, published_issue):
    url = reverse("mailing:issue-email-preview", args=[published_issue.pk])
    client.force_login(member)
    assert client.get(url).status_code == 404
    client.force_login(admin_user)
    response = client.get(url)
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f"Dear {admin_user.name}," in page
    assert "DCS updates" in page and "<style" not in page
    text = client.get(url + "?part=text")
    assert text["Content-Type"].startswith("text/plain")
    assert "DCS updates\n-----------" in text.content.decode()
