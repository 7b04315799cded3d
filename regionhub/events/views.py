"""Event pages. Thin: parse, call a selector or service, render.

Pages about an authority's places answer 404 both for a missing record and for one the user
may not manage; so do admin pages for everyone but regional admins.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from regionhub.core.permissions import coordinated_ids, is_regional_admin
from regionhub.directory.models import Organisation, Person

from . import emails, exporting, forms, ics, selectors, services
from .availability import event_availability
from .models import Booking, Event, FeedbackQuestion

# Access helpers ------------------------------------------------------------------------------


def access_event(user, pk: int) -> Event:
    return get_object_or_404(selectors.events_visible_to(user).select_related("host"), pk=pk)


def access_event_for_admin(user, pk: int) -> Event:
    if not is_regional_admin(user):
        raise Http404
    return get_object_or_404(Event, pk=pk)


def access_booking(user, pk: int) -> Booking:
    """A booking the user may act on: their own, or one of an authority they manage."""
    booking = get_object_or_404(Booking.objects.select_related("event", "person"), pk=pk)
    own = booking.person_id is not None and booking.person_id == user.person_id
    if not (own or selectors.may_see_attendees(user, booking.authority_id)):
        raise Http404
    return booking


def access_attendees(user, pk: int) -> tuple[Event, set[int] | None]:
    """The event and whose attendees the user may see (None: everyone's); 404 for anyone who
    is neither a regional admin nor a coordinator."""
    authority_ids = selectors.attendees_authority_ids(user)
    if authority_ids is not None and not authority_ids:
        raise Http404
    return access_event(user, pk), authority_ids


def _service_error(form, error: services.EventError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _colleagues(authority_id: int):
    return Person.objects.filter(organisation_id=authority_id).order_by("name", "pk")


def _entitled_to_link(user, event: Event, my_booking: Booking | None) -> bool:
    return is_regional_admin(user) or bool(my_booking and my_booking.holds_place)


# Lists and the event page --------------------------------------------------------------------


EVENTS_PER_PAGE = 25
PAST_SHOWN = 10


def event_list(request):
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    listing = selectors.UpcomingPage(
        request.user, page=page, per_page=EVENTS_PER_PAGE, past=PAST_SHOWN
    )
    return render(
        request,
        "events/event_list.html",
        {
            "nav": "events",
            "listing": listing,
            "cache_key": listing.cache_key(),
            "is_admin": is_regional_admin(request.user),
        },
    )


def event_detail(request, pk: int):
    event = access_event(request.user, pk)
    user = request.user
    availability = event_availability(event)
    my_booking = None
    if user.is_authenticated and user.person_id:
        my_booking = event.bookings.filter(
            person_id=user.person_id, status__in=Booking.ACTIVE
        ).first()
    authority_id = selectors._authority_id(user)
    managed = sorted(coordinated_ids(user))
    return render(
        request,
        "events/event_detail.html",
        {
            "nav": "events",
            "event": event,
            "sessions": list(event.sessions.all()),
            "availability": availability,
            "my_booking": my_booking,
            "my_authority": availability.for_authority(authority_id),
            "left_for_me": availability.left_for(authority_id),
            "authority_name": _authority_label(user),
            "show_link": _entitled_to_link(user, event, my_booking),
            "is_admin": is_regional_admin(user),
            "managed": Organisation.objects.filter(pk__in=managed).order_by("name"),
            "booking_open": event.booking_is_open(),
            "may_feedback": services.may_give_feedback(event, my_booking)
            and event.questions.exists(),
            "sees_feedback": selectors.may_see_feedback(user, event),
        },
    )


def _authority_label(user) -> str:
    authority_id = selectors._authority_id(user)
    if authority_id is None:
        return ""
    org = Organisation.objects.filter(pk=authority_id).first()
    return (org.short_name or org.name) if org else ""


def event_ics(request, pk: int):
    event = access_event(request.user, pk)
    my_booking = None
    if request.user.is_authenticated and request.user.person_id:
        my_booking = event.bookings.filter(
            person_id=request.user.person_id, status__in=Booking.HOLDING
        ).first()
    data = ics.event_file(event, show_link=_entitled_to_link(request.user, event, my_booking))
    return _ics_response(data, f"event-{event.pk}.ics")


def _ics_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def person_feed(request, token: str):
    """A person's bookings as a calendar feed; the signed token is the only key."""
    person_id = emails.feed_person_id(token)
    if person_id is None:
        raise Http404
    data = ics.person_feed(selectors.person_feed_bookings(person_id))
    return _ics_response(data, "my-events.ics")


# Booking for oneself -------------------------------------------------------------------------


@login_required
@require_POST
def booking_create(request, pk: int):
    event = access_event(request.user, pk)
    person = request.user.person
    if person is None:
        messages.error(
            request,
            "Your account is not linked to your entry in the directory, so it cannot book. "
            "Ask your authority's coordinator to book for you.",
        )
        return redirect(event)
    try:
        booking = services.booking_create(actor=request.user, event=event, person=person)
    except services.BookingError as error:
        messages.error(request, error.message)
    else:
        if booking.status == Booking.Status.WAITLISTED:
            messages.success(
                request, "You are on the waiting list. We will email you if a place comes up."
            )
        else:
            messages.success(
                request, "Your place is booked. We have emailed you a calendar invite."
            )
    return redirect(event)


@login_required
@require_POST
def booking_cancel(request, pk: int):
    booking = access_booking(request.user, pk)
    try:
        services.booking_cancel(actor=request.user, booking=booking)
    except (services.BookingError, PermissionDenied) as error:
        messages.error(request, getattr(error, "message", str(error)))
    else:
        messages.success(request, "Cancelled.")
    return redirect(request.POST.get("next") or booking.event.get_absolute_url())


@login_required
@require_POST
def booking_accept(request, pk: int):
    booking = access_booking(request.user, pk)
    try:
        services.booking_offer_accept(actor=request.user, booking=booking)
    except services.BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The place is yours. We have emailed you a calendar invite.")
    return redirect(booking.event)


# An authority's places -----------------------------------------------------------------------


@login_required
def authority_places(request, pk: int, authority_pk: int):
    if not selectors.may_see_attendees(request.user, authority_pk):
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "book":
        # The busiest path. Where the database decides bookings, one round trip books the
        # colleague chosen, reading nothing first; whatever that cannot do (a refusal, a person
        # from elsewhere...) is done below, the careful way.
        person_id = forms.ColleagueForm.chosen_id(request.POST, prefix="book")
        if person_id is not None:
            booked = services.booking_create_colleague(
                actor=request.user, event_id=pk, person_id=person_id, authority_id=authority_pk
            )
            if booked is not None:
                return _colleague_booked(request, booked.booking, booked.name)
        # The event and the colleague with their organisation are read together with compiled
        # statements; the authority's own row only to show the page again.
        book_form = forms.ColleagueForm(request.POST, prefix="book", authority_id=authority_pk)
        event = book_form.event_to_book(request.user, pk)
        if event is None:
            raise Http404
        if book_form.is_valid():
            person = book_form.cleaned_data["person"]
            try:
                booking = services.booking_create(actor=request.user, event=event, person=person)
            except services.BookingError as error:
                _service_error(book_form, error)
            else:
                return _colleague_booked(request, booking, person.name)
        book_form.show_choices(_colleagues(authority_pk))
    else:
        event = access_event(request.user, pk)
        book_form = forms.PersonForm(prefix="book", people=_colleagues(authority_pk))
    authority = get_object_or_404(Organisation, pk=authority_pk)
    reserve_form = forms.ReserveForm(prefix="reserve")
    if action == "reserve":
        reserve_form = forms.ReserveForm(request.POST, prefix="reserve")
        if reserve_form.is_valid():
            try:
                places = services.place_reserve(
                    actor=request.user,
                    event=event,
                    authority=authority,
                    count=reserve_form.cleaned_data["count"],
                    until=reserve_form.cleaned_data["until"],
                )
            except services.BookingError as error:
                _service_error(reserve_form, error)
            else:
                messages.success(request, f"{len(places)} unnamed place(s) reserved.")
                return redirect(request.path)
    availability = event_availability(event)
    form_with_errors = book_form if book_form.errors else reserve_form
    return render(
        request,
        "events/authority_places.html",
        {
            "nav": "events",
            "event": event,
            "authority": authority,
            "bookings": selectors.authority_bookings(event, authority.pk),
            "places": availability.for_authority(authority.pk),
            "left": availability.left_for(authority.pk),
            "pool_left": availability.pool_left,
            "book_form": book_form,
            "reserve_form": reserve_form,
            "form": form_with_errors,
            "booking_open": event.booking_is_open(),
        },
    )


def _colleague_booked(request, booking: Booking, name: str) -> HttpResponseRedirect:
    messages.success(
        request, f"{name} is booked." if booking.holds_place else f"{name} is on the waiting list."
    )
    # The page itself, as a path: `redirect` would first try it as the name of a URL.
    return HttpResponseRedirect(request.path)


def _person_change(request, pk: int, *, service, title: str, submit: str):
    booking = access_booking(request.user, pk)
    if not selectors.may_see_attendees(request.user, booking.authority_id):
        raise Http404
    back = f"/events/{booking.event_id}/places/{booking.authority_id}/"
    people = _colleagues(booking.authority_id).exclude(pk=booking.person_id or 0)
    form = forms.PersonForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, booking=booking, person=form.cleaned_data["person"])
        except services.BookingError as error:
            _service_error(form, error)
        else:
            messages.success(request, f"The place is now {form.cleaned_data['person'].name}'s.")
            return redirect(back)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": title,
            "caption": booking.event.title,
            "submit": submit,
            "back_url": back,
            "nav": "events",
        },
    )


