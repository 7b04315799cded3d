"""Input validation for the Regional Update's pages; the rules live in services."""

from django import forms
from django.db.models import Exists, OuterRef

from regionhub.directory.models import Appointment, Person, Post

from .importing import month_of

MONTH_HELP = "For example, July 2024"


class MonthField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", MONTH_HELP)
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("class", "govuk-input--width-10")

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        month = month_of(value)
        if month is None:
            raise forms.ValidationError(
                "Enter the month as a month name and year, like July 2024.", code="invalid"
            )
        return month

    def prepare_value(self, value):
        if hasattr(value, "strftime"):
            return f"{value:%B %Y}"
        return value


class IssueForm(forms.Form):
    month = MonthField(label="Month")
    title = forms.CharField(
        max_length=200, required=False, help_text="Leave empty for 'Regional Update – July 2024'."
    )
    foreword_author = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="Foreword by"
    )
    foreword_post = forms.ModelChoiceField(
        queryset=Post.objects.none(),
        required=False,
        label="Their post",
        help_text="The post they held that month.",
    )
    author_line = forms.CharField(
        max_length=300,
        required=False,
        help_text="Shown above the foreword. Leave empty to write it from the post, "
        "like 'From Shropshire's DCS'.",
    )
    foreword = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        help_text="Markdown: a blank line between paragraphs, **bold**, [links](https://…).",
    )
    sign_off = forms.CharField(
        max_length=100, required=False, help_text="For example, Kind regards"
    )
    signature = forms.CharField(
        max_length=200, required=False, help_text="Leave empty for the author's name."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        leadership = Post.objects.filter(category__in=Post.LEADERSHIP)
        holders = Appointment.objects.filter(person=OuterRef("pk"), post__in=leadership)
        self.fields["foreword_author"].queryset = Person.objects.filter(Exists(holders)).order_by(
            "name"
        )
        self.fields["foreword_post"].queryset = leadership.select_related("organisation").order_by(
            "organisation__name", "title"
        )


class SectionForm(forms.Form):
    heading = forms.CharField(max_length=300, required=False)
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
        help_text="Markdown: '- ' starts a list item, **bold**, [links](https://…). "
        "Scripts and other markup are removed.",
    )


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label="Publish at",
        help_text="Date and time, for example 2024-07-01 09:00",
        input_formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="Comments appear once the Regional Team has approved them.",
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    files = MultipleFileField(
        label="Saved Regional Update pages",
        widget=MultipleFileInput(attrs={"accept": ".txt,.html,.htm"}),
        help_text="Text (.txt) or web pages (.html) saved from the old website; choose several.",
    )


class ImportMonthForm(forms.Form):
    """One per file that needs its month; carries the file's text so it need not be uploaded
    again."""

    name = forms.CharField(widget=forms.HiddenInput, max_length=255)
    data = forms.CharField(widget=forms.HiddenInput, strip=False)
    month = MonthField(label="Month")
