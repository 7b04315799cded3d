"""The demo's sent campaign: the latest issue to the demo list, every message written by the
file backend where the development mailbox page reads it; loading it twice changes nothing."""

from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from regionhub.mailing import selectors
from regionhub.mailing.demo_campaign import load_demo_campaign
from regionhub.mailing.models import Campaign, Delivery, MailingList
from regionhub.newsletter.models import Issue


def test_demo_campaign_is_sent_into_the_development_mailbox(client, db, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    settings.DEV_MAIL_PAGE = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    mailing_list = MailingList.objects.get(name="Regional Update")
    latest = Issue.objects.published().order_by("-month").first()
    audience = set(
        selectors.subscriptions_sendable(mailing_list.pk).values_list(
            "subscriber__email", flat=True
        )
    )
    assert audience
    message = out.getvalue()  # load_demo sends the demo campaign after loading the list

    campaign = Campaign.objects.get(issue=latest, mailing_list=mailing_list)
    assert campaign.status == Campaign.Status.FINISHED
    assert f"sent to {len(audience)} subscribers" in message
    deliveries = campaign.deliveries.all()
    assert {d.email for d in deliveries} == audience
    assert {d.status for d in deliveries} == {Delivery.Status.SENT}
    written = "".join(p.read_text() for p in tmp_path.glob("*.log"))
    for address in audience:
        assert f"To: {address}" in written
    assert written.count("List-Unsubscribe-Post: List-Unsubscribe=One-Click") == len(audience)

    page = client.get(reverse("core:dev-mail")).content.decode()
    assert page.count(latest.title) >= len(audience)

    assert load_demo_campaign() == "Demo campaign already sent; nothing changed."
    assert Campaign.objects.count() == 1
    assert Delivery.objects.count() == len(audience)