@login_required
def reservation_name(request, pk: int):
    return _person_change(
        request, pk, service=services.reservation_name, title="Name a reserved place", submit="Name"
    )


@login_required
def booking_swap(request, pk: int):
    return _person_change(
        request,
        pk,
        service=services.booking_swap,
        title="Give this place to a colleague",
        submit="Swap",
    )


# Admin ---------------------------------------------------------------------------------------


def _event_data(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("sessions", None)
    return data


@login_required
def event_create(request):
    if not is_regional_admin(request.user):
        raise Http404
    form = forms.EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(
                actor=request.user, data=_event_data(form), sessions=form.cleaned_data["sessions"]
            )
        except services.EventError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Event saved as a draft. Set allocations, then publish it.")
            return redirect(event)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": "Add an event", "back_url": "/events/", "nav": "events"},
    )


@login_required
def event_edit(request, pk: int):
    event = access_event_for_admin(request.user, pk)
    form = forms.EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(
                actor=request.user,
                event=Event.objects.get(pk=pk),
                data=_event_data(form),
                sessions=form.cleaned_data["sessions"],
            )
        except services.EventError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(event)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"Edit {event.title}",
            "back_url": event.get_absolute_url(),
            "nav": "events",
        },
    )


@login_required
def allocations_edit(request, pk: int):
    event = access_event_for_admin(request.user, pk)
    current = dict(event.allocations.values_list("authority_id", "places"))
    form = forms.AllocationsForm(
        request.POST or None, authorities=services.member_authorities(), current=current
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.allocations_set(
                actor=request.user,
                event=event,
                same_for_all=form.cleaned_data.get("same_for_all"),
                per_authority=form.per_authority(),
            )
        except services.EventError as error:
            _service_error(form, error)
        else:
            messages.success(request, "Allocations saved.")
            return redirect(event)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": "Places for each authority",
            "caption": f"{event.title} · {event.capacity} places in all",
            "back_url": event.get_absolute_url(),
            "nav": "events",
        },
    )


