"""Team Excellence Awards pages. Thin: parse, call awards.py, render."""

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from regionhub.core.permissions import is_regional_admin
from regionhub.core.templatetags.rh import long_date
from regionhub.directory.models import Organisation
from regionhub.events.models import Event

from . import awards
from .models import AwardNomination


class NominationForm(django_forms.Form):
    authority = django_forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Authority",
        error_messages={"required": "Choose the authority"},
    )
    team = django_forms.CharField(
        max_length=200, label="Team", error_messages={"required": "Name the team"}
    )
    summary = django_forms.CharField(
        label="What the team achieved",
        widget=django_forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what the team achieved"},
    )
    evidence = django_forms.CharField(
        required=False, label="Evidence", widget=django_forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities


class CeremonyForm(django_forms.Form):
    ceremony = django_forms.ModelChoiceField(
        queryset=Event.objects.none(),
        required=False,
        label="Ceremony event",
        empty_label="No event yet",
        help_text="Events of this year and the next. Its page will show the shortlist and winners.",
    )

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ceremony"].queryset = awards.ceremony_candidates(year)
        self.fields["ceremony"].label_from_instance = lambda e: (
            f"{e.title}, {long_date(timezone.localtime(e.starts_at))}" if e.starts_at else e.title
        )


def _year(request) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year


@login_required
def award_list(request):
    year = _year(request)
    user = request.user
    admin = is_regional_admin(user)
    nominations = awards.awards_for(year) if admin else awards.award_winners(year)
    award_round = awards.award_round(year)
    ceremony = award_round.ceremony if award_round else None
    if ceremony is not None and not (admin or ceremony.status != Event.Status.DRAFT):
        ceremony = None
    ceremony_form = None
    if admin:
        ceremony_form = CeremonyForm(year=year, initial={"ceremony": ceremony})
    return render(
        request,
        "programmes/award_list.html",
        {
            "nav": "programmes",
            "year": year,
            "nominations": nominations,
            "is_admin": admin,
            "may_nominate": admin or bool(awards.nominating_authority_ids(user)),
            "statuses": AwardNomination.Status.choices,
            "ceremony": ceremony,
            "ceremony_form": ceremony_form,
        },
    )


@login_required
def award_nominate(request):
    user = request.user
    year = _year(request)
    if is_regional_admin(user):
        authorities = Organisation.objects.filter(is_member=True).order_by("name")
    else:
        ids = awards.nominating_authority_ids(user)
        if not ids:
            raise Http404
        authorities = Organisation.objects.filter(pk__in=ids).order_by("name")
    form = NominationForm(request.POST or None, authorities=authorities)
    if request.method == "POST" and form.is_valid():
        try:
            awards.award_nominate(actor=user, year=year, **form.cleaned_data)
        except awards.AwardError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "Nomination sent.")
            return redirect(f"{reverse('programmes:award-list')}?year={year}")
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "title": f"Nominate your Team of Excellence {year}",
            "caption": "Team Excellence Awards",
            "submit": "Send nomination",
            "back_url": reverse("programmes:award-list"),
            "nav": "programmes",
        },
    )


@login_required
@require_POST
def award_status(request, pk: int):
    if not is_regional_admin(request.user):
        raise Http404
    nomination = get_object_or_404(AwardNomination, pk=pk)
    try:
        awards.award_set_status(
            actor=request.user, nomination=nomination, status=request.POST.get("status", "")
        )
    except (awards.AwardError, PermissionDenied) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(request, f"{nomination.team}: saved.")
    return redirect(f"{reverse('programmes:award-list')}?year={nomination.year}")


@login_required
@require_POST
def award_ceremony(request, year: int):
    """Name the event at which the year's awards are presented; regional admins only."""
    if not is_regional_admin(request.user):
        raise Http404
    form = CeremonyForm(request.POST, year=year)
    back = f"{reverse('programmes:award-list')}?year={year}"
    if not form.is_valid():
        messages.error(request, "Choose an event from the list")
        return redirect(back)
    try:
        awards.award_set_ceremony(
            actor=request.user, year=year, event=form.cleaned_data["ceremony"]
        )
    except (awards.AwardError, PermissionDenied) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        event = form.cleaned_data["ceremony"]
        messages.success(
            request,
            f"The {year} awards are presented at {event.title}." if event else "Ceremony removed.",
        )
    return redirect(back)
