"""Forms for sending: which issue to which list, how fast; the recipient log's filter."""

from django import forms

from . import campaign_selectors
from .models import Campaign, Delivery
from .sending import MAX_ERROR_THRESHOLD, MAX_RATE_PER_MINUTE


class IssueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.title


class CampaignForm(forms.Form):
    issue = IssueChoiceField(
        queryset=campaign_selectors.issues_sendable(),
        label="Issue",
        help_text="Only published issues can be sent.",
        empty_label="Choose an issue",
        error_messages={"required": "Choose the issue to send."},
    )
    mailing_list = forms.ModelChoiceField(
        queryset=campaign_selectors.mailing_lists(),
        label="Mailing list",
        empty_label="Choose a list",
        error_messages={"required": "Choose the list to send it to."},
    )
    subject = forms.CharField(
        label="Subject line",
        required=False,
        max_length=200,
        help_text="Leave blank to use the issue's title.",
    )
    rate_per_minute = forms.IntegerField(
        label="Messages a minute, at most",
        min_value=0,
        max_value=MAX_RATE_PER_MINUTE,
        initial=Campaign._meta.get_field("rate_per_minute").default,
        help_text="0 sends as fast as the mail server takes them.",
        error_messages={
            "required": "Enter how many messages a minute to send at most, or 0 for no limit.",
            "invalid": "Enter a whole number of messages a minute, like 6000.",
            "min_value": "Enter 0 or more messages a minute.",
            "max_value": f"Enter at most {MAX_RATE_PER_MINUTE:,} messages a minute.",
        },
    )
    error_threshold = forms.IntegerField(
        label="Pause after this many failures in a row",
        min_value=1,
        max_value=MAX_ERROR_THRESHOLD,
        initial=Campaign._meta.get_field("error_threshold").default,
        error_messages={
            "required": "Enter after how many failures in a row sending should pause.",
            "invalid": "Enter a whole number of failures, like 50.",
            "min_value": "Enter 1 or more failures.",
            "max_value": f"Enter at most {MAX_ERROR_THRESHOLD:,} failures.",
        },
    )


class RecipientFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Delivery.Status.choices]
    )
    q = forms.CharField(label="Email address contains", required=False, max_length=254)
