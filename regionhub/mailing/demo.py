"""The demo mailing list: the Regional Update with about thirty people of the demo directory,
brought in through the same import an admin uses (each with a consent note), two waiting to
confirm, one who unsubscribed, and one address on the suppression list.

Addresses are made up under the reserved `.example` domain, so nothing can reach a real inbox.
Runs after the directory demo; does nothing when the list is already there.
"""

import re

from django.db import transaction

from regionhub.accounts.models import User
from regionhub.directory.demo import ADMIN_EMAIL
from regionhub.directory.models import Person

from . import services
from .models import MailingList, Subscriber, Subscription

LIST_NAME = "Regional Update"
CONFIRMED = 30
CONSENT = [
    "Asked to join at the DCS Network meeting, {when}",
    "Emailed the Regional Team asking to receive the Update, {when}",
    "On the old website's mailing list; asked to be added by email, {when}",
    "Ticked ‘send me the Regional Update’ when booking a regional event, {when}",
]
WHEN = ["March 2023", "June 2023", "November 2023", "February 2024", "May 2024"]


def _address(person: Person) -> str:
    if person.email:
        return person.email.lower()
    local = ".".join(re.findall(r"[a-z]+", person.name.lower())) or f"person{person.pk}"
    org = person.organisation
    place = (org.short_name or org.name) if org else "regional"
    domain = "-".join(re.findall(r"[a-z]+", place.lower())) or "regional"
    return f"{local}@{domain}.example"


def _csv_value(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def load_demo_data() -> str:
    """The demo list and its subscribers, then the latest demo issue sent to it."""
    from .demo_campaign import load_demo_campaign

    return f"{_load_list()}\n{load_demo_campaign()}"


def _load_list() -> str:
    if MailingList.objects.filter(name=LIST_NAME).exists():
        return "Mailing demo already loaded; nothing changed."
    admin = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if admin is None:
        return "Mailing demo skipped: the directory demo's admin is missing."
    people = list(
        Person.objects.filter(organisation__isnull=False).select_related("organisation")[:40]
    )
    with transaction.atomic():
        mailing_list = services.mailing_list_create(
            actor=admin,
            name=LIST_NAME,
            slug="regional-update",
            description="The monthly Regional Update of the children's services network.",
        )
        seen: set[str] = set()
        chosen = []
        for person in people:
            address = _address(person)
            if address not in seen:
                seen.add(address)
                chosen.append((person, address))
        imported, pending = chosen[:CONFIRMED], chosen[CONFIRMED : CONFIRMED + 2]
        lines = ["email,name,organisation,consent note"]
        for n, (person, address) in enumerate(imported):
            consent = CONSENT[n % len(CONSENT)].format(when=WHEN[n % len(WHEN)])
            organisation = person.organisation.name if person.organisation else ""
            lines.append(
                ",".join(_csv_value(v) for v in (address, person.name, organisation, consent))
            )
        report = services.subscribers_import(
            actor=admin,
            mailing_list=mailing_list,
            data="\n".join(lines).encode(),
            commit=True,
        )
        if not report.committed:
            raise RuntimeError(f"demo import refused: {report.error or report.rejected[:3]}")
        # Two people asked through the form and have not confirmed yet. Made directly, so
        # that loading the demo sends no confirmation email.
        for person, address in pending:
            subscriber, _ = Subscriber.objects.get_or_create(
                email=address,
                defaults={
                    "name": person.name,
                    "organisation": person.organisation.name if person.organisation else "",
                },
            )
            Subscription.objects.get_or_create(
                mailing_list=mailing_list,
                subscriber=subscriber,
                defaults={"status": Subscription.Status.PENDING},
            )
        if imported:
            leaver = Subscriber.objects.get(email=imported[-1][1])
            services.subscription_unsubscribe(subscriber_id=leaver.pk, list_id=mailing_list.pk)
        services.suppression_add(
            actor=admin,
            email="old.mailbox@walsall.example",
            note="Shared mailbox closed; the council asked us not to write to it.",
        )
    return (
        f"Mailing demo loaded: {LIST_NAME} with {len(imported) - 1} subscribed, "
        f"{len(pending)} waiting to confirm, 1 unsubscribed, 1 suppressed address."
    )
