"""Mentoring pages. Confidential content answers 404 to everyone but the applicant and the
scheme's coordinators, signed in or not, exactly like a missing record."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from . import forms, mentoring
from .models import MenteeApplication, MentoringScheme, MentorOffer


def access_scheme_as_coordinator(user, pk: int) -> MentoringScheme:
    scheme = get_object_or_404(MentoringScheme, pk=pk)
    if not mentoring.is_scheme_coordinator(user, scheme):
        raise Http404
    return scheme


def access_mentee(user, pk: int) -> tuple[MenteeApplication, bool]:
    """The application and whether the user coordinates its scheme; 404 for anyone else."""
    application = get_object_or_404(
        MenteeApplication.objects.select_related("scheme", "person", "authority"), pk=pk
    )
    if not user.is_authenticated:
        raise Http404
    coordinator = mentoring.is_scheme_coordinator(user, application.scheme)
    if not (coordinator or (user.person_id and user.person_id == application.person_id)):
        raise Http404
    return application, coordinator


@login_required
def scheme_home(request):
    person_id = request.user.person_id
    return render(
        request,
        "programmes/mentoring_home.html",
        {
            "nav": "programmes",
            "schemes": MentoringScheme.objects.order_by("name"),
            "coordinated": set(
                mentoring.schemes_coordinated_by(request.user).values_list("pk", flat=True)
            ),
            "mine": MenteeApplication.objects.filter(person_id=person_id).select_related("scheme")
            if person_id
            else [],
            "offers": MentorOffer.objects.filter(person_id=person_id, is_active=True)
            .select_related("scheme")
            .order_by("pk")
            if person_id
            else [],
        },
    )


def scheme_detail(request, pk: int):
    scheme = access_scheme_as_coordinator(request.user, pk)
    return render(
        request,
        "programmes/mentoring_scheme.html",
        {
            "nav": "programmes",
            "scheme": scheme,
            "applications": mentoring.mentee_applications(scheme),
            "mentors": mentoring.mentor_offers(scheme),
        },
    )


def _error(form, error: mentoring.MentoringError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def mentee_apply(request, pk: int):
    scheme = get_object_or_404(MentoringScheme, pk=pk)
    form = forms.MenteeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = mentoring.mentee_apply(
                actor=request.user, scheme=scheme, **form.cleaned_data
            )
        except mentoring.MentoringError as error:
            _error(form, error)
        else:
            messages.success(
                request,
                "Application sent. Your line manager has been emailed a link to endorse it; "
                "they will not see what you wrote.",
            )
            return redirect("programmes:mentoring-application", application.pk)
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "title": "Apply to be mentored",
            "caption": scheme.name,
            "intro": "What you write is confidential: only you and the scheme coordinators "
            "read it. Your line manager is asked separately to support your application.",
            "submit": "Send application",
            "back_url": "/programmes/mentoring/",
            "nav": "programmes",
        },
    )


@login_required
def mentor_offer(request, pk: int):
    scheme = get_object_or_404(MentoringScheme, pk=pk)
    form = forms.MentorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mentoring.mentor_offer(actor=request.user, scheme=scheme, **form.cleaned_data)
        except mentoring.MentoringError as error:
            _error(form, error)
        else:
            messages.success(request, "Thank you: the scheme coordinators will be in touch.")
            return redirect("programmes:mentoring-home")
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "title": "Offer to mentor",
            "caption": scheme.name,
            "submit": "Send offer",
            "back_url": "/programmes/mentoring/",
            "nav": "programmes",
        },
    )


def mentee_detail(request, pk: int):
    application, coordinator = access_mentee(request.user, pk)
    if request.method == "POST" and "resend" in request.POST:
        try:
            mentoring.endorsement_request_resend(actor=request.user, application=application)
        except mentoring.MentoringError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The link has been sent to your line manager again.")
        return redirect("programmes:mentoring-application", application.pk)
    return render(
        request,
        "programmes/mentee_detail.html",
        {
            "nav": "programmes",
            "application": application,
            "areas": [mentoring.AREA_NAMES.get(a, a) for a in application.areas],
            "endorsement": getattr(application, "endorsement", None),
            "match": getattr(application, "match", None),
            "coordinator": coordinator,
        },
    )


def mentee_match(request, pk: int):
    application, coordinator = access_mentee(request.user, pk)
    if not coordinator:
        raise Http404
    include_same = request.GET.get("same") == "1"
    if request.method == "POST":
        form = forms.MatchForm(request.POST)
        mentor = None
        if form.is_valid():
            mentor = MentorOffer.objects.filter(
                pk=form.cleaned_data["mentor"], scheme=application.scheme
            ).first()
        if mentor is None:
            messages.error(request, "Choose a mentor from the list")
        else:
            try:
                mentoring.match_make(actor=request.user, application=application, mentor=mentor)
            except mentoring.MentoringError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "Matched: both have been emailed.")
                return redirect("programmes:mentoring-application", application.pk)
    return render(
        request,
        "programmes/mentee_match.html",
        {
            "nav": "programmes",
            "application": application,
            "suggestions": mentoring.mentor_suggestions(
                application, include_same_authority=include_same
            ),
            "include_same": include_same,
        },
    )


def endorsement(request, token: str):
    """The line manager's page: the applicant's name and the scheme, never the content."""
    try:
        application = mentoring.application_for_token(token)
    except mentoring.MentoringError as error:
        return render(
            request,
            "programmes/endorsement_invalid.html",
            {"message": error.message},
            status=400 if error.code == "tampered" else 410,
        )
    answered = application.status != MenteeApplication.Status.AWAITING
    form = forms.EndorsementForm(request.POST or None)
    if request.method == "POST" and not answered and form.is_valid():
        try:
            mentoring.endorsement_give(token=token, **form.cleaned_data)
        except mentoring.MentoringError as error:
            form.add_error(None, error.message)
        else:
            return render(
                request,
                "programmes/endorsement_done.html",
                {"applicant": application.person.name, "scheme": application.scheme.name},
            )
    return render(
        request,
        "programmes/endorsement.html",
        {
            "form": form,
            "answered": answered,
            "applicant": application.person.name,
            "scheme": application.scheme.name,
        },
    )
