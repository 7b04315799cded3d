"""Mailing list pages. Thin: parse, call a selector or service, render.

Public pages (subscribe, confirm, unsubscribe, preferences) need no account: the signed token in
the link is the proof. A link that was changed or has expired gets a page saying so (400).
The lists, subscribers, suppression list and imports are for regional admins: anyone else
signed in gets 404, as for a missing page, and a visitor is asked to sign in.
"""

import base64
import binascii
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from regionhub.core.audit import audit_entries_for
from regionhub.core.permissions import is_regional_admin
from regionhub.newsletter.models import Issue

from . import emails, forms, importing, selectors, services, tokens
from .models import MailingList, Subscriber, Subscription, Suppression

NAV = "updates"
PAGE_SIZE = 50
# Carried in the page after a dry run so that "Import" needs no second upload; a larger file
# is chosen again (the request body limit is 2.5 MB).
MAX_CARRIED_BYTES = 1_500_000


def _error(form, error: services.MailingError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _invalid_link(request, error: tokens.TokenError | services.MailingError, status: int = 400):
    return render(
        request,
        "mailing/lists/link_invalid.html",
        {"nav": NAV, "message": error.message},
        status=status,
    )


def admin_only(view):
    """Regional admins only: a visitor is sent to sign in, anyone else gets 404."""

    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_regional_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# Subscribing ----------------------------------------------------------------------------------


def _too_many_requests(request) -> bool:
    """At most `MAILING_SUBSCRIBE_LIMIT` (20) form submissions per connection an hour, so the
    form cannot be used to send confirmation emails to a long list of addresses. The address
    is only a hashed cache key that expires within the hour; it is not stored."""
    key = (
        "mailing:subscribe:"
        + hashlib.sha256(request.META.get("REMOTE_ADDR", "").encode()).hexdigest()
    )
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > getattr(settings, "MAILING_SUBSCRIBE_LIMIT", 20)


def subscribe(request):
    lists = selectors.lists_public()
    if not lists:
        raise Http404
    form = forms.SubscribeForm(request.POST or None, lists=lists)
    if request.method == "POST" and _too_many_requests(request):
        form.is_valid()
        form.add_error(
            None,
            "There have been too many requests to subscribe from your connection. "
            "Try again in an hour.",
        )
        return render(
            request,
            "mailing/lists/subscribe.html",
            {"nav": NAV, "form": form, "lists": lists},
            status=429,
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.subscription_request(
                email=data["email"],
                name=data["name"],
                organisation=data["organisation"],
                lists=data["lists"],
            )
        except services.MailingError as error:
            _error(form, error)
        else:
            return redirect("mailing:subscribe-sent")
    return render(
        request,
        "mailing/lists/subscribe.html",
        {"nav": NAV, "form": form, "lists": lists},
    )


def subscribe_sent(request):
    return render(
        request,
        "mailing/lists/subscribe_sent.html",
        {"nav": NAV, "days": tokens.confirm_max_age().days},
    )


def confirm(request, token: str):
    """The link in the confirmation email. Opening it shows a button; pressing it confirms.
    Mail scanners open links to check them, so opening alone must not subscribe anyone."""
    try:
        confirm_request = tokens.confirm_request(token)
    except tokens.TokenError as error:
        return _invalid_link(request, error)
    if request.method == "POST":
        try:
            confirmed = services.subscription_confirm(request=confirm_request)
        except services.MailingError as error:
            return _invalid_link(request, error, status=404 if error.code == "missing" else 400)
        return render(
            request,
            "mailing/lists/confirmed.html",
            {
                "nav": NAV,
                "confirmed": confirmed,
                "preferences_url": reverse(
                    "mailing:preferences",
                    args=[tokens.preferences_token(confirm_request.subscriber_id)],
                ),
            },
        )
    subscriber = Subscriber.objects.filter(pk=confirm_request.subscriber_id).first()
    if subscriber is None:
        return _invalid_link(
            request,
            services.MailingError(
                "This subscription no longer exists. Fill in the subscribe form again."
            ),
            status=404,
        )
    return render(
        request,
        "mailing/lists/confirm.html",
        {
            "nav": NAV,
            "subscriber": subscriber,
            "pending": services.subscriptions_to_confirm(subscriber.pk),
            "preferences_url": reverse(
                "mailing:preferences", args=[tokens.preferences_token(subscriber.pk)]
            ),
        },
    )


# Unsubscribing --------------------------------------------------------------------------------


@csrf_exempt
def unsubscribe(request, token: str):
    """GET shows a one-button page: link checkers follow links, so a GET changes nothing.
    POST unsubscribes: the button, or a mail client's RFC 8058 one-click request
    (`List-Unsubscribe=One-Click` in the body, no cookies, no CSRF token), which gets a plain
    200 with no page to confirm."""
    try:
        subscriber_id, list_id = tokens.unsubscribe_ids(token)
    except tokens.TokenError as error:
        return _invalid_link(request, error)
    if request.method == "POST":
        subscription = services.subscription_unsubscribe(
            subscriber_id=subscriber_id, list_id=list_id
        )
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
        return render(
            request,
            "mailing/lists/unsubscribed.html",
            {
                "nav": NAV,
                "subscription": subscription,
                "preferences_url": reverse(
                    "mailing:preferences", args=[tokens.preferences_token(subscriber_id)]
                ),
            },
        )
    subscription = (
        Subscription.objects.select_related("subscriber", "mailing_list")
        .filter(subscriber_id=subscriber_id, mailing_list_id=list_id)
        .first()
    )
    return render(
        request,
        "mailing/lists/unsubscribe.html",
        {
            "nav": NAV,
            "subscription": subscription,
            "preferences_url": reverse(
                "mailing:preferences", args=[tokens.preferences_token(subscriber_id)]
            ),
        },
    )


# Preferences ----------------------------------------------------------------------------------


def _subscriber_for_token(token: str) -> Subscriber:
    subscriber_id = tokens.preferences_subscriber_id(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        raise tokens.TokenError(
            "We no longer hold this address: there is nothing to manage.", code="missing"
        )
    return subscriber


def preferences(request, token: str):
    try:
        subscriber = _subscriber_for_token(token)
    except tokens.TokenError as error:
        return _invalid_link(request, error, status=404 if error.code == "missing" else 400)
    lists = services.lists_for_preferences(subscriber)
    current = selectors.subscriber_subscriptions(subscriber)
    initial = {
        "name": subscriber.name,
        "organisation": subscriber.organisation,
        "lists": [pk for pk, s in current.items() if s.status == Subscription.Status.CONFIRMED],
    }
    form = forms.PreferencesForm(request.POST or None, initial=initial, lists=lists)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.subscriber_preferences_update(
                subscriber=subscriber,
                list_ids={ml.pk for ml in data["lists"]},
                name=data["name"],
                organisation=data["organisation"],
            )
        except services.MailingError as error:
            _error(form, error)
        else:
            messages.success(request, "Your choices are saved.")
            return redirect("mailing:preferences", token=token)
    return render(
        request,
        "mailing/lists/preferences.html",
        {
            "nav": NAV,
            "form": form,
            "subscriber": subscriber,
            "subscriptions": current,
            "token": token,
        },
    )


@require_POST
def preferences_unsubscribe_all(request, token: str):
    try:
        subscriber = _subscriber_for_token(token)
    except tokens.TokenError as error:
        return _invalid_link(request, error, status=404 if error.code == "missing" else 400)
    services.subscriber_unsubscribe_all(subscriber=subscriber)
    return render(
        request,
        "mailing/lists/unsubscribed.html",
        {"nav": NAV, "everything": True, "subscriber": subscriber},
    )


# Regional admins: the issue as an email ------------------------------------------------------


@admin_only
def issue_email_preview(request, issue_pk: int):
    """The issue as subscribers will get it, addressed to the admin viewing it; `?part=text`
    for the plain-text part. The links in it are for no real subscriber."""
    issue = get_object_or_404(Issue, pk=issue_pk)
    message = emails.personalise(
        emails.issue_email(issue),
        subscriber_id=0,
        list_id=0,
        email=request.user.email,
        name=request.user.name,
    )
    if request.GET.get("part") == "text":
        return HttpResponse(message.body, content_type="text/plain; charset=utf-8")
    return HttpResponse(message.alternatives[0][0], content_type="text/html; charset=utf-8")


# Regional admins: lists -----------------------------------------------------------------------


def _form_page(request, form, *, title, caption="", submit="Save", back_url="", intro=""):
    return render(
        request,
        "core/form.html",
        {
            "nav": NAV,
            "form": form,
            "title": title,
            "caption": caption,
            "submit": submit,
            "back_url": back_url,
            "intro": intro,
        },
    )


@admin_only
def list_index(request):
    return render(
        request,
        "mailing/lists/list_index.html",
        {
            "nav": NAV,
            "lists": selectors.lists_with_counts(),
            "suppressed": Suppression.objects.count(),
        },
    )


@admin_only
def list_create(request):
    form = forms.MailingListForm(request.POST or None, initial={"public": True})
    if request.method == "POST" and form.is_valid():
        try:
            mailing_list = services.mailing_list_create(actor=request.user, **form.cleaned_data)
        except services.MailingError as error:
            _error(form, error)
        else:
            messages.success(request, f"List {mailing_list.name} created.")
            return redirect("mailing:list-detail", pk=mailing_list.pk)
    return _form_page(
        request,
        form,
        title="Create a list",
        submit="Create the list",
        back_url=reverse("mailing:lists"),
    )


@admin_only
def list_edit(request, pk: int):
    mailing_list = get_object_or_404(MailingList, pk=pk)
    initial = {name: getattr(mailing_list, name) for name in services.LIST_FIELDS}
    form = forms.MailingListForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mailing_list_update(
                actor=request.user, mailing_list=mailing_list, **form.cleaned_data
            )
        except services.MailingError as error:
            _error(form, error)
        else:
            messages.success(request, "List saved.")
            return redirect("mailing:list-detail", pk=mailing_list.pk)
    return _form_page(
        request,
        form,
        title="Edit the list",
        caption=mailing_list.name,
        back_url=reverse("mailing:list-detail", args=[mailing_list.pk]),
    )


@admin_only
def list_detail(request, pk: int):
    mailing_list = get_object_or_404(MailingList, pk=pk)
    query = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    paginator = Paginator(
        selectors.list_subscriptions(mailing_list, query=query, status=status), PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "mailing/lists/list_detail.html",
        {
            "nav": NAV,
            "mailing_list": mailing_list,
            "page": page,
            "query": query,
            "status": status if status in Subscription.Status.values else "",
            "statuses": Subscription.Status.choices,
            "counts": selectors.list_counts(mailing_list),
            "audit_entries": audit_entries_for(mailing_list, limit=10),
        },
    )


@admin_only
def subscriber_add(request, pk: int):
    mailing_list = get_object_or_404(MailingList, pk=pk)
    form = forms.SubscriberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.subscriber_add(
                actor=request.user, mailing_list=mailing_list, **form.cleaned_data
            )
        except services.MailingError as error:
            _error(form, error)
        else:
            messages.success(
                request, f"{subscription.subscriber.email} added to {mailing_list.name}."
            )
            return redirect("mailing:list-detail", pk=mailing_list.pk)
    return _form_page(
        request,
        form,
        title="Add a subscriber",
        caption=mailing_list.name,
        submit="Add the subscriber",
        back_url=reverse("mailing:list-detail", args=[mailing_list.pk]),
        intro="Add only someone who has agreed to receive this list. They are subscribed at once, "
        "with no confirmation email.",
    )


@admin_only
@require_POST
def subscription_remove(request, pk: int, subscription_pk: int):
    subscription = get_object_or_404(
        Subscription.objects.select_related("subscriber", "mailing_list"),
        pk=subscription_pk,
        mailing_list_id=pk,
    )
    services.subscription_remove(actor=request.user, subscription=subscription)
    messages.success(
        request, f"{subscription.subscriber.email} removed from {subscription.mailing_list.name}."
    )
    return redirect("mailing:list-detail", pk=pk)


@admin_only
def list_import(request, pk: int):
    mailing_list = get_object_or_404(MailingList, pk=pk)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report = None
    carried = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data: bytes | None = None
        if upload is not None:
            data = upload.read(importing.MAX_BYTES + 1)
        elif form.cleaned_data["carried"]:
            try:
                data = base64.b64decode(form.cleaned_data["carried"], validate=True)
            except (binascii.Error, ValueError):
                data = None
        if data is None:
            form.add_error("file", "Choose a CSV file")
        else:
            commit = request.POST.get("action") == "import"
            report = services.subscribers_import(
                actor=request.user, mailing_list=mailing_list, data=data, commit=commit
            )
            if report.error:
                form.add_error("file", report.error)
                report = None
            elif report.committed:
                messages.success(
                    request,
                    f"Imported {report.confirmed} subscriber{'s' if report.confirmed != 1 else ''} "
                    f"to {mailing_list.name}; {report.already} already subscribed.",
                )
                return redirect("mailing:list-detail", pk=mailing_list.pk)
            if report and report.ok and report.confirmed and len(data) <= MAX_CARRIED_BYTES:
                carried = base64.b64encode(data).decode()
    return render(
        request,
        "mailing/lists/list_import.html",
        {
            "nav": NAV,
            "mailing_list": mailing_list,
            "form": forms.ImportForm(initial={"carried": carried}) if carried else form,
            "report": report,
            "carried": bool(carried),
        },
    )


# Regional admins: suppression list ------------------------------------------------------------


@admin_only
def suppression_list(request):
    query = request.GET.get("q", "").strip()[:200]
    paginator = Paginator(selectors.suppressions(query), PAGE_SIZE)
    return render(
        request,
        "mailing/lists/suppression_list.html",
        {"nav": NAV, "page": paginator.get_page(request.GET.get("page")), "query": query},
    )


@admin_only
def suppression_add(request):
    form = forms.SuppressionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suppression = services.suppression_add(actor=request.user, **form.cleaned_data)
        except services.MailingError as error:
            _error(form, error)
        else:
            messages.success(request, f"{suppression.email} will not be sent to.")
            return redirect("mailing:suppressions")
    return _form_page(
        request,
        form,
        title="Add to the suppression list",
        submit="Add",
        back_url=reverse("mailing:suppressions"),
        intro="No list, campaign or import will send to a suppressed address. Its "
        "subscriptions stay, so removing it later lets them resume.",
    )


@admin_only
def suppression_remove(request, pk: int):
    suppression = get_object_or_404(Suppression, pk=pk)
    form = forms.SuppressionRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.suppression_remove(
            actor=request.user, suppression=suppression, note=form.cleaned_data["note"]
        )
        messages.success(request, f"{suppression.email} removed from the suppression list.")
        return redirect("mailing:suppressions")
    return _form_page(
        request,
        form,
        title="Remove from the suppression list",
        caption=suppression.email,
        submit="Remove",
        back_url=reverse("mailing:suppressions"),
        intro=f"{suppression.email} is suppressed: {suppression.get_reason_display().lower()}"
        + (f" ({suppression.note})" if suppression.note else "")
        + ". Removing it lets lists and imports include this address again; it does not "
        "subscribe it to anything.",
    )
