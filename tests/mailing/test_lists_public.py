"""The public side of the mailing lists: subscribe with double opt-in, confirm, unsubscribe
(the link and RFC 8058 one-click), preferences, and links that were changed or expired."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from regionhub.core.models import AuditEntry
from regionhub.mailing import emails, selectors, services, tokens
from regionhub.mailing.models import Subscriber, Subscription, Suppression

from .factories import MailingListFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
S = Subscription.Status


@pytest.fixture(autouse=True)
def _fresh_limits():
    """The subscribe form's per-connection limit counts in the cache; every test starts at 0."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def subscribe_form(django_capture_on_commit_callbacks):
    """Post the subscribe form, running what is queued for after the commit (the email)."""

    def post(client, email="new.reader@example.org", **extra):
        data = {"name": "New Reader", "email": email, "organisation": "Dudley Council", **extra}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("mailing:subscribe"), data)

    return post


def _confirm_path(message) -> str:
    url = re.search(r"https?://\S+/mailing/confirm/\S+/", message.body)[0]
    return urlsplit(url).path


# Tokens ----------------------------------------------------------------------------------------


def test_tokens_round_trip_and_refuse_tampering():
    token = tokens.unsubscribe_token(12, 3)
    assert tokens.unsubscribe_ids(token) == (12, 3)
    with pytest.raises(tokens.TokenError) as error:
        tokens.unsubscribe_ids(token.replace("12.3", "13.3"))
    assert error.value.code == "invalid"
    with pytest.raises(tokens.TokenError):
        tokens.unsubscribe_ids(token[:-2])
    # A token for one purpose is refused for another.
    with pytest.raises(tokens.TokenError):
        tokens.preferences_subscriber_id(tokens.unsubscribe_token(12, 3))
    assert tokens.preferences_subscriber_id(tokens.preferences_token(5)) == 5


@pytest.mark.parametrize("secret", ["the-first-secret", "another secret, with é"])
def test_link_tokens_are_what_django_signing_makes(settings, secret):
    # The links are signed without django.core.signing for speed; they must stay the very
    # strings it makes (and accepts), under whatever secret is configured.
    settings.SECRET_KEY = secret
    for subscriber_id, list_id in [(1, 1), (12, 3), (987654321, 42)]:
        assert tokens.unsubscribe_token(subscriber_id, list_id) == signing.Signer(
            salt=tokens.UNSUBSCRIBE_SALT
        ).sign(f"{subscriber_id}.{list_id}")
        assert tokens.preferences_token(subscriber_id) == signing.Signer(
            salt=tokens.PREFERENCES_SALT
        ).sign(str(subscriber_id))
    assert tokens.unsubscribe_ids(tokens.unsubscribe_token(12, 3)) == (12, 3)


def test_confirm_token_expires(settings):
    token = tokens.confirm_token(subscriber_id=9, name="Ann", organisation="Walsall")
    assert tokens.confirm_request(token) == tokens.ConfirmRequest(9, "Ann", "Walsall")
    settings.MAILING_CONFIRM_DAYS = 0
    with pytest.raises(tokens.TokenError) as error:
        tokens.confirm_request(signing.dumps({"s": 9}, salt=tokens.CONFIRM_SALT))
    assert error.value.code == "expired"
    assert "expired" in error.value.message


@pytest.mark.parametrize("name", ["mailing:unsubscribe", "mailing:preferences", "mailing:confirm"])
def test_tampered_links_get_a_clear_page_not_a_500(client, name):
    response = client.get(reverse(name, args=["12.3:forged-signature"]))
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    response = client.post(reverse(name, args=["12.3:forged-signature"]))
    assert response.status_code == 400


def test_expired_confirmation_link_page(client, main_list, settings):
    subscriber = SubscriberFactory()
    token = tokens.confirm_token(subscriber_id=subscriber.pk)
    settings.MAILING_CONFIRM_DAYS = -1
    response = client.get(reverse("mailing:confirm", args=[token]))
    assert response.status_code == 400
    assert "This confirmation link has expired" in response.content.decode()


