"""Input validation for the mailing pages; the rules live in services."""

from django import forms

from .models import MailingList, Suppression

EMAIL_ERRORS = {
    "required": "Enter your email address",
    "invalid": "Enter an email address in the correct format, like name@example.org",
}


class ListChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class SubscribeForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Your name")
    email = forms.EmailField(
        max_length=254,
        label="Email address",
        error_messages=EMAIL_ERRORS,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    organisation = forms.CharField(
        max_length=200,
        required=False,
        label="Organisation",
        help_text="For example, the council or trust you work for.",
    )
    lists = ListChoiceField(
        queryset=MailingList.objects.none(),
        label="Which lists?",
        error_messages={"required": "Choose at least one list"},
    )

    def __init__(self, *args, lists: list[MailingList], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"
        self.fields["lists"].queryset = MailingList.objects.filter(pk__in=[ml.pk for ml in lists])
        if len(lists) <= 1:
            # One list: nothing to choose, so no question on the page.
            self.fields["lists"].widget = forms.MultipleHiddenInput()
            self.fields["lists"].required = False
        if lists and not self.is_bound:
            self.initial.setdefault("lists", [lists[0].pk])
        self._lists = lists

    def clean_lists(self):
        chosen = self.cleaned_data.get("lists")
        if not chosen and len(self._lists) == 1:
            return [self._lists[0]]
        return list(chosen or [])


class PreferencesForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Your name")
    organisation = forms.CharField(max_length=200, required=False, label="Organisation")
    lists = ListChoiceField(
        queryset=MailingList.objects.none(),
        required=False,
        label="Send me",
        help_text="Untick a list to stop receiving it.",
    )

    def __init__(self, *args, lists: list[MailingList], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lists"].queryset = MailingList.objects.filter(pk__in=[ml.pk for ml in lists])


class MailingListForm(forms.Form):
    name = forms.CharField(max_length=200, error_messages={"required": "Name the list"})
    slug = forms.SlugField(
        max_length=100,
        label="Short name",
        help_text="Letters, numbers and hyphens, used in the list's headers, like regional-update.",
        error_messages={
            "required": "Give the list a short name",
            "invalid": "Use only letters, numbers and hyphens in the short name",
        },
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    public = forms.BooleanField(
        required=False, label="Offer this list on the public subscribe form"
    )


class SubscriberAddForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="Email address",
        error_messages={
            "required": "Enter the email address",
            "invalid": EMAIL_ERRORS["invalid"],
        },
    )
    name = forms.CharField(max_length=200, required=False)
    organisation = forms.CharField(max_length=200, required=False)
    consent_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Consent note",
        help_text="How and when they agreed to receive the list, like ‘Asked to join at the "
        "DCS Network meeting, 4 July 2024’.",
        error_messages={"required": "Say how and when this person agreed to receive the list"},
    )


class SuppressionForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="Email address",
        error_messages={
            "required": "Enter the email address",
            "invalid": EMAIL_ERRORS["invalid"],
        },
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it must not be sent to, like ‘Asked by phone never to be emailed’.",
        error_messages={"required": "Say why this address must not be sent to"},
    )
    reason = forms.ChoiceField(
        choices=[
            (Suppression.Reason.MANUAL, Suppression.Reason.MANUAL.label),
            (Suppression.Reason.COMPLAINT, Suppression.Reason.COMPLAINT.label),
            (Suppression.Reason.BOUNCED, Suppression.Reason.BOUNCED.label),
        ],
        initial=Suppression.Reason.MANUAL,
        widget=forms.RadioSelect,
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        required=False,
        help_text="Columns: email, name, organisation, consent note. The first line names them.",
    )
    carried = forms.CharField(widget=forms.HiddenInput, required=False)


class SuppressionRemoveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why",
        help_text="Kept in the change history, like ‘Asked to receive the Update again, "
        "5 May 2025’.",
        error_messages={"required": "Say why this address may be sent to again"},
    )