def _admin_action(request, pk: int, service, done: str):
    event = access_event_for_admin(request.user, pk)
    try:
        service(actor=request.user, event=event)
    except services.EventError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(event)


@login_required
@require_POST
def event_publish(request, pk: int):
    return _admin_action(request, pk, services.event_publish, "Published: members can now book.")


@login_required
@require_POST
def event_cancel(request, pk: int):
    return _admin_action(
        request, pk, services.event_cancel, "Event cancelled; everyone booked has been told."
    )


@login_required
@require_POST
def event_release(request, pk: int):
    return _admin_action(
        request, pk, services.allocations_release, "Unused allocations released to the pool."
    )


@login_required
def event_overview(request):
    if not is_regional_admin(request.user):
        raise Http404
    events, availability = selectors.events_overview()
    authorities = list(services.member_authorities())
    rows = []
    for event in events:
        places = availability[event.pk]
        by_authority = [
            (a.short_name or a.name, places.authorities[a.pk])
            for a in authorities
            if a.pk in places.authorities
        ]
        rows.append((event, places, by_authority))
    return render(request, "events/event_overview.html", {"nav": "events", "rows": rows})


# After the event ------------------------------------------------------------------------------


@login_required
def attendance(request, pk: int):
    event, authority_ids = access_attendees(request.user, pk)
    bookings = selectors.attendance_bookings(event, authority_ids)
    form = forms.AttendanceForm(request.POST or None, bookings=bookings)
    started = bool(event.starts_at and event.starts_at <= timezone.now())
    if request.method == "POST" and started and form.is_valid():
        try:
            changed = services.attendance_record(
                actor=request.user, event=event, marks=form.marks()
            )
        except (services.BookingError, PermissionDenied) as error:
            form.add_error(None, getattr(error, "message", str(error)))
        else:
            messages.success(request, f"Attendance saved: {changed} changed.")
            return redirect(request.path)
    statuses = [b.status for b in bookings]
    return render(
        request,
        "events/attendance.html",
        {
            "nav": "events",
            "event": event,
            "form": form,
            "started": started,
            "is_admin": authority_ids is None,
            "attended": statuses.count(Booking.Status.ATTENDED),
            "no_show": statuses.count(Booking.Status.NO_SHOW),
            "unmarked": statuses.count(Booking.Status.CONFIRMED),
        },
    )


