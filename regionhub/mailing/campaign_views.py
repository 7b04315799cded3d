"""Campaign pages for regional admins: send an issue to a list, watch it go, pause, resume,
cancel, send the failures again, read the per-recipient log. Everyone else gets a 404 (after
signing in), as for a missing campaign."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from regionhub.core.audit import audit_entries_for
from regionhub.core.permissions import is_regional_admin

from . import campaign_forms, campaign_selectors, sending
from .models import Campaign

LIST_PAGE_SIZE = 25
RECIPIENT_PAGE_SIZE = 50
POLL_SECONDS = 2
NAV = "updates"


def access_admin(user) -> None:
    if not is_regional_admin(user):
        raise Http404


def access_campaign(user, pk: int) -> Campaign:
    access_admin(user)
    campaign = campaign_selectors.campaign_for_admin(pk)
    if campaign is None:
        raise Http404
    return campaign


@login_required
def campaign_list(request):
    access_admin(request.user)
    page = Paginator(campaign_selectors.campaigns_for_admin(), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "mailing/campaigns/campaign_list.html", {"nav": NAV, "page": page})


@login_required
def campaign_create(request):
    access_admin(request.user)
    initial = {}
    if request.GET.get("issue", "").isdigit():
        initial["issue"] = request.GET["issue"]
    form = campaign_forms.CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = sending.campaign_create(
                actor=request.user,
                issue=data["issue"],
                mailing_list=data["mailing_list"],
                subject=data["subject"],
                rate_per_minute=data["rate_per_minute"],
                error_threshold=data["error_threshold"],
            )
        except sending.SendingError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "Campaign ready. Check the audience, then start sending.")
            return redirect("mailing:campaign-detail", pk=campaign.pk)
    return render(
        request,
        "core/form.html",
        {
            "nav": NAV,
            "form": form,
            "title": "Send an issue to a list",
            "intro": "Nothing is sent yet: the next page shows who would receive it, "
            "and sending starts when you press Start sending there.",
            "submit": "Continue",
            "back_url": reverse("mailing:campaigns"),
        },
    )


def _progress_context(campaign: Campaign) -> dict:
    progress = campaign_selectors.campaign_progress(campaign)
    return {
        "campaign": campaign,
        "progress": progress,
        "polling": campaign.status == Campaign.Status.SENDING,
        "poll_seconds": POLL_SECONDS,
    }


@login_required
def campaign_detail(request, pk: int):
    campaign = access_campaign(request.user, pk)
    context = _progress_context(campaign)
    if campaign.status == Campaign.Status.DRAFT:
        context["audience_now"] = campaign_selectors.audience_now(
            issue_id=campaign.issue_id, mailing_list_id=campaign.mailing_list_id
        )
    context["nav"] = NAV
    context["audit_entries"] = audit_entries_for(campaign)
    return render(request, "mailing/campaigns/campaign_detail.html", context)


@login_required
def campaign_progress(request, pk: int):
    """The progress fragment htmx polls. When the status has changed since the page was drawn
    (finished, paused automatically), the whole page is reloaded for its new buttons."""
    campaign = access_campaign(request.user, pk)
    shown = request.GET.get("status")
    if request.headers.get("HX-Request") and shown and shown != campaign.status:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "mailing/campaigns/includes/progress.html", _progress_context(campaign))


def _action(request, pk: int, act, success: str):
    campaign = access_campaign(request.user, pk)
    try:
        result = act(actor=request.user, campaign=campaign)
    except (sending.SendingError, PermissionDenied) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(request, success.format(result=result))
    return redirect("mailing:campaign-detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_start(request, pk: int):
    return _action(
        request, pk, sending.campaign_start, "Sending started to {result:,} subscribers."
    )


@login_required
@require_POST
def campaign_pause(request, pk: int):
    return _action(request, pk, sending.campaign_pause, "Sending paused.")


@login_required
@require_POST
def campaign_resume(request, pk: int):
    return _action(request, pk, sending.campaign_resume, "Sending resumed.")


@login_required
@require_POST
def campaign_resend_failed(request, pk: int):
    return _action(
        request,
        pk,
        sending.campaign_resend_failed,
        "{result:,} failed messages will be sent again.",
    )


@login_required
def campaign_cancel(request, pk: int):
    campaign = access_campaign(request.user, pk)
    if request.method == "POST":
        return _action(
            request,
            pk,
            lambda **kw: sending.campaign_cancel(**kw)[1],
            "Campaign cancelled: {result:,} messages will not be sent.",
        )
    return render(
        request,
        "mailing/campaigns/campaign_cancel.html",
        {
            "nav": NAV,
            "campaign": campaign,
            "progress": campaign_selectors.campaign_progress(campaign),
        },
    )


@login_required
def campaign_recipients(request, pk: int):
    campaign = access_campaign(request.user, pk)
    form = campaign_forms.RecipientFilterForm(request.GET or None)
    status = query = ""
    if form.is_valid():
        status, query = form.cleaned_data["status"], form.cleaned_data["q"]
    deliveries = campaign_selectors.campaign_deliveries(campaign, status=status, query=query)
    page = Paginator(deliveries, RECIPIENT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "mailing/campaigns/campaign_recipients.html",
        {
            "nav": NAV,
            "campaign": campaign,
            "filter_form": form,
            "page": page,
            "filtered": bool(status or query),
        },
    )
