"""Input validation for the plan pages; business rules live in services."""

from django import forms

from regionhub.directory.models import Person
from regionhub.networks.forms import PersonChoiceField, PostChoiceField, date_field
from regionhub.networks.models import Group
from regionhub.networks.selectors import posts_for_choice

from .models import Rag


class AsAtForm(forms.Form):
    date = date_field("As at", help_text="Each initiative's latest update on or before this date")


class InitiativeForm(forms.Form):
    title = forms.CharField(max_length=200, error_messages={"required": "Enter the title"})
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    sponsor_post = PostChoiceField(label="Sponsor post", queryset=None, required=False)
    board = forms.ModelChoiceField(
        label="Board", queryset=Group.objects.order_by("name"), required=False
    )
    lead_officer = PersonChoiceField(
        label="Lead officer", queryset=Person.objects.order_by("name"), required=False
    )
    start = date_field("Start date")
    planned_end = date_field("Planned end date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sponsor_post"].queryset = posts_for_choice()


class MilestoneForm(forms.Form):
    title = forms.CharField(
        label="Milestone", max_length=200, error_messages={"required": "Enter the milestone"}
    )
    due = date_field("Due date")
    done = date_field("Reached on", required=False, help_text="Leave empty until it is reached")
    confirm_after_end = forms.BooleanField(
        label="Yes, this milestone falls after the initiative's planned end", required=False
    )


class StatusUpdateForm(forms.Form):
    date = date_field("Date of the update")
    rag = forms.ChoiceField(
        label="RAG rating",
        choices=[("", "Choose a rating"), *Rag.choices],
        required=False,
    )
    narrative = forms.CharField(
        label="What has happened", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def clean_rag(self):
        rag = self.cleaned_data.get("rag")
        if not rag:
            raise forms.ValidationError("Choose a RAG rating: red, amber or green", code="required")
        return rag
