"""Input validation for the event pages; business rules live in services."""

import datetime
import re
import zoneinfo

from django import forms
from django.conf import settings

from regionhub.core.forms import date_field
from regionhub.directory.models import Person

from . import selectors
from .models import Event, FeedbackQuestion

LONDON = zoneinfo.ZoneInfo("Europe/London")
TIME_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
SESSION_RE = re.compile(r"^\s*(\S+)\s+(\d{1,2}[:.]\d{2})\s*(?:-|to)\s*(\d{1,2}[:.]\d{2})\s*(.*)$")


def _time(value: str) -> datetime.time | None:
    match = TIME_RE.match(value or "")
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    return datetime.time(hour, minute)


def _at(date: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(date, time, tzinfo=LONDON)


class TimeField(forms.CharField):
    def __init__(self, label: str, **kwargs):
        super().__init__(
            label=label,
            help_text="24-hour clock, for example 09:30 or 14:00",
            max_length=5,
            widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "autocomplete": "off"}),
            error_messages={"required": f"Enter the {label.lower()}"},
            **kwargs,
        )

    def clean(self, value):
        value = super().clean(value)
        time = _time(value)
        if time is None:
            raise forms.ValidationError(
                f"Enter the {self.label.lower()} like 09:30", code="invalid"
            )
        return time