# Subscribing -----------------------------------------------------------------------------------


def test_subscribe_then_confirm(subscribe_form, client, main_list):
    response = subscribe_form(client, email="  New.Reader@Example.ORG ")
    assert response.status_code == 302
    assert response["Location"] == reverse("mailing:subscribe-sent")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "new.reader@example.org"
    assert subscriber.organisation == "Dudley Council"
    subscription = Subscription.objects.get()
    assert subscription.status == S.PENDING
    assert subscription.source == Subscription.Source.FORM
    [message] = mail.outbox
    assert message.to == ["new.reader@example.org"]
    assert "Regional Update" in message.subject

    path = _confirm_path(message)
    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my subscription" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == S.PENDING  # opening the link alone changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "Subscription confirmed" in done.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == S.CONFIRMED
    assert subscription.confirmed_at is not None
    assert subscription.consent_note.startswith("Double opt-in via the subscribe form: requested ")
    assert " confirmed " in subscription.consent_note
    assert services.may_send(subscriber_id=subscriber.pk, list_id=main_list.pk)
    assert AuditEntry.objects.filter(action="mailing.subscription.confirmed").exists()


def test_the_subscribe_page_offers_public_lists_only_when_there_is_a_choice(
    subscribe_form, client, main_list
):
    page = client.get(reverse("mailing:subscribe")).content.decode()
    assert "Which lists?" not in page
    second = MailingListFactory(name="Practice Leaders", public=True)
    MailingListFactory(name="Hidden Board", public=False)
    page = client.get(reverse("mailing:subscribe")).content.decode()
    assert "Which lists?" in page and "Practice Leaders" in page
    # The main list (the first created) is ticked, the other is not.
    assert re.search(rf'value="{main_list.pk}" checked', page)
    assert not re.search(rf'value="{second.pk}" checked', page)
    assert "Hidden Board" not in page
    subscribe_form(client, lists=[second.pk])
    assert list(Subscription.objects.values_list("mailing_list__name", flat=True)) == [
        "Practice Leaders"
    ]


def test_subscribe_form_errors_keep_what_was_typed(subscribe_form, client, main_list):
    response = subscribe_form(client, email="not-an-address")
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Enter an email address in the correct format" in page
    assert 'value="New Reader"' in page
    assert not Subscriber.objects.exists()


def test_same_page_whoever_subscribes_and_a_confirmed_address_gets_no_email(
    subscribe_form, client, main_list
):
    SubscriptionFactory(
        mailing_list=main_list, subscriber=SubscriberFactory(email="known@example.org")
    )
    response = subscribe_form(client, email="known@example.org")
    assert response["Location"] == reverse("mailing:subscribe-sent")
    assert mail.outbox == []
    assert Subscription.objects.get().status == S.CONFIRMED


def test_one_confirmation_email_per_ten_minutes(
    subscribe_form, client, main_list, django_capture_on_commit_callbacks
):
    subscribe_form(client)
    subscribe_form(client)
    subscribe_form(client)
    assert len(mail.outbox) == 1
    assert Subscription.objects.count() == 1
    later = timezone.now() + datetime.timedelta(minutes=11)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.subscription_request(
            email="new.reader@example.org", lists=[main_list], now=later
        )
    assert outcome.emailed
    assert len(mail.outbox) == 2


def test_name_of_a_known_address_changes_only_on_confirmation(subscribe_form, client, main_list):
    subscriber = SubscriberFactory(email="kim@example.org", name="Kim Lee")
    subscribe_form(client, email="kim@example.org", name="Someone Else")
    subscriber.refresh_from_db()
    assert subscriber.name == "Kim Lee"
    client.post(_confirm_path(mail.outbox[0]))
    subscriber.refresh_from_db()
    assert subscriber.name == "Someone Else"


