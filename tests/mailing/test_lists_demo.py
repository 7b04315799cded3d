from io import StringIO

from django.core import mail
from django.core.management import call_command

from regionhub.mailing import demo, selectors
from regionhub.mailing.models import MailingList, Subscription, Suppression

S = Subscription.Status


def test_demo_list_has_subscribers_with_consent_and_sends_nothing(db):
    call_command("load_demo", stdout=StringIO())
    mailing_list = MailingList.objects.get(name="Regional Update")
    assert mailing_list.public
    counts = selectors.list_counts(mailing_list)
    assert counts == {S.CONFIRMED: 29, S.PENDING: 2, S.UNSUBSCRIBED: 1}
    confirmed = Subscription.objects.filter(mailing_list=mailing_list, status=S.CONFIRMED)
    assert not confirmed.filter(consent_note="").exists()
    assert {s.source for s in confirmed} == {Subscription.Source.IMPORT}
    assert all(s.subscriber.email.endswith(".example") for s in confirmed)
    assert Suppression.objects.count() == 1
    assert selectors.subscriptions_sendable(mailing_list.pk).count() == 29
    assert not [m for m in mail.outbox if "Confirm your subscription" in m.subject]
    assert "already loaded" in demo.load_demo_data()
    assert Subscription.objects.filter(mailing_list=mailing_list).count() == 32
