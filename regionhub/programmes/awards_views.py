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
from regionhub.directory.models import Organisation

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
