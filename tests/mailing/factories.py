import factory

from regionhub.mailing.models import MailingList, Subscriber, Subscription, Suppression


class MailingListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MailingList

    name = factory.Sequence(lambda n: f"List {n}")
    slug = factory.Sequence(lambda n: f"list-{n}")
    public = True


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    name = factory.Sequence(lambda n: f"Reader {n}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    mailing_list = factory.SubFactory(MailingListFactory)
    subscriber = factory.SubFactory(SubscriberFactory)
    status = Subscription.Status.CONFIRMED
    source = Subscription.Source.ADMIN
    consent_note = "Asked at a network meeting."


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    email = factory.Sequence(lambda n: f"suppressed{n}@example.org")
    reason = Suppression.Reason.MANUAL