@login_required
def attendees_export(request, pk: int, fmt: str):
    if fmt not in exporting.FORMATS:
        raise Http404
    event, authority_ids = access_attendees(request.user, pk)
    return exporting.export_response(exporting.attendees_table(event, authority_ids), fmt)


@login_required
def fill_export(request, fmt: str):
    authority_ids = selectors.attendees_authority_ids(request.user)
    if fmt not in exporting.FORMATS or (authority_ids is not None and not authority_ids):
        raise Http404
    return exporting.export_response(exporting.fill_table(authority_ids), fmt)


# Feedback ------------------------------------------------------------------------------------


def _my_booking(user, event: Event) -> Booking | None:
    if not (user.is_authenticated and user.person_id):
        return None
    return (
        event.bookings.filter(person_id=user.person_id)
        .exclude(status=Booking.Status.CANCELLED)
        .first()
    )


@login_required
def feedback_questions(request, pk: int):
    event = access_event_for_admin(request.user, pk)
    question_form = forms.QuestionForm(prefix="question")
    anonymity_form = forms.AnonymityForm(
        prefix="anonymity", initial={"anonymous": event.feedback_anonymous}
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "question":
                question_form = forms.QuestionForm(request.POST, prefix="question")
                if question_form.is_valid():
                    data = question_form.cleaned_data
                    services.question_add(
                        actor=request.user,
                        event=event,
                        kind=data["kind"],
                        text=data["text"],
                        choices=data.get("choices") or "",
                    )
                    messages.success(request, "Question added.")
                    return redirect(request.path)
            elif action == "anonymity":
                anonymity_form = forms.AnonymityForm(request.POST, prefix="anonymity")
                if anonymity_form.is_valid():
                    services.feedback_anonymity_set(
                        actor=request.user,
                        event=event,
                        anonymous=anonymity_form.cleaned_data["anonymous"],
                    )
                    messages.success(request, "Saved.")
                    return redirect(request.path)
        except services.EventError as error:
            _service_error(question_form if action == "question" else anonymity_form, error)
    return render(
        request,
        "events/feedback_questions.html",
        {
            "nav": "events",
            "event": event,
            "questions": list(event.questions.all()),
            "answered": event.feedback.count(),
            "question_form": question_form,
            "anonymity_form": anonymity_form,
            "form": question_form if question_form.errors else anonymity_form,
        },
    )


@login_required
def feedback_question_delete(request, pk: int, question_pk: int):
    """Ask first, saying how many answers go with the question; delete on the POST."""
    event = access_event_for_admin(request.user, pk)
    question = get_object_or_404(FeedbackQuestion, pk=question_pk, event=event)
    back = reverse("events:feedback-questions", args=[event.pk])
    if request.method == "POST":
        try:
            answers = services.question_delete(actor=request.user, question=question)
        except services.EventError as error:
            messages.error(request, error.message)
        else:
            deleted = f" and its {answers} answer{pluralize(answers)}" if answers else ""
            messages.success(request, f"Question deleted{deleted}.")
        return redirect(back)
    return render(
        request,
        "events/feedback_question_delete.html",
        {
            "nav": "events",
            "event": event,
            "question": question,
            "answers": question.answers.count(),
            "back_url": back,
        },
    )


@login_required
def feedback_give(request, pk: int):
    event = access_event(request.user, pk)
    if not services.may_give_feedback(event, _my_booking(request.user, event)):
        raise Http404
    questions = list(event.questions.all())
    if not questions:
        raise Http404
    answered = event.feedback.filter(person_id=request.user.person_id).exists()
    form = forms.FeedbackForm(request.POST or None, questions=questions)
    if request.method == "POST":
        if answered:
            messages.error(request, "You have already given feedback on this event; thank you.")
            return redirect(event)
        if form.is_valid():
            try:
                services.feedback_submit(actor=request.user, event=event, answers=form.answers())
            except services.EventError as error:
                if error.code == "duplicate":
                    messages.error(request, error.message)
                    return redirect(event)
                _service_error(form, error)
            else:
                messages.success(request, "Thank you for your feedback.")
                return redirect(event)
    return render(
        request,
        "events/feedback_give.html",
        {"nav": "events", "event": event, "form": form, "answered": answered},
    )


@login_required
def feedback_results(request, pk: int):
    event = access_event(request.user, pk)
    if not selectors.may_see_feedback(request.user, event):
        raise Http404
    return render(
        request,
        "events/feedback_results.html",
        {"nav": "events", "event": event, "results": selectors.feedback_results(event)},
    )
