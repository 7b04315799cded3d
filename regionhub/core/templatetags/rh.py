"""Template helpers: GOV.UK classes on form widgets and the region's way of writing dates."""

import datetime

from django import forms, template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

register = template.Library()

_CLASSES = {
    "checkbox": "govuk-checkboxes__input",
    "select": "govuk-select",
    "textarea": "govuk-textarea",
    "file": "govuk-file-upload",
    "date": "govuk-input govuk-input--width-10",
    "input": "govuk-input",
}


@register.filter
def widget_kind(bound_field) -> str:
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    if isinstance(widget, forms.DateInput):
        return "date"
    return "input"


@register.filter
def govuk_widget(bound_field):
    kind = widget_kind(bound_field)
    classes = [_CLASSES[kind]]
    if bound_field.errors and kind not in {"checkbox"}:
        classes.append(f"{_CLASSES[kind].split()[0]}--error")
    extra = bound_field.field.widget.attrs.get("class")
    if extra:
        classes.append(extra)
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.id_for_label}-hint")
    if bound_field.errors:
        described.append(f"{bound_field.id_for_label}-error")
    attrs = {"class": " ".join(classes)}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return bound_field.as_widget(attrs=attrs)


@register.filter
def long_date(value, approximate=False) -> str:
    """'22 June 2023'; with `approximate`, only the month is known: 'June 2023'."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if approximate:
        return date_format(value, "F Y")
    return date_format(value, "j F Y")


def _dated(value, approximate: bool) -> str:
    text = long_date(value, approximate)
    return f"{text} (approximately)" if approximate else text


@register.filter
def period(dated) -> str:
    """'1 June 2023 to now' for anything with start/end (and their *_approximate flags)."""
    start = _dated(dated.start, getattr(dated, "start_approximate", False))
    if dated.end is None:
        return f"{start} to now"
    return f"{start} to {_dated(dated.end, getattr(dated, 'end_approximate', False))}"


@register.filter
def basis_tag(appointment) -> str:
    """A tag for interim and acting appointments; nothing for substantive ones."""
    if appointment.basis == "substantive":
        return ""
    return format_html(
        ' <strong class="govuk-tag govuk-tag--yellow">{}</strong>', appointment.get_basis_display()
    )


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for export and paging links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""
