"""Every non-trivial read of the mailing lists; query counts do not grow with the data.

`subscriptions_sendable` and `sendable_subscriber_ids` say who may receive a list right now:
CONFIRMED, not bounced, address not suppressed. Sending uses them to freeze the audience and
again when it claims each batch, so an unsubscribe stops a message already queued.
"""

from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from .models import MailingList, Subscriber, Subscription, Suppression

S = Subscription.Status


def _suppressed() -> Exists:
    return Exists(Suppression.objects.filter(email=OuterRef("subscriber__email")))


def subscriptions_sendable(list_id: int) -> QuerySet[Subscription]:
    """The subscriptions of a list that may be sent to now."""
    return Subscription.objects.filter(
        mailing_list_id=list_id, status=S.CONFIRMED, subscriber__bounced_at__isnull=True
    ).exclude(_suppressed())


def sendable_subscriber_ids(list_id: int, subscriber_ids: Iterable[int]) -> set[int]:
    """Of `subscriber_ids`, those who may still receive the list: one query per batch."""
    return set(
        subscriptions_sendable(list_id)
        .filter(subscriber_id__in=list(subscriber_ids))
        .values_list("subscriber_id", flat=True)
    )


def lists_public() -> list[MailingList]:
    """Lists offered on the subscribe form, the main one (the first created) first."""
    return list(MailingList.objects.filter(public=True).order_by("created", "pk"))


def lists_with_counts() -> QuerySet[MailingList]:
    def count(status: str) -> Count:
        return Count("subscriptions", filter=Q(subscriptions__status=status))

    return MailingList.objects.annotate(
        confirmed=count(S.CONFIRMED),
        pending=count(S.PENDING),
        unsubscribed=count(S.UNSUBSCRIBED),
    ).order_by("name")


def list_counts(mailing_list: MailingList) -> dict[str, int]:
    rows = (
        Subscription.objects.filter(mailing_list=mailing_list)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(S.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def list_subscriptions(
    mailing_list: MailingList, *, query: str = "", status: str = ""
) -> QuerySet[Subscription]:
    """A list's subscriptions with their subscribers, by address; `query` matches the address,
    name or organisation."""
    qs = Subscription.objects.filter(mailing_list=mailing_list).select_related("subscriber")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(subscriber__email__icontains=query)
            | Q(subscriber__name__icontains=query)
            | Q(subscriber__organisation__icontains=query)
        )
    if status in S.values:
        qs = qs.filter(status=status)
    return qs.order_by("subscriber__email")


def suppressions(query: str = "") -> QuerySet[Suppression]:
    qs = Suppression.objects.all()
    query = query.strip()
    if query:
        qs = qs.filter(Q(email__icontains=query) | Q(note__icontains=query))
    return qs.order_by("email")


def subscriber_subscriptions(subscriber: Subscriber) -> dict[int, Subscription]:
    return {s.mailing_list_id: s for s in subscriber.subscriptions.all()}
