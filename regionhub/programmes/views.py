"""Programme pages. Thin: parse, call a selector or service, render.

An application the user may not see or act on answers 404, exactly like a missing one; so do
admin pages for everyone but regional admins.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST

from regionhub.core.permissions import coordinated_ids, is_regional_admin

from . import exporting, forms, selectors, services
from .apps import NAMESPACE
from .models import Application, Cohort, Programme

# Access helpers ------------------------------------------------------------------------------


def access_programme(pk: int) -> Programme:
    return get_object_or_404(Programme.objects.select_related("provider"), pk=pk)


def access_cohort(pk: int) -> Cohort:
    return get_object_or_404(Cohort.objects.select_related("programme__provider"), pk=pk)


def access_application(user, pk: int) -> Application:
    """An application the user may act on: their own, or one of an authority they manage."""
    application = get_object_or_404(
        Application.objects.select_related("cohort", "person", "authority"), pk=pk
    )
    own = user.person_id is not None and application.person_id == user.person_id
    manages = is_regional_admin(user) or application.authority_id in coordinated_ids(user)
    if not (own or manages):
        raise Http404
    return application


def require_admin(user) -> None:
    if not is_regional_admin(user):
        raise Http404


def _service_error(form, error: services.ProgrammeError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# Programmes ----------------------------------------------------------------------------------


def programme_list(request):
    listing = selectors.ProgrammeListing(
        q=request.GET.get("q", ""),
        open_only=request.GET.get("open") == "1",
        page=request.GET.get("page"),
    )
    return render(
        request,
        "programmes/programme_list.html",
        {
            "nav": "programmes",
            "listing": listing,
            "namespace": NAMESPACE,
            "is_admin": is_regional_admin(request.user),
        },
    )


def programme_detail(request, pk: int):
    programme = access_programme(pk)
    cohorts = list(selectors.cohorts_of(programme))
    open_cohorts = [c for c in cohorts if c.is_open()]
    form = forms.InterestForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            try:
                services.interest_register(
                    actor=request.user, programme=programme, role=form.cleaned_data["role"]
                )
            except services.ProgrammeError as error:
                _service_error(form, error)
            else:
                messages.success(
                    request, "Your interest is registered. We will tell you if a cohort opens."
                )
                return redirect(programme)
    return render(
        request,
        "programmes/programme_detail.html",
        {
            "nav": "programmes",
            "programme": programme,
            "cohorts": cohorts,
            "open_cohorts": open_cohorts,
            "form": form,
            "is_admin": is_regional_admin(request.user),
        },
    )


@login_required
def programme_create(request):
    require_admin(request.user)
    form = forms.ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(actor=request.user, data=form.cleaned_data)
        except services.ProgrammeError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Programme saved.")
            return redirect(programme)
    return render(
        request,
        "programmes/form.html",
        {"form": form, "title": "Add a programme", "back_url": "/programmes/", "nav": "programmes"},
    )


@login_required
def programme_edit(request, pk: int):
    require_admin(request.user)
    programme = access_programme(pk)
    form = forms.ProgrammeForm(request.POST or None, instance=Programme.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_update(
                actor=request.user, programme=programme, data=form.cleaned_data
            )
        except services.ProgrammeError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(programme)
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "title": f"Edit {programme.title}",
            "back_url": programme.get_absolute_url(),
            "nav": "programmes",
        },
    )


@login_required
def programme_demand(request, pk: int):
    require_admin(request.user)
    programme = access_programme(pk)
    return render(
        request,
        "programmes/programme_demand.html",
        {
            "nav": "programmes",
            "programme": programme,
            "demand": selectors.demand_for(programme),
            "interested": selectors.interested_people(programme),
        },
    )


# Cohorts -------------------------------------------------------------------------------------


@login_required
def cohort_create(request, pk: int):
    require_admin(request.user)
    programme = access_programme(pk)
    form = forms.CohortForm(request.POST or None, initial={"rule": Cohort.Rule.FIRST_COME})
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_create(
                actor=request.user,
                programme=programme,
                data=form.data_for_service(),
                per_authority=form.cleaned_data["per_authority"],
            )
        except services.ProgrammeError as error:
            _service_error(form, error)
        else:
            messages.success(
                request, "Cohort commissioned; everyone who registered interest is told."
            )
            return redirect(cohort)
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "title": "Commission a cohort",
            "caption": programme.title,
            "intro": "Everyone who registered interest in the programme will be emailed.",
            "back_url": programme.get_absolute_url(),
            "nav": "programmes",
        },
    )


@login_required
def cohort_edit(request, pk: int):
    require_admin(request.user)
    cohort = access_cohort(pk)
    form = forms.CohortForm(request.POST or None, initial=forms.CohortForm.initial_for(cohort))
    if request.method == "POST" and form.is_valid():
        try:
            services.cohort_update(
                actor=request.user,
                cohort=cohort,
                data=form.data_for_service(),
                per_authority=form.cleaned_data["per_authority"],
            )
        except services.ProgrammeError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(cohort)
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "title": f"Edit {cohort.name}",
            "caption": cohort.programme.title,
            "back_url": cohort.get_absolute_url(),
            "nav": "programmes",
        },
    )


def _may_nominate(user) -> bool:
    return is_regional_admin(user) or bool(coordinated_ids(user))


def cohort_detail(request, pk: int):
    cohort = access_cohort(pk)
    user = request.user
    mine = selectors.my_application(user, cohort)
    apply_form = forms.ApplicationForm(request.POST or None, prefix="apply")
    directory = selectors.directory_version()
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if "nominate" in request.POST:
            # A nomination from a page opened before nominating moved to its own page must not
            # be taken for the coordinator's own application.
            return redirect("programmes:cohort-nominate", pk=cohort.pk)
        if apply_form.is_valid():
            try:
                services.application_create(
                    actor=user, cohort=cohort, statement=apply_form.cleaned_data["statement"]
                )
            except services.ProgrammeError as error:
                _service_error(apply_form, error)
            except PermissionDenied as error:
                apply_form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    "Your application is sent. Your authority's coordinator will consider it.",
                )
                return redirect(cohort)
    return render(
        request,
        "programmes/cohort_detail.html",
        {
            "nav": "programmes",
            "cohort": cohort,
            "programme": cohort.programme,
            "places": SimpleLazyObject(lambda: selectors.cohort_places(cohort)),
            "namespace": NAMESPACE,
            "directory_version": directory,
            "applications": selectors.CohortApplications(
                user,
                cohort,
                status=request.GET.get("status", ""),
                q=request.GET.get("q", ""),
                page=request.GET.get("page"),
                directory=directory,
            ),
            "statuses": Application.Status.choices,
            "mine": mine,
            "is_admin": is_regional_admin(user),
            "managed": coordinated_ids(user),
            "may_nominate": _may_nominate(user),
            "apply_form": apply_form,
            "form": apply_form,
            "is_open": cohort.is_open(),
        },
    )


@login_required
def cohort_nominate(request, pk: int):
    """Choose a colleague by searching (name or email), then nominate them. The search shows a
    bounded list, so the page stays light however many people the user may nominate."""
    user = request.user
    if not _may_nominate(user):
        raise Http404
    cohort = access_cohort(pk)
    source = request.POST if request.method == "POST" else request.GET
    q = source.get("q", "")
    form = forms.NominationForm(request.POST or None, people=selectors.nominees_for(user))
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_nominate(
                actor=user,
                cohort=cohort,
                person=form.cleaned_data["person"],
                statement=form.cleaned_data["statement"],
            )
        except services.ProgrammeError as error:
            _service_error(form, error)
        except PermissionDenied as error:
            form.add_error("person", str(error))
        else:
            messages.success(request, f"{application.person.name} is nominated.")
            return redirect(cohort)
    chosen = form["person"].value() if form.is_bound else None
    try:
        keep = int(chosen) if chosen else None
    except (TypeError, ValueError):
        keep = None
    return render(
        request,
        "programmes/cohort_nominate.html",
        {
            "nav": "programmes",
            "cohort": cohort,
            "programme": cohort.programme,
            "form": form,
            "search": selectors.nominee_search(user, cohort, q, keep=keep),
            "chosen": str(chosen or ""),
            "is_open": cohort.is_open(),
        },
    )


ACTIONS = {
    "endorse": (services.application_endorse, "Endorsed."),
    "confirm": (services.application_confirm, "Place confirmed."),
    "withdraw": (services.application_withdraw, "Application withdrawn."),
    "refuse": (services.application_refuse, "Marked as not selected."),
    "accept": (lambda **kw: services.application_respond(accept=True, **kw), "Place accepted."),
    "decline": (lambda **kw: services.application_respond(accept=False, **kw), "Place declined."),
}


@login_required
@require_POST
def application_action(request, pk: int, action: str):
    application = access_application(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    service, done = ACTIONS[action]
    try:
        service(actor=request.user, application=application)
    except services.ProgrammeError as error:
        messages.error(request, error.message)
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, done)
    return redirect(application.cohort)


# Savings -------------------------------------------------------------------------------------


@login_required
def savings_report(request):
    require_admin(request.user)
    year = request.GET.get("year") or None
    fmt = request.GET.get("format")
    if year and not re.fullmatch(r"\d{4}-\d{2}", year):
        raise Http404
    if fmt in exporting.FORMATS:
        return exporting.savings_response(selectors.savings_rows(year=year), fmt)
    programme = None
    if request.GET.get("programme"):
        try:
            programme = access_programme(int(request.GET["programme"]))
        except ValueError:
            raise Http404 from None
    return render(
        request,
        "programmes/savings_report.html",
        {
            "nav": "programmes",
            "report": selectors.SavingsReport(
                year=year, programme=programme, page=request.GET.get("page")
            ),
            "namespace": NAMESPACE,
            "year": year,
            "programme": programme,
        },
    )
