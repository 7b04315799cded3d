"""Helpers for the sending tests: subscribers in bulk, a campaign started, a clock the test moves
by hand, and a renderer that counts how often an issue is rendered."""

import datetime
import itertools
from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from regionhub.mailing import sending
from regionhub.mailing.models import Campaign, Subscriber, Subscription
from regionhub.newsletter import services as newsletter
from tests.factories import UserFactory

_numbers = itertools.count(1)


def subscribe(mailing_list, count: int, *, prefix: str = "recipient", status=None) -> list:
    """`count` new subscribers on `mailing_list`, confirmed unless told otherwise."""
    numbers = [next(_numbers) for _ in range(count)]
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=f"{prefix}{n}@example.org", name=f"Recipient {n}") for n in numbers
    )
    if not subscribers or subscribers[0].pk is None:
        emails = [s.email for s in subscribers]
        subscribers = list(Subscriber.objects.filter(email__in=emails).order_by("pk"))
    Subscription.objects.bulk_create(
        Subscription(
            mailing_list=mailing_list,
            subscriber=s,
            status=status or Subscription.Status.CONFIRMED,
            source=Subscription.Source.ADMIN,
            confirmed_at=timezone.now(),
        )
        for s in subscribers
    )
    return subscribers


def started(actor, issue, mailing_list, **options) -> Campaign:
    """A campaign of `issue` to `mailing_list`, created and started by `actor`."""
    campaign = sending.campaign_create(
        actor=actor, issue=issue, mailing_list=mailing_list, **options
    )
    sending.campaign_start(actor=actor, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def publish_issue(admin, month: datetime.date):
    """A published issue for `month`, approved by a second admin."""
    issue = newsletter.issue_create(actor=admin, month=month, foreword="A word from the chair.")
    newsletter.issue_approve(actor=UserFactory(role="regional_admin"), issue=issue)
    return newsletter.issue_publish(actor=admin, issue=issue)


class FakeClock:
    """Wall-clock and monotonic time that move only when the test (or a sleep) moves them."""

    def __init__(self, start: datetime.datetime | None = None):
        self.current = start or timezone.now()
        self.mono = 1000.0
        self.slept: list[float] = []

    def now(self) -> datetime.datetime:
        return self.current

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.current += datetime.timedelta(seconds=seconds)
        self.mono += seconds


@dataclass(frozen=True)
class FakeIssueEmail:
    issue_id: int
    subject: str
    html: str
    text: str


class FakeRenderer:
    """The `emails` contract, cheaply, counting renders."""

    def __init__(self):
        self.rendered: list[int] = []
        self.personalised = 0

    def issue_email(self, issue):
        self.rendered.append(issue.pk)
        return FakeIssueEmail(issue.pk, issue.title, "<p>Hello</p>", "Hello")

    def personalise(self, rendered, *, subscriber_id, list_id, email, name, connection=None):
        self.personalised += 1
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=f"Dear {name},\n{rendered.text}",
            to=[email],
            headers={"X-Subscriber": str(subscriber_id), "X-List": str(list_id)},
        )
        message.attach_alternative(rendered.html, "text/html")
        return message
