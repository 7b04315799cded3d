"""Campaign pages: only regional admins, the send form's errors, start, the progress page and
its htmx fragment, the per-recipient log, cancel with confirmation; bounded queries."""

import pytest
from django.urls import reverse

from regionhub.mailing import sending
from regionhub.mailing.models import Campaign, Delivery, Subscription
from regionhub.newsletter import services as newsletter
from tests.factories import UserFactory

from .sending_helpers import started, subscribe

D = Delivery.Status
S = Campaign.Status


@pytest.fixture
def campaign(admin_user, published_issue, main_list):
    return sending.campaign_create(actor=admin_user, issue=published_issue, mailing_list=main_list)


def urls(campaign) -> dict[str, str]:
    pk = campaign.pk
    return {
        "list": reverse("mailing:campaigns"),
        "create": reverse("mailing:campaign-create"),
        "detail": reverse("mailing:campaign-detail", args=[pk]),
        "progress": reverse("mailing:campaign-progress", args=[pk]),
        "recipients": reverse("mailing:campaign-recipients", args=[pk]),
        "cancel": reverse("mailing:campaign-cancel", args=[pk]),
    }


POSTS = ["campaign-start", "campaign-pause", "campaign-resume", "campaign-resend-failed"]


def test_visitors_are_asked_to_sign_in(client, campaign):
    for url in urls(campaign).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(reverse("mailing:campaign-start", args=[campaign.pk]))
    assert response.status_code == 302
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_everyone_but_regional_admins_gets_404(client, campaign, role):
    client.force_login(UserFactory(role=role))
    for url in urls(campaign).values():
        assert client.get(url).status_code == 404, url
    for name in POSTS:
        assert client.post(reverse(f"mailing:{name}", args=[campaign.pk])).status_code == 404
    assert client.post(urls(campaign)["cancel"]).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == S.DRAFT


def test_a_missing_campaign_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("mailing:campaign-detail", args=[999])).status_code == 404