class EventForm(forms.ModelForm):
    date = date_field("Date")
    start_time = TimeField("Start time")
    end_time = TimeField("End time")
    more_sessions = forms.CharField(
        label="Further dates for a series",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, as date, start and end, then an optional title, for example "
        "'8/10/2025 10:00-10:15 Session 2'",
    )
    booking_opens_on = date_field("Booking opens", required=False, help_text="Empty: open now")
    booking_closes_on = date_field(
        "Booking closes", required=False, help_text="The last day people can book"
    )
    release_on = date_field(
        "Release unused allocations on",
        required=False,
        help_text="From this day, places an authority has not used go to the open pool",
    )
    online_url = forms.URLField(
        label="Online joining link",
        required=False,
        assume_scheme="https",
        help_text="Only people with a place see it",
        error_messages={"invalid": "Enter the link as a full address, like https://example.org"},
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "kind",
            "description",
            "venue",
            "online_url",
            "audience",
            "capacity",
            "price",
            "offer_hours",
            "host",
            "partners",
            "feedback_anonymous",
        ]
        labels = {
            "price": "Price per place (£)",
            "offer_hours": "Hours to accept an offered place",
            "host": "Host authority",
            "feedback_anonymous": "Feedback is anonymous",
        }
        error_messages = {
            "title": {"required": "Enter the event's title"},
            "capacity": {
                "required": "Enter how many places there are",
                "invalid": "Enter the number of places as a whole number, like 120",
            },
            "price": {"invalid": "Enter the price as a number, like 0 or 95.50"},
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        event = self.instance
        if event.pk and not self.is_bound:
            sessions = list(event.sessions.all())
            if sessions:
                first = sessions[0]
                start, end = (
                    first.start.astimezone(LONDON),
                    first.end.astimezone(LONDON),
                )
                self.initial.update(
                    date=start.date(),
                    start_time=f"{start:%H:%M}",
                    end_time=f"{end:%H:%M}",
                    more_sessions="\n".join(
                        f"{s.start.astimezone(LONDON):%d/%m/%Y %H:%M}-"
                        f"{s.end.astimezone(LONDON):%H:%M} {s.title}".strip()
                        for s in sessions[1:]
                    ),
                )
            for name, field in (
                ("booking_opens_on", event.booking_opens),
                ("booking_closes_on", event.booking_closes),
                ("release_on", event.release_at),
            ):
                if field:
                    local = field.astimezone(LONDON)
                    if name == "booking_closes_on":
                        local -= datetime.timedelta(days=1)
                    self.initial[name] = local.date()
        self.fields["date"].label = "Date of the first session"

    def clean_more_sessions(self):
        parsed = []
        for n, line in enumerate(self.cleaned_data["more_sessions"].splitlines(), start=1):
            if not line.strip():
                continue
            match = SESSION_RE.match(line)
            date = None
            if match:
                for fmt in settings.DATE_INPUT_FORMATS:
                    try:
                        date = datetime.datetime.strptime(match[1], fmt).date()
                        break
                    except ValueError:
                        continue
            start, end = (_time(match[2]), _time(match[3])) if match else (None, None)
            if not match or date is None or start is None or end is None:
                raise forms.ValidationError(
                    f"Line {n} is not a date and times like '8/10/2025 10:00-10:15'",
                    code="invalid",
                )
            parsed.append((_at(date, start), _at(date, end), match[4].strip()))
        return parsed

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("start_time") and data.get("end_time"):
            data["sessions"] = [
                (_at(data["date"], data["start_time"]), _at(data["date"], data["end_time"]))
            ] + data.get("more_sessions", [])
        midnight = datetime.time(0, 0)
        opens, closes, release = (
            data.get("booking_opens_on"),
            data.get("booking_closes_on"),
            data.get("release_on"),
        )
        data["booking_opens"] = _at(opens, midnight) if opens else None
        # Booking closes at the end of the day given.
        data["booking_closes"] = (
            _at(closes + datetime.timedelta(days=1), midnight) if closes else None
        )
        data["release_at"] = _at(release, midnight) if release else None
        return data


class AllocationsForm(forms.Form):
    same_for_all = forms.IntegerField(
        label="The same number of places for every authority",
        required=False,
        min_value=0,
        help_text="Leave empty to set each authority's places below",
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
        error_messages={
            "invalid": "Enter the places as a whole number",
            "min_value": "Enter 0 or more places",
        },
    )

    def __init__(self, *args, authorities, current: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.authorities = list(authorities)
        for authority in self.authorities:
            self.fields[f"authority_{authority.pk}"] = forms.IntegerField(
                label=authority.name,
                required=False,
                min_value=0,
                initial=current.get(authority.pk, 0),
                widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
                error_messages={
                    "invalid": f"Enter {authority.name}'s places as a whole number",
                    "min_value": f"Enter 0 or more places for {authority.name}",
                },
            )

    def per_authority(self) -> dict[int, int]:
        return {
            a.pk: self.cleaned_data.get(f"authority_{a.pk}") or 0
            for a in self.authorities
            if self.cleaned_data.get("same_for_all") is None
        }


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return obj.name


class PersonForm(forms.Form):
    person = PersonChoiceField(
        queryset=Person.objects.none(),
        label="Colleague",
        empty_label="Choose a colleague",
        error_messages={
            "required": "Choose who the place is for",
            "invalid_choice": "Choose a colleague from the list",
        },
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class ColleagueChoiceField(PersonChoiceField):
    """A colleague from one authority, looked up by id with their organisation in one compiled
    statement (`selectors.colleague`): the booking form is the busiest form there is. The
    queryset still lists the choices when the form is shown again."""

    authority_id: int
    looked_up: dict[int, Person | None]  # people already read, by id

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.looked_up = {}

    def __deepcopy__(self, memo):
        # Each form's copy of the field has its own: a field's deepcopy shares other attributes.
        result = super().__deepcopy__(memo)
        result.looked_up = {}
        return result

    @staticmethod
    def pk_of(value) -> int | None:
        """The id `value` gives, if it can be one."""
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return None
        return pk if 0 < pk < 2**63 else None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        pk = self.pk_of(value)
        if pk in self.looked_up:
            person = self.looked_up[pk]
        else:
            person = selectors.colleague(self.authority_id, pk) if pk is not None else None
        if person is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return person


class ColleagueForm(forms.Form):
    """Book a colleague from `authority_id`. The list to choose from (`people`) is needed only
    to show the form again, so it is given then, not built for every booking (nor copied for
    every form made, as a field's queryset is)."""

    person = ColleagueChoiceField(
        queryset=None,
        label="Colleague",
        empty_label="Choose a colleague",
        error_messages=PersonForm.base_fields["person"].error_messages,
    )

    def __init__(self, *args, authority_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].authority_id = authority_id

    @staticmethod
    def chosen_id(data, *, prefix: str) -> int | None:
        """The key of the colleague chosen in the data a form with `prefix` would be given, if
        it can be one; read without making the form, to book at once
        (`services.booking_create_colleague`)."""
        return ColleagueChoiceField.pk_of(data.get(f"{prefix}-person"))

    def show_choices(self, people) -> None:
        self.fields["person"].queryset = people

    def event_to_book(self, user, pk: int) -> Event | None:
        """`selectors.event_to_book(user, pk)`, read together with the colleague chosen, whom
        validation then takes without reading again."""
        field = self.fields["person"]
        person_id = field.pk_of(self["person"].data)
        if person_id is None:
            return selectors.event_to_book(user, pk)
        event, person = selectors.event_and_colleague(
            user, pk, authority_id=field.authority_id, person_id=person_id
        )
        field.looked_up[person_id] = person
        return event


class ReserveForm(forms.Form):
    count = forms.IntegerField(
        label="How many places to reserve",
        min_value=1,
        max_value=100,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        error_messages={
            "required": "Enter how many places to reserve",
            "invalid": "Enter the number of places as a whole number",
            "min_value": "Enter how many places to reserve, 1 or more",
            "max_value": "Reserve at most 100 places at a time",
        },
    )
    until = date_field(
        "Hold them until",
        required=False,
        help_text="Unnamed places are released after this day. Empty: until the event",
    )

    def clean_until(self):
        until = self.cleaned_data.get("until")
        return _at(until + datetime.timedelta(days=1), datetime.time(0, 0)) if until else None


class QuestionForm(forms.ModelForm):
    class Meta:
        model = FeedbackQuestion
        fields = ["text", "kind", "choices"]
        labels = {"text": "Question", "kind": "Kind of answer"}
        widgets = {"choices": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"text": {"required": "Enter the question"}}

    def clean(self):
        data = super().clean()
        choices = [c for c in (data.get("choices") or "").splitlines() if c.strip()]
        if data.get("kind") == FeedbackQuestion.Kind.CHOICE and len(choices) < 2:
            self.add_error("choices", "Give at least two options, one a line")
        return data


class FeedbackForm(forms.Form):
    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            name = f"q{q.pk}"
            if q.kind == FeedbackQuestion.Kind.RATING:
                self.fields[name] = forms.TypedChoiceField(
                    label=q.text,
                    choices=[(str(n), str(n)) for n in range(1, 6)],
                    coerce=int,
                    widget=forms.RadioSelect,
                    help_text="1 is poor, 5 is excellent",
                    error_messages={"required": f"Choose a rating for '{q.text}'"},
                )
            elif q.kind == FeedbackQuestion.Kind.CHOICE:
                self.fields[name] = forms.ChoiceField(
                    label=q.text,
                    choices=[(c, c) for c in q.choice_list],
                    widget=forms.RadioSelect,
                    error_messages={"required": f"Choose an answer to '{q.text}'"},
                )
            else:
                self.fields[name] = forms.CharField(
                    label=q.text,
                    required=False,
                    max_length=500,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )

    def answers(self) -> dict[int, object]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}


class AttendanceForm(forms.Form):
    """One attended / did-not-attend choice per named place; a place left blank stays as it is."""

    CHOICES = [("attended", "Attended"), ("no_show", "Did not attend")]

    def __init__(self, *args, bookings, **kwargs):
        super().__init__(*args, **kwargs)
        self.bookings = list(bookings)
        for booking in self.bookings:
            current = booking.status if booking.status in {"attended", "no_show"} else None
            self.fields[f"b{booking.pk}"] = forms.ChoiceField(
                label=booking.person.name,
                choices=self.CHOICES,
                required=False,
                initial=current,
                widget=forms.RadioSelect,
                help_text=booking.authority.name if booking.authority else "",
            )

    def marks(self) -> dict[int, bool]:
        return {
            b.pk: self.cleaned_data[f"b{b.pk}"] == "attended"
            for b in self.bookings
            if self.cleaned_data.get(f"b{b.pk}")
        }


class AnonymityForm(forms.Form):
    anonymous = forms.BooleanField(
        label="Answers are anonymous",
        required=False,
        help_text="Nobody can see who gave which answer. It cannot change once people answer.",
    )
