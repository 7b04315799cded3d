from django import forms
from django.contrib.auth.forms import AuthenticationForm

from regionhub.directory.models import Organisation

from .models import User


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"required": "Enter your email address"},
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password"},
    )

    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "This account has been switched off. Ask the Regional Team.",
    }


class UserForm(forms.Form):
    """An account as a regional admin sees it: who, what role, which authorities."""

    name = forms.CharField(max_length=200, error_messages={"required": "Enter their name"})
    email = forms.EmailField(
        label="Email address",
        help_text="They sign in with it; the invitation goes to it.",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address like name@council.gov.uk",
        },
    )
    role = forms.ChoiceField(
        choices=User.Role.choices,
        widget=forms.RadioSelect,
        initial=User.Role.MEMBER,
        help_text="Members book and apply for themselves; coordinators manage their "
        "authorities' people and places; regional admins manage everything.",
        error_messages={"required": "Choose a role"},
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        help_text="Where they work.",
    )
    coordinated_authorities = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Authorities they coordinate",
        help_text="For coordinators only.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["coordinated_authorities"].queryset = Organisation.objects.filter(
            is_member=True
        ).order_by("name")
