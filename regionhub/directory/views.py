"""Directory pages. Thin: parse, call a selector or service, render.

Edit pages answer 404 both for a missing record and for one the user may not manage.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from regionhub.core import privacy
from regionhub.core.audit import audit_entries_for
from regionhub.core.deferred import Deferred
from regionhub.core.pagecache import cache_for_anonymous
from regionhub.core.permissions import (
    can_manage_organisation_id,
    coordinated_ids,
    is_regional_admin,
)

from . import forms, selectors, services
from .models import Appointment, Organisation, Person, Post, today

PAGE_SIZE = 50


# Access helpers ------------------------------------------------------------------------------


def manageable_organisations(user):
    if is_regional_admin(user):
        return Organisation.objects.order_by("name")
    return Organisation.objects.filter(pk__in=coordinated_ids(user)).order_by("name")


def access_organisation_for_edit(user, pk: int) -> Organisation:
    organisation = get_object_or_404(Organisation, pk=pk)
    if not can_manage_organisation_id(user, organisation.pk):
        raise Http404
    return organisation


def access_person_for_edit(user, pk: int) -> Person:
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=pk)
    if not can_manage_organisation_id(user, person.organisation_id):
        raise Http404
    return person


def access_post_for_edit(user, pk: int) -> Post:
    post = get_object_or_404(Post.objects.select_related("organisation"), pk=pk)
    if not can_manage_organisation_id(user, post.organisation_id):
        raise Http404
    return post


def access_appointment_for_edit(user, pk: int) -> Appointment:
    appointment = get_object_or_404(Appointment.objects.with_related(), pk=pk)
    if not can_manage_organisation_id(user, appointment.post.organisation_id):
        raise Http404
    return appointment


def candidate_people(post: Post, query: str = ""):
    """Who may be appointed: the post's organisation's people, or anyone for network posts."""
    qs = Person.objects.select_related("organisation").order_by("name", "pk")
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(email__icontains=query))
    elif post.organisation.is_authority:
        qs = qs.filter(organisation=post.organisation)
    # A sliced queryset cannot validate a choice, so the limit goes into a subquery.
    return qs.filter(pk__in=qs.values("pk")[:500])


def _service_error(form, error: services.DirectoryError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _audit(user, *records):
    return audit_entries_for(*records) if is_regional_admin(user) else None


# Organisations -------------------------------------------------------------------------------


@cache_for_anonymous("directory")
def organisation_list(request):
    query = request.GET.get("q", "").strip()

    def authorities_with_leaders():
        members = list(selectors.organisations_list(members=True, query=query))
        leaders = selectors.directory_leaders_by_org(members)
        return [(o, leaders[o.pk]) for o in members]

    authorities = Deferred(authorities_with_leaders)
    partners = Deferred(lambda: list(selectors.organisations_list(members=False, query=query)))
    return render(
        request,
        "directory/organisation_list.html",
        {"nav": "organisations", "authorities": authorities, "partners": partners, "q": query},
    )


@cache_for_anonymous("directory")
def organisation_detail(request, pk: int):
    organisation = get_object_or_404(Organisation, pk=pk)
    posts = Deferred(lambda: selectors.organisation_posts(organisation))
    people_page = Deferred(
        lambda: Paginator(selectors.organisation_people(organisation), 25).get_page(
            request.GET.get("page")
        )
    )
    return render(
        request,
        "directory/organisation_detail.html",
        {
            "nav": "organisations",
            "organisation": organisation,
            "posts": posts,
            "people_page": people_page,
            "deliveries": Deferred(lambda: selectors.organisation_deliveries(organisation)),
            "can_manage": can_manage_organisation_id(request.user, organisation.pk),
            "audit_entries": _audit(request.user, organisation),
        },
    )


@login_required
def organisation_create(request):
    if not is_regional_admin(request.user):
        raise Http404
    form = forms.OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(actor=request.user, data=form.cleaned_data)
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"{organisation} added.")
            return redirect(organisation)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": "Add an organisation",
            "back_url": reverse("directory:organisation-list"),
        },
    )


@login_required
def organisation_edit(request, pk: int):
    organisation = access_organisation_for_edit(request.user, pk)
    restricted = not is_regional_admin(request.user)
    form = forms.OrganisationForm(
        request.POST or None, instance=organisation, restricted=restricted
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.user,
                organisation=Organisation.objects.get(pk=pk),
                data=form.cleaned_data,
            )
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(organisation)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"Edit {organisation}",
            "back_url": organisation.get_absolute_url(),
        },
    )


# People --------------------------------------------------------------------------------------


@cache_for_anonymous("directory")
def person_list(request):
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.people_search(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "directory/person_list.html", {"nav": "people", "page": page, "q": query}
    )


@cache_for_anonymous("directory")
def person_detail(request, pk: int):
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=pk)
    timeline = Deferred(lambda: selectors.person_timeline(person))
    return render(
        request,
        "directory/person_detail.html",
        {
            "nav": "people",
            "person": person,
            "timeline": timeline,
            "today": today(),
            "can_manage": can_manage_organisation_id(request.user, person.organisation_id),
            "audit_entries": _audit(request.user, person, person.appointments.all()),
        },
    )


def _person_form_view(request, *, person: Person | None):
    organisations = manageable_organisations(request.user)
    show_confirm = request.POST.get("confirm_shown") == "1"
    form = forms.PersonForm(
        request.POST or None,
        instance=person,
        organisations=organisations,
        show_confirm=show_confirm,
        initial={"organisation": organisations.first()} if person is None else None,
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        allow = form.cleaned_data.get("confirm_different", False)
        data = {k: v for k, v in form.cleaned_data.items() if k != "confirm_different"}
        try:
            if person is None:
                saved = services.person_create(actor=request.user, data=data, allow_duplicate=allow)
            else:
                saved = services.person_update(
                    actor=request.user,
                    person=Person.objects.get(pk=person.pk),
                    data=data,
                    allow_duplicate=allow,
                )
        except services.PossibleDuplicate as error:
            duplicates = error.matches
            form = forms.PersonForm(
                request.POST, instance=person, organisations=organisations, show_confirm=True
            )
            form.is_valid()
            form.add_error(None, error.message)
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect(saved)
    title = "Add a person" if person is None else f"Edit {person.name}"
    return render(
        request,
        "directory/person_form.html",
        {"form": form, "title": title, "duplicates": duplicates, "person": person},
    )


@login_required
def person_create(request):
    if not (is_regional_admin(request.user) or coordinated_ids(request.user)):
        raise Http404
    return _person_form_view(request, person=None)


@login_required
def person_edit(request, pk: int):
    person = access_person_for_edit(request.user, pk)
    return _person_form_view(request, person=person)


# Posts ---------------------------------------------------------------------------------------


@cache_for_anonymous("directory")
def post_list(request):
    query = request.GET.get("q", "").strip()
    category = request.GET.get("category", "")
    if category not in Post.Category.values:
        category = ""
    page = Paginator(selectors.posts_search(query, category), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = selectors.posts_with_holders_list(list(page.object_list))
    return render(
        request,
        "directory/post_list.html",
        {
            "nav": "posts",
            "page": page,
            "q": query,
            "category": category,
            "categories": Post.Category.choices,
        },
    )


@cache_for_anonymous("directory")
def post_detail(request, pk: int):
    post = get_object_or_404(Post.objects.select_related("organisation"), pk=pk)
    view = selectors.posts_with_holders_list([post])[0]
    can_read_notes = services.can_read_handover_notes(request.user, post)
    notes = list(post.handover_notes.select_related("author")) if can_read_notes else None
    return render(
        request,
        "directory/post_detail.html",
        {
            "nav": "posts",
            "post": post,
            "view": view,
            "notes": notes,
            "can_manage": can_manage_organisation_id(request.user, post.organisation_id),
            "audit_entries": _audit(
                request.user, post, post.appointments.all(), post.handover_notes.all()
            ),
        },
    )


def _post_form(request, *, post: Post | None):
    organisations = manageable_organisations(request.user)
    form = forms.PostForm(request.POST or None, instance=post, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            if post is None:
                saved = services.post_create(actor=request.user, data=form.cleaned_data)
            else:
                saved = services.post_update(
                    actor=request.user, post=Post.objects.get(pk=post.pk), data=form.cleaned_data
                )
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"{saved} saved.")
            return redirect(saved)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": "Add a post" if post is None else f"Edit {post}",
            "back_url": post.get_absolute_url() if post else None,
        },
    )


@login_required
def post_create(request):
    if not (is_regional_admin(request.user) or coordinated_ids(request.user)):
        raise Http404
    return _post_form(request, post=None)


@login_required
def post_edit(request, pk: int):
    return _post_form(request, post=access_post_for_edit(request.user, pk))


# Appointments and handover --------------------------------------------------------------------


@login_required
def appointment_create(request, pk: int):
    post = access_post_for_edit(request.user, pk)
    query = request.GET.get("q", "").strip()
    form = forms.AppointmentForm(request.POST or None, people=candidate_people(post, query))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        person = data.pop("person")
        try:
            services.appointment_create(actor=request.user, post=post, person=person, data=data)
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"{person.name} appointed as {post.title}.")
            return redirect(post)
    return render(
        request,
        "directory/appointment_form.html",
        {"form": form, "post": post, "q": query, "title": f"Record an appointment: {post}"},
    )


@login_required
def appointment_edit(request, pk: int):
    appointment = access_appointment_for_edit(request.user, pk)
    initial = {
        name: getattr(appointment, name)
        for name in ("start", "start_approximate", "end", "end_approximate", "basis", "note")
    }
    initial["on_behalf_of"] = appointment.on_behalf_of_id
    form = forms.AppointmentEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_update(
                actor=request.user, appointment=appointment, data=form.cleaned_data
            )
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Appointment updated.")
            return redirect(appointment.post)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"Correct the appointment of {appointment.person.name}",
            "caption": str(appointment.post),
            "back_url": appointment.post.get_absolute_url(),
        },
    )


@login_required
def appointment_end(request, pk: int):
    appointment = access_appointment_for_edit(request.user, pk)
    form = forms.EndAppointmentForm(request.POST or None, initial={"end": today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_end(
                actor=request.user,
                appointment=appointment,
                end=form.cleaned_data["end"],
                approximate=form.cleaned_data["approximate"],
            )
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"{appointment.person.name}'s appointment ended.")
            return redirect(appointment.post)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"End {appointment.person.name}'s appointment",
            "caption": str(appointment.post),
            "back_url": appointment.post.get_absolute_url(),
            "submit": "End appointment",
        },
    )


@login_required
def post_handover(request, pk: int):
    post = access_post_for_edit(request.user, pk)
    query = request.GET.get("q", "").strip()
    current = list(post.appointments.current().select_related("person"))
    current_qs = post.appointments.filter(pk__in=[a.pk for a in current]).select_related("person")
    form = forms.HandoverForm(
        request.POST or None,
        people=candidate_people(post, query),
        current=current_qs,
        initial={"on": today()},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        incoming = data.pop("incoming")
        on = data.pop("on")
        outgoing = data.pop("outgoing")
        try:
            services.post_handover(
                actor=request.user,
                post=post,
                incoming=incoming,
                on=on,
                outgoing=outgoing,
                data=data,
            )
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(
                request, f"{post.title} handed over from {outgoing.person.name} to {incoming.name}."
            )
            return redirect(post)
    return render(
        request,
        "directory/handover_form.html",
        {"form": form, "post": post, "current": current, "q": query},
    )


@login_required
def handover_note_create(request, pk: int):
    post = get_object_or_404(Post.objects.select_related("organisation"), pk=pk)
    if not services.can_read_handover_notes(request.user, post):
        raise Http404
    form = forms.HandoverNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.handover_note_add(actor=request.user, post=post, **form.cleaned_data)
        except PermissionDenied as error:
            raise Http404 from error
        except services.DirectoryError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Handover note added.")
            return redirect(post)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": "Add a handover note",
            "caption": str(post),
            "back_url": post.get_absolute_url(),
        },
    )


# The region over time --------------------------------------------------------------------------


@cache_for_anonymous("directory")
def as_at(request):
    form = forms.AsAtForm(request.GET or {"date": today().isoformat()})
    context = {"nav": "as-at", "form": form}
    if form.is_valid():
        date = form.cleaned_data["date"]
        leaders = Deferred(lambda: selectors.leadership_on(date))
        officer = Post.Category.NETWORK_OFFICER
        context.update(
            date=date,
            directors=Deferred(lambda: [a for a in leaders if a.post.category != officer]),
            officers=Deferred(lambda: [a for a in leaders if a.post.category == officer]),
            vacancies=Deferred(lambda: selectors.vacancies_on(date)),
        )
    return render(request, "directory/as_at.html", context)


@cache_for_anonymous("directory")
def changes(request):
    form = forms.ChangesForm(request.GET or forms.default_changes_range(today()))
    context = {"nav": "changes", "form": form}
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        context.update(start=start, end=end, changes=selectors.changes_between(start, end))
    return render(request, "directory/changes.html", context)


@login_required
def person_data_export(request, pk: int):
    """Everything RegionHub holds about one person, as a JSON download (regional admins)."""
    if not is_regional_admin(request.user):
        raise Http404
    person = get_object_or_404(Person, pk=pk)
    data = privacy.person_export(actor=request.user, person=person)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}-data.json"'
    return response


@login_required
def person_erase(request, pk: int):
    """Erase one person's data everywhere, once nothing they hold is still in play."""
    if not is_regional_admin(request.user):
        raise Http404
    person = get_object_or_404(Person, pk=pk)
    form = forms.PersonEraseForm(request.POST if request.method == "POST" else None)
    blockers = privacy.person_erasure_blockers(person)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.person_erase(actor=request.user, person=person)
        except privacy.ErasureBlocked as blocked:
            blockers = blocked.reasons
        else:
            messages.success(request, "The person's data has been erased.")
            return redirect(person)
    return render(
        request,
        "directory/person_erase.html",
        {"nav": "people", "person": person, "form": form, "blockers": blockers},
    )