def test_the_send_form_explains_what_is_wrong_and_keeps_what_was_typed(
    client, admin_user, published_issue, main_list
):
    draft = newsletter.issue_create(
        actor=admin_user, month=published_issue.month.replace(year=2030)
    )
    client.force_login(admin_user)
    url = reverse("mailing:campaign-create")
    page = client.get(url, {"issue": published_issue.pk}).content.decode()
    assert f'<option value="{published_issue.pk}" selected>' in page
    assert draft.title not in page  # only published issues are offered

    response = client.post(
        url,
        {"issue": "", "mailing_list": main_list.pk, "rate_per_minute": "lots", "subject": "Hi"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Choose the issue to send." in body
    assert "Enter a whole number of messages a minute, like 6000." in body
    assert "Enter after how many failures in a row sending should pause." in body
    assert 'value="Hi"' in body
    assert body.count("<title>Error: ") == 1

    response = client.post(
        url,
        {
            "issue": draft.pk,
            "mailing_list": main_list.pk,
            "rate_per_minute": 60,
            "error_threshold": 10,
        },
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Campaign.objects.exists()


def test_create_then_start_from_the_page(client, admin_user, published_issue, main_list):
    subscribe(main_list, 3)
    client.force_login(admin_user)
    response = client.post(
        reverse("mailing:campaign-create"),
        {
            "issue": published_issue.pk,
            "mailing_list": main_list.pk,
            "subject": "",
            "rate_per_minute": 600,
            "error_threshold": 20,
        },
    )
    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("mailing:campaign-detail", args=[campaign.pk])
    assert (campaign.subject, campaign.rate_per_minute, campaign.error_threshold) == (
        published_issue.title,
        600,
        20,
    )
    page = client.get(response["Location"]).content.decode()
    assert "3 subscribers would receive it now" in page
    assert "Start sending" in page
    assert not Delivery.objects.exists()

    response = client.post(reverse("mailing:campaign-start", args=[campaign.pk]), follow=True)
    assert "Sending started to 3 subscribers." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == S.SENDING
    assert campaign.deliveries.count() == 3
    # Pressing it again (a double submit) changes nothing.
    response = client.post(reverse("mailing:campaign-start", args=[campaign.pk]), follow=True)
    assert "already been started" in response.content.decode()
    assert campaign.deliveries.count() == 3


def test_progress_page_shows_the_counts_and_polls_while_sending(
    client, admin_user, published_issue, main_list, django_assert_max_num_queries
):
    subscribe(main_list, 10)
    campaign = started(admin_user, published_issue, main_list)
    rows = list(campaign.deliveries.order_by("pk"))
    for row in rows[:4]:
        sending.delivery_sent(delivery_id=row.pk)
    Delivery.objects.filter(pk=rows[4].pk).update(status=D.FAILED)
    Delivery.objects.filter(pk__in=[rows[5].pk, rows[6].pk]).update(status=D.BOUNCED)
    Delivery.objects.filter(pk=rows[7].pk).update(status=D.SKIPPED)
    client.force_login(admin_user)

    with django_assert_max_num_queries(14):
        page = client.get(reverse("mailing:campaign-detail", args=[campaign.pk]))
    body = page.content.decode()

    def count(name):
        marker = f'data-count="{name}">'
        return body.split(marker, 1)[1].split("<", 1)[0]

    assert (count("sent"), count("remaining"), count("failed")) == ("4", "2", "1")
    assert (count("bounced"), count("skipped")) == ("2", "1")
    assert count("rate").startswith("4")  # sent in the last minute
    assert "8 of 10 dealt with (80%)" in body
    assert "Time left" in body
    assert 'hx-trigger="every 2s"' in body
    assert f'href="{reverse("mailing:campaign-detail", args=[campaign.pk])}">Refresh' in body
    assert "Pause" in body and "Send the 1 failed again" in body

    with django_assert_max_num_queries(6):
        fragment = client.get(
            reverse("mailing:campaign-progress", args=[campaign.pk]),
            {"status": "sending"},
            headers={"HX-Request": "true"},
        )
    text = fragment.content.decode()
    assert "<html" not in text
    assert 'id="campaign-progress"' in text and 'data-count="sent">4<' in text

    # When the status changes under the page, the fragment asks for a full reload instead.
    sending.campaign_pause(actor=admin_user, campaign=campaign)
    fragment = client.get(
        reverse("mailing:campaign-progress", args=[campaign.pk]),
        {"status": "sending"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 204
    assert fragment["HX-Refresh"] == "true"
    body = client.get(reverse("mailing:campaign-detail", args=[campaign.pk])).content.decode()
    assert "hx-trigger" not in body  # no polling once it is not sending
    assert "Resume" in body and "Paused by" in body


def test_the_buttons_pause_resume_resend_and_cancel(client, admin_user, published_issue, main_list):
    subscribe(main_list, 3)
    campaign = started(admin_user, published_issue, main_list)
    client.force_login(admin_user)

    def post(name):
        url = reverse(f"mailing:{name}", args=[campaign.pk])
        return client.post(url, follow=True).content.decode()

    assert "Sending paused." in post("campaign-pause")
    assert "Only a campaign that is sending can be paused." in post("campaign-pause")
    assert "Sending resumed." in post("campaign-resume")
    assert "There are no failed messages to send again." in post("campaign-resend-failed")
    failed = campaign.deliveries.first()
    Delivery.objects.filter(pk=failed.pk).update(status=D.FAILED)
    assert "1 failed messages will be sent again." in post("campaign-resend-failed")

    confirm = client.get(reverse("mailing:campaign-cancel", args=[campaign.pk])).content.decode()
    assert "The 3 not yet sent will not be sent" in confirm
    assert "Campaign cancelled: 3 messages will not be sent." in post("campaign-cancel")
    campaign.refresh_from_db()
    assert campaign.status == S.CANCELLED
    assert set(campaign.deliveries.values_list("status", flat=True)) == {D.CANCELLED}
    assert (
        "already ended"
        in client.get(reverse("mailing:campaign-cancel", args=[campaign.pk])).content.decode()
    )
    history = client.get(reverse("mailing:campaign-detail", args=[campaign.pk])).content.decode()
    for action in ("paused", "resumed", "resent_failed", "cancelled"):
        assert f"mailing.campaign.{action}" in history
    # Buttons only make sense for requests that change something.
    assert client.get(reverse("mailing:campaign-pause", args=[campaign.pk])).status_code == 405


def test_recipient_log_filters_searches_and_pages_in_bounded_queries(
    client, admin_user, published_issue, main_list, django_assert_max_num_queries
):
    subscribers = subscribe(main_list, 120)
    campaign = started(admin_user, published_issue, main_list)
    for d in campaign.deliveries.order_by("pk")[:70]:
        sending.delivery_sent(delivery_id=d.pk)
    Subscription.objects.filter(subscriber=subscribers[-1]).update(status="unsubscribed")
    client.force_login(admin_user)
    url = reverse("mailing:campaign-recipients", args=[campaign.pk])

    for params in ({}, {"page": 3}, {"status": "sent", "page": 2}, {"q": "RECIPIENT"}):
        with django_assert_max_num_queries(8):
            response = client.get(url, params)
        assert response.status_code == 200
    body = client.get(url).content.decode()
    assert "120 recipients" in body
    assert "Page 1 of 3" in body

    sent = client.get(url, {"status": "sent"}).content.decode()
    assert "70 recipients match" in sent
    assert "Waiting" not in sent.split("<tbody", 1)[1]

    one = subscribers[5].email
    found = client.get(url, {"q": one.upper()}).content.decode()
    assert "1 recipient matches" in found
    assert one in found

    nothing = client.get(url, {"q": "nobody-at-all"}).content.decode()
    assert "0 recipients match" in nothing
    assert client.get(url, {"status": "bogus"}).status_code == 200


def test_campaign_list_links_each_campaign(
    client, admin_user, published_issue, main_list, django_assert_max_num_queries
):
    subscribe(main_list, 2)
    first = started(admin_user, published_issue, main_list)
    for n in range(5):
        sending.campaign_create(
            actor=admin_user, issue=published_issue, mailing_list=main_list, subject=f"Try {n}"
        )
    second = sending.campaign_create(
        actor=admin_user, issue=published_issue, mailing_list=main_list, subject="Again"
    )
    client.force_login(admin_user)
    with django_assert_max_num_queries(6):
        body = client.get(reverse("mailing:campaigns")).content.decode()
    assert reverse("mailing:campaign-detail", args=[first.pk]) in body
    assert reverse("mailing:campaign-detail", args=[second.pk]) in body
    assert body.index("Again") < body.index(reverse("mailing:campaign-detail", args=[first.pk]))
    assert "Not started" in body
    assert reverse("mailing:campaign-create") in body
