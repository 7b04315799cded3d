"""Form pieces every app shares."""

from django import forms
from django.conf import settings

# A text box rather than type=date: browsers show their own format for type=date and cannot
# show back an impossible date a person typed. Any of settings.DATE_INPUT_FORMATS is accepted
# (the en-GB locale's own list would refuse "1 July 2024").
DATE_WIDGET = forms.DateInput(attrs={"autocomplete": "off"}, format="%d/%m/%Y")


def date_field(label: str, required: bool = True, help_text: str = "") -> forms.DateField:
    """A date field with the region's formats and messages that name the field."""
    return forms.DateField(
        label=label,
        input_formats=settings.DATE_INPUT_FORMATS,
        required=required,
        widget=DATE_WIDGET,
        help_text=help_text or "For example, 1/7/2024 or 1 July 2024",
        error_messages={
            "required": f"Enter the {label.lower()}",
            "invalid": f"Enter the {label.lower()} as a real date, for example 1/7/2024",
        },
    )
