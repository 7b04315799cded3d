"""The demo's sent campaign: the latest demo issue sent to the demo list by the same services
and worker as a real one. In development the messages land in `var/mail/`, where the
development mailbox page shows them. Runs after the mailing lists demo; does nothing when that
issue has already been sent to that list.
"""

from regionhub.accounts.models import User
from regionhub.directory.demo import ADMIN_EMAIL
from regionhub.newsletter.models import Issue

from . import sending
from .demo import LIST_NAME
from .models import Campaign, MailingList
from .tasks import Worker


def load_demo_campaign() -> str:
    mailing_list = MailingList.objects.filter(name=LIST_NAME).first()
    issue = Issue.objects.published().order_by("-month").first()
    admin = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
    if mailing_list is None or issue is None or admin is None:
        return "Demo campaign skipped: the demo list, a published issue or the admin is missing."
    if Campaign.objects.filter(issue=issue, mailing_list=mailing_list).exists():
        return "Demo campaign already sent; nothing changed."
    campaign = sending.campaign_create(
        actor=admin, issue=issue, mailing_list=mailing_list, rate_per_minute=0
    )
    sending.campaign_start(actor=admin, campaign=campaign)
    worker = Worker(name="demo")
    try:
        while worker.send_batch(campaign):
            pass
    finally:
        worker.transport.close()
    sending.campaign_finish_if_done(campaign_id=campaign.pk)
    return (
        f"Demo campaign: {issue.title} sent to {worker.stats.sent} subscribers of "
        f"{mailing_list.name}; the messages are in the development mailbox."
    )