def test_unsubscribed_from_everything_may_ask_again_and_confirming_lifts_it(
    subscribe_form, client, main_list
):
    subscriber = SubscriberFactory(email="back@example.org")
    SubscriptionFactory(mailing_list=main_list, subscriber=subscriber, status=S.UNSUBSCRIBED)
    Suppression.objects.create(email="back@example.org", reason=Suppression.Reason.UNSUBSCRIBED)
    subscribe_form(client, email="back@example.org")
    [message] = mail.outbox
    assert not services.may_send(subscriber_id=subscriber.pk, list_id=main_list.pk)
    client.post(_confirm_path(message))
    assert not Suppression.objects.exists()
    assert services.may_send(subscriber_id=subscriber.pk, list_id=main_list.pk)


@pytest.mark.parametrize("reason", ["bounced", "complaint", "manual"])
def test_bounced_or_suppressed_address_gets_nothing(subscribe_form, client, main_list, reason):
    Suppression.objects.create(email="gone@example.org", reason=reason)
    response = subscribe_form(client, email="gone@example.org")
    assert response["Location"] == reverse("mailing:subscribe-sent")
    assert mail.outbox == []
    assert not Subscription.objects.exists()


def test_bounced_subscriber_gets_nothing(subscribe_form, client, main_list):
    SubscriberFactory(email="bounced@example.org", bounced_at=timezone.now())
    subscribe_form(client, email="bounced@example.org")
    assert mail.outbox == []
    assert not Subscription.objects.exists()


# Unsubscribing ---------------------------------------------------------------------------------


@pytest.fixture
def subscription(main_list):
    return SubscriptionFactory(
        mailing_list=main_list, subscriber=SubscriberFactory(email="reader@example.org")
    )


def _unsubscribe_path(subscription) -> str:
    return reverse(
        "mailing:unsubscribe",
        args=[tokens.unsubscribe_token(subscription.subscriber_id, subscription.mailing_list_id)],
    )


def test_get_shows_a_button_and_does_not_unsubscribe(client, subscription):
    response = client.get(_unsubscribe_path(subscription))
    assert response.status_code == 200
    assert "Unsubscribe from Regional Update" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == S.CONFIRMED


