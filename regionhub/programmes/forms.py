"""Input validation for programme and mentoring pages; business rules live in the services."""

import datetime
import zoneinfo

from django import forms

from regionhub.core.forms import date_field
from regionhub.directory.models import Organisation, Person

from .models import AREAS, Cohort, Interest, Programme

LONDON = zoneinfo.ZoneInfo("Europe/London")


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "title",
            "provider",
            "commissioned_by",
            "audience",
            "eligibility",
            "description",
            "contact",
            "regional_price",
            "direct_price",
        ]
        labels = {
            "regional_price": "Regional price per place (£)",
            "direct_price": "Direct price per place (£)",
        }
        widgets = {
            "eligibility": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 5}),
        }
        error_messages = {
            "title": {"required": "Enter the programme's title"},
            "provider": {"required": "Choose the provider"},
            "audience": {"required": "Say who the programme is for"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Organisation.objects.order_by("name")

    def validate_unique(self):
        """Uniqueness is the service's to check, with its own message."""

    def _post_clean(self):
        # The model's price constraint is the service's to explain; skip Django's generic one.
        self.instance.full_clean = lambda *a, **k: None
        super()._post_clean()


class CohortForm(forms.Form):
    name = forms.CharField(max_length=200, error_messages={"required": "Name the cohort"})
    starts = date_field("Start date")
    ends = date_field("End date", required=False)
    places = forms.IntegerField(
        min_value=0,
        label="Places in all",
        error_messages={
            "required": "Enter how many places there are",
            "invalid": "Enter the places as a whole number",
            "min_value": "Places cannot be negative",
        },
    )
    deadline_date = date_field(
        "Applications close on", help_text="The last day to apply, for example 26/7/2025"
    )
    rule = forms.ChoiceField(
        choices=Cohort.Rule.choices, label="How places are given", widget=forms.RadioSelect
    )
    per_authority = forms.CharField(
        required=False,
        label="Places per authority",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. One a line, as authority and places, for example 'Dudley: 2'. "
        "Authorities not listed share whatever is left.",
    )

    def clean_per_authority(self) -> dict[int, int]:
        text = self.cleaned_data.get("per_authority") or ""
        result: dict[int, int] = {}
        authorities = {
            (o.short_name or o.name).lower(): o for o in Organisation.objects.filter(is_member=True)
        }
        authorities |= {o.name.lower(): o for o in authorities.values()}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            name, _, count = line.rpartition(":")
            org = authorities.get(name.strip().lower())
            if org is None:
                raise forms.ValidationError(
                    f"Line {number}: '{name.strip() or line.strip()}' is not a member authority"
                )
            try:
                result[org.pk] = int(count.strip())
            except ValueError:
                raise forms.ValidationError(
                    f"Line {number}: write the places as a whole number, like 'Dudley: 2'"
                ) from None
        return result

    @staticmethod
    def initial_for(cohort: Cohort) -> dict:
        shares = cohort.authority_places.select_related("authority")
        return {
            "name": cohort.name,
            "starts": cohort.starts,
            "ends": cohort.ends,
            "places": cohort.places,
            "deadline_date": (
                cohort.deadline.astimezone(LONDON) - datetime.timedelta(days=1)
            ).date(),
            "rule": cohort.rule,
            "per_authority": "\n".join(
                f"{s.authority.short_name or s.authority.name}: {s.places}" for s in shares
            ),
        }

    def data_for_service(self) -> dict:
        data = self.cleaned_data
        # Closing "on" a day means the whole of that day is still open.
        deadline = datetime.datetime.combine(
            data["deadline_date"] + datetime.timedelta(days=1), datetime.time(0), tzinfo=LONDON
        )
        return {
            "name": data["name"],
            "starts": data["starts"],
            "ends": data["ends"],
            "places": data["places"],
            "deadline": deadline,
            "rule": data["rule"],
        }


class InterestForm(forms.Form):
    role = forms.ChoiceField(
        choices=Interest.Role.choices,
        label="Your role",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose your role"},
    )


class ApplicationForm(forms.Form):
    statement = forms.CharField(
        required=False,
        label="Why you want to take part",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NominationForm(forms.Form):
    """The person is chosen from a search's results (at most a few dozen are shown), but any of
    `people` is accepted, so that the choice is checked against whom the user may nominate."""

    person = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        label="Who are you nominating?",
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose who to nominate",
            "invalid_choice": "Choose someone from the list: you can nominate people of the "
            "authorities you coordinate",
        },
    )
    statement = forms.CharField(
        required=False, label="Why this person", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class MenteeForm(forms.Form):
    goals = forms.CharField(
        label="What you want from mentoring",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Only you and the scheme coordinators will read this; "
        "your line manager will not.",
        error_messages={"required": "Say what you want from mentoring"},
    )
    areas = forms.MultipleChoiceField(
        choices=AREAS,
        widget=forms.CheckboxSelectMultiple,
        label="Areas you would like support with",
        error_messages={"required": "Choose at least one area"},
    )
    line_manager_name = forms.CharField(
        max_length=200,
        label="Your line manager's name",
        error_messages={"required": "Enter your line manager's name"},
    )
    line_manager_email = forms.EmailField(
        label="Your line manager's email address",
        help_text="They will get a link to say whether they support your application.",
        error_messages={
            "required": "Enter your line manager's email address",
            "invalid": "Enter an email address like name@council.gov.uk",
        },
    )


class MentorForm(forms.Form):
    experience = forms.CharField(
        label="Your experience",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Describe your experience"},
    )
    areas = forms.MultipleChoiceField(
        choices=AREAS,
        widget=forms.CheckboxSelectMultiple,
        label="Areas you could mentor in",
        error_messages={"required": "Choose at least one area"},
    )
    capacity = forms.IntegerField(
        min_value=1,
        max_value=10,
        initial=1,
        label="How many mentees you could take at once",
        error_messages={
            "required": "Enter how many mentees",
            "invalid": "Enter a whole number",
            "min_value": "Enter at least 1",
            "max_value": "Enter 10 or fewer",
        },
    )


class EndorsementForm(forms.Form):
    supports = forms.TypedChoiceField(
        choices=[("yes", "Yes, I support it"), ("no", "No, I do not support it")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Do you support this application?",
        error_messages={"required": "Say whether you support the application"},
    )
    comment = forms.CharField(
        required=False, label="Comment", widget=forms.Textarea(attrs={"rows": 3})
    )


class MatchForm(forms.Form):
    mentor = forms.IntegerField(widget=forms.HiddenInput)
