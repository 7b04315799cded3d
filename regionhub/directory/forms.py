"""Input validation for the directory pages; business rules live in services."""

import datetime

from django import forms

from regionhub.core.forms import DATE_WIDGET, date_field

from .models import Appointment, Organisation, Person, Post


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name} ({obj.organisation})" if obj.organisation else obj.name


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter the website as a full address, like https://example.org"},
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "short_name",
            "kind",
            "is_member",
            "website",
            "email_domains",
            "urn",
            "notes",
        ]
        error_messages = {
            "name": {"required": "Enter the organisation's name"},
            "kind": {"required": "Choose what kind of organisation it is"},
        }

    def __init__(self, *args, restricted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if restricted:
            for name in ("name", "kind", "is_member"):
                del self.fields[name]

    def clean_email_domains(self) -> str:
        value = self.cleaned_data["email_domains"]
        domains = [d.strip().lower().lstrip("@") for d in value.split(",") if d.strip()]
        for domain in domains:
            if "." not in domain or " " in domain:
                raise forms.ValidationError(
                    f"'{domain}' is not an email domain; write them like dudley.gov.uk",
                    code="invalid",
                )
        return ", ".join(domains)


class PersonForm(forms.ModelForm):
    confirm_different = forms.BooleanField(
        required=False,
        label="This is a different person from the ones listed",
        help_text="Tick only after checking the possible duplicates above.",
    )

    class Meta:
        model = Person
        fields = ["name", "email", "phone", "organisation", "notes"]
        error_messages = {
            "name": {"required": "Enter the person's full name"},
            "email": {"invalid": "Enter an email address like name@example.org"},
        }

    def __init__(self, *args, organisations=None, show_confirm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations
            self.fields["organisation"].required = True
            self.fields["organisation"].error_messages["required"] = "Choose their organisation"
        if not show_confirm:
            del self.fields["confirm_different"]


class PostForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ["title", "organisation", "category", "max_holders", "description", "abolished"]
        widgets = {"abolished": DATE_WIDGET}
        error_messages = {
            "title": {"required": "Enter the post's title"},
            "organisation": {"required": "Choose the organisation the post belongs to"},
            "max_holders": {
                "required": "Enter how many people may hold the post at once",
                "min_value": "A post has at least one holder",
            },
        }

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations
        self.fields["max_holders"].min_value = 1
        self.fields["max_holders"].widget.attrs.update(
            {"class": "govuk-input--width-3", "inputmode": "numeric"}
        )


class AppointmentFieldsMixin(forms.Form):
    basis = forms.ChoiceField(
        choices=Appointment.Basis.choices, initial=Appointment.Basis.SUBSTANTIVE
    )
    on_behalf_of = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(is_member=True),
        required=False,
        label="On behalf of",
        help_text="For a network post: the authority the holder represents.",
    )


class AppointmentForm(AppointmentFieldsMixin, forms.Form):
    person = PersonChoiceField(
        queryset=Person.objects.none(), error_messages={"required": "Choose who is appointed"}
    )
    start = date_field("Start date")
    start_approximate = forms.BooleanField(
        required=False, label="Only the month is known", help_text="Use the month's first day."
    )
    end = date_field("End date", required=False, help_text="Leave empty if they still hold it")
    note = forms.CharField(required=False, max_length=300)

    field_order = ["person", "start", "start_approximate", "end", "basis", "on_behalf_of", "note"]

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be on or after the start date")
        return data


class AppointmentEditForm(AppointmentFieldsMixin, forms.Form):
    start = date_field("Start date")
    start_approximate = forms.BooleanField(required=False, label="Only the month is known")
    end = date_field("End date", required=False, help_text="Leave empty if they still hold it")
    end_approximate = forms.BooleanField(required=False, label="End: only the month is known")
    note = forms.CharField(required=False, max_length=300)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be on or after the start date")
        return data


class EndAppointmentForm(forms.Form):
    end = date_field("Last day in post")
    approximate = forms.BooleanField(required=False, label="Only the month is known")


def _holder_label(appointment: Appointment) -> str:
    return f"{appointment.person.name} (since {appointment.start:%-d %B %Y})"


class HandoverForm(AppointmentFieldsMixin, forms.Form):
    outgoing = forms.ModelChoiceField(
        queryset=Appointment.objects.none(),
        label="Who is handing over",
        error_messages={"required": "Choose who is handing over"},
    )
    incoming = PersonChoiceField(
        queryset=Person.objects.none(),
        label="Who takes over",
        error_messages={"required": "Choose who takes over"},
    )
    on = date_field(
        "Handover date",
        help_text="The new holder's first day. The outgoing holder's last day is the day before.",
    )

    field_order = ["outgoing", "incoming", "on", "basis", "on_behalf_of"]

    def __init__(self, *args, people, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incoming"].queryset = people
        self.fields["outgoing"].queryset = current
        self.fields["outgoing"].label_from_instance = lambda a: (
            f"{a.person.name} (since {a.start:%-d %B %Y})"
        )
        if len(current) == 1:
            self.fields["outgoing"].initial = current[0].pk


class HandoverNoteForm(forms.Form):
    title = forms.CharField(max_length=200, error_messages={"required": "Give the note a title"})
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Note",
        help_text="What the next holder needs to know: commitments, contacts, open questions.",
        error_messages={"required": "Write the note"},
    )


class AsAtForm(forms.Form):
    date = date_field("Date", help_text="For example, 1/1/2024 or 1 January 2024")


class ChangesForm(forms.Form):
    start = date_field("From")
    end = date_field("To")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The ‘to’ date must be on or after the ‘from’ date")
        return data


def default_changes_range(today: datetime.date) -> dict[str, datetime.date]:
    start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return {"start": start, "end": today}


class PersonEraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that this erases the person's data everywhere in RegionHub and "
        "cannot be undone",
        error_messages={"required": "Tick the box to confirm the erasure"},
    )