def test_rfc8058_one_click_post_without_login_or_csrf(subscription):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        _unsubscribe_path(subscription),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    subscription.refresh_from_db()
    assert subscription.status == S.UNSUBSCRIBED
    assert subscription.unsubscribed_at is not None
    assert not services.may_send(
        subscriber_id=subscription.subscriber_id, list_id=subscription.mailing_list_id
    )
    # Repeating it is harmless.
    again = client.post(
        _unsubscribe_path(subscription),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert again.status_code == 200


def test_the_header_url_of_a_real_email_unsubscribes(subscription, published_issue):
    message = emails.personalise(
        emails.issue_email(published_issue),
        subscriber_id=subscription.subscriber_id,
        list_id=subscription.mailing_list_id,
        email="reader@example.org",
        name="Reader",
    )
    url = message.extra_headers["List-Unsubscribe"][1:-1]
    response = Client(enforce_csrf_checks=True).post(
        urlsplit(url).path, {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == S.UNSUBSCRIBED


def test_the_button_unsubscribes_and_stops_queued_sending(client, subscription):
    other = SubscriptionFactory(mailing_list=subscription.mailing_list)
    ids = {subscription.subscriber_id, other.subscriber_id}
    assert selectors.sendable_subscriber_ids(subscription.mailing_list_id, ids) == ids
    response = client.post(_unsubscribe_path(subscription))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert selectors.sendable_subscriber_ids(subscription.mailing_list_id, ids) == {
        other.subscriber_id
    }


def test_unsubscribe_of_a_removed_subscription_still_answers(client, subscription):
    path = _unsubscribe_path(subscription)
    subscription.delete()
    assert client.get(path).status_code == 200
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200


def test_sendable_excludes_bounced_and_suppressed(main_list):
    bounced = SubscriptionFactory(
        mailing_list=main_list, subscriber=SubscriberFactory(bounced_at=timezone.now())
    )
    suppressed = SubscriptionFactory(mailing_list=main_list)
    Suppression.objects.create(email=suppressed.subscriber.email, reason="complaint")
    pending = SubscriptionFactory(mailing_list=main_list, status=S.PENDING)
    fine = SubscriptionFactory(mailing_list=main_list)
    assert list(selectors.subscriptions_sendable(main_list.pk)) == [fine]
    for s in (bounced, suppressed, pending):
        assert not services.may_send(subscriber_id=s.subscriber_id, list_id=main_list.pk)


# Preferences -----------------------------------------------------------------------------------


def test_preferences_change_lists_and_details(client, subscription):
    second = MailingListFactory(name="Practice Leaders")
    path = reverse(
        "mailing:preferences", args=[tokens.preferences_token(subscription.subscriber_id)]
    )
    page = client.get(path)
    assert page.status_code == 200
    assert "reader@example.org" in page.content.decode()
    response = client.post(
        path, {"name": "Renamed Reader", "organisation": "Sandwell", "lists": [second.pk]}
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == S.UNSUBSCRIBED
    joined = Subscription.objects.get(mailing_list=second)
    assert joined.status == S.CONFIRMED
    assert "preferences page" in joined.consent_note
    subscriber = Subscriber.objects.get(pk=subscription.subscriber_id)
    assert (subscriber.name, subscriber.organisation) == ("Renamed Reader", "Sandwell")


def test_unsubscribe_from_everything(client, subscription):
    second = SubscriptionFactory(subscriber=subscription.subscriber)
    token = tokens.preferences_token(subscription.subscriber_id)
    assert (
        client.get(reverse("mailing:preferences-unsubscribe-all", args=[token])).status_code == 405
    )
    response = client.post(reverse("mailing:preferences-unsubscribe-all", args=[token]))
    assert response.status_code == 200
    assert set(Subscription.objects.values_list("status", flat=True)) == {S.UNSUBSCRIBED}
    suppression = Suppression.objects.get(email="reader@example.org")
    assert suppression.reason == Suppression.Reason.UNSUBSCRIBED
    assert not services.may_send(subscriber_id=second.subscriber_id, list_id=second.mailing_list_id)


def test_preferences_of_a_suppressed_address_cannot_join(client, subscription):
    Suppression.objects.create(email="reader@example.org", reason="complaint")
    second = MailingListFactory()
    path = reverse(
        "mailing:preferences", args=[tokens.preferences_token(subscription.subscriber_id)]
    )
    response = client.post(path, {"lists": [subscription.mailing_list_id, second.pk]})
    assert response.status_code == 200
    assert "We cannot send email to this address" in response.content.decode()
    assert not Subscription.objects.filter(mailing_list=second).exists()


def test_preferences_for_a_deleted_subscriber_is_a_clear_404(client):
    response = client.get(reverse("mailing:preferences", args=[tokens.preferences_token(999)]))
    assert response.status_code == 404
    assert "nothing to manage" in response.content.decode()


def test_subscribe_form_is_limited_per_connection(client, main_list, settings):
    settings.MAILING_SUBSCRIBE_LIMIT = 3
    url = reverse("mailing:subscribe")
    for n in range(3):
        response = client.post(url, {"email": f"person{n}@example.org"})
        assert response.status_code == 302
    response = client.post(url, {"email": "person9@example.org"})
    assert response.status_code == 429
    assert "too many requests" in response.content.decode()
    assert 'value="person9@example.org"' in response.content.decode()
    assert Subscriber.objects.count() == 3


def test_import_refused_if_the_list_changes_meanwhile(admin_user, main_list, monkeypatch):
    from django.db import IntegrityError

    def clash(**kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(services, "_import_commit", clash)
    report = services.subscribers_import(
        actor=admin_user,
        mailing_list=main_list,
        data=b"email,consent note\na@example.org,Asked\n",
        commit=True,
    )
    assert not report.committed
    assert "nothing was imported" in report.error
