"""Input validation for the networks pages; business rules live in services."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from regionhub.core.forms import date_field
from regionhub.directory.models import Organisation, Person, Post

from .models import Action, Attendance, Group, Seniority
from .selectors import member_authorities, posts_for_choice


class PostChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Post) -> str:
        return str(obj)


class GroupForm(forms.Form):
    """The group's details, plus one expected-seniority choice per member authority."""

    name = forms.CharField(max_length=200, error_messages={"required": "Enter the group's name"})
    kind = forms.ChoiceField(
        label="Kind of group",
        choices=[("", "Choose a kind"), *Group.Kind.choices],
        error_messages={"required": "Choose the kind of group"},
    )
    parent = forms.ModelChoiceField(
        label="Reports to", queryset=Group.objects.order_by("name"), required=False
    )
    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    terms_of_reference = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    chair_post = PostChoiceField(
        label="Chair post",
        queryset=Post.objects.none(),
        required=False,
        help_text="The directory post whose holders chair the group",
    )
    sponsor_post = PostChoiceField(
        label="Sponsor post", queryset=Post.objects.none(), required=False
    )
    closed = date_field("Closed on", required=False, help_text="Only if the group has ended")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        posts = posts_for_choice()
        self.fields["chair_post"].queryset = posts
        self.fields["sponsor_post"].queryset = posts
        self.authorities = list(member_authorities())
        choices = [("", "Not a member"), *Seniority.choices]
        for authority in self.authorities:
            self.fields[f"authority_{authority.pk}"] = forms.TypedChoiceField(
                label=authority.short_name or authority.name,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
            )

    def detail_fields(self):
        return [self[n] for n in self.fields if not n.startswith("authority_")]

    def authority_fields(self):
        return [self[f"authority_{a.pk}"] for a in self.authorities]

    def chosen_authorities(self) -> dict[Organisation, int]:
        return {
            a: self.cleaned_data[f"authority_{a.pk}"]
            for a in self.authorities
            if self.cleaned_data.get(f"authority_{a.pk}")
        }

    def group_data(self) -> dict:
        return {n: v for n, v in self.cleaned_data.items() if not n.startswith("authority_")}

    @classmethod
    def initial_for(cls, group: Group) -> dict:
        initial = {
            "name": group.name,
            "kind": group.kind,
            "parent": group.parent_id,
            "purpose": group.purpose,
            "terms_of_reference": group.terms_of_reference,
            "chair_post": group.chair_post_id,
            "sponsor_post": group.sponsor_post_id,
            "closed": group.closed,
        }
        for authority_id, expected in group.authorities.values_list("authority_id", "expected"):
            initial[f"authority_{authority_id}"] = expected
        return initial


class MeetingForm(forms.Form):
    date = date_field("Date of the meeting")
    place = forms.CharField(max_length=200, required=False, help_text="Where, if in person")
    online_url = forms.URLField(
        label="Online link",
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter the online link as a web address"},
    )
    agenda_url = forms.URLField(
        label="Agenda (link)",
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter the agenda link as a web address"},
    )
    papers_url = forms.URLField(
        label="Papers (link)",
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter the papers link as a web address"},
    )
    minutes = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return obj.name


class AttendanceForm(forms.Form):
    """One authority's row on the attendance page (prefixed by the authority's id)."""

    status = forms.ChoiceField(
        label="Attendance",
        choices=[("", "Not recorded"), *Attendance.Status.choices],
        required=False,
    )
    person = PersonChoiceField(
        label="Who", queryset=Person.objects.none(), required=False, empty_label="Nobody named"
    )

    def __init__(self, *args, authority: Organisation, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.authority = authority
        self.fields["person"].queryset = people
        name = authority.short_name or authority.name
        self.fields["status"].label = f"{name}: attendance"
        self.fields["person"].label = f"{name}: who"

    def clean(self):
        data = super().clean()
        if data.get("status") in Attendance.ATTENDED and not data.get("person"):
            self.add_error("person", "Choose who attended")
        return data


class DecisionForm(forms.Form):
    text = forms.CharField(
        label="Decision",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the decision"},
    )


class ActionForm(forms.Form):
    description = forms.CharField(
        label="Action",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter what is to be done"},
    )
    # Chosen from a search's results (pickers.owner_search), never from a list of everyone:
    # the template renders the radios, the field only checks the id sent back.
    owner = forms.ModelChoiceField(
        label="Owner",
        queryset=Person.objects.all(),
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose who owns the action",
            "invalid_choice": "Choose the owner from the list: search by name or email",
        },
    )
    due = date_field("Due date")

    @classmethod
    def typed(cls, data) -> dict:
        """What was typed into each field, as initial values: the form comes back after a
        search for the owner with everything kept and no errors shown yet."""
        return {name: data[name] for name in cls.base_fields if name in data}


class ActionEditForm(ActionForm):
    status = forms.ChoiceField(choices=Action.Status.choices)


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(
        label="Period",
        choices=[
            ("quarter", "Quarter"),
            ("year", "Financial year (April to March)"),
            ("custom", "Between two dates"),
        ],
        required=False,
    )
    on = date_field("Containing the date", required=False, help_text="For a quarter or a year")
    start = date_field("From", required=False, help_text="For a period between two dates")
    end = date_field("To", required=False, help_text="For a period between two dates")

    def clean(self):
        data = super().clean()
        if data.get("kind") == "custom":
            if not data.get("start"):
                self.add_error("start", "Enter the first day of the period")
            if not data.get("end"):
                self.add_error("end", "Enter the last day of the period")
            if data.get("start") and data.get("end") and data["end"] < data["start"]:
                self.add_error("end", "The last day must be on or after the first day")
        return data


class GroupedSelect(forms.Select):
    """A select of options under headings, written out in Python from `groups`
    ([(heading, [(value, label), ...]), ...]): the network list has over a hundred options, and
    Django's choice machinery and widget templates take milliseconds to go through them."""

    groups: list[tuple[str, list[tuple[int, str]]]] = []

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = "" if value is None else str(value)

        def option(key, label):
            key = str(key)
            return format_html(
                '<option value="{}"{}>{}</option>',
                key,
                mark_safe(" selected") if key == selected else "",
                label,
            )

        parts = [
            format_html(
                '<optgroup label="{}">{}</optgroup>',
                heading,
                format_html_join("", "{}", ((option(k, v),) for k, v in options)),
            )
            for heading, options in self.groups
        ]
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe("".join(parts)))


class RegionalEngagementForm(PeriodForm):
    """The period, and the network whose groups the regional view shows."""

    network = forms.IntegerField(
        label="Network",
        required=False,
        widget=GroupedSelect,
        help_text="The network and the groups that report to it",
        error_messages={"invalid": "Choose a network from the list"},
    )

    field_order = ["network", "kind", "on", "start", "end"]

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].widget.groups = [
            (root.name, [(s.pk, s.name) for s in in_tree]) for root, in_tree in scopes
        ]
        self.scope_ids = {s.pk for _, in_tree in scopes for s in in_tree}

    def clean_network(self):
        network = self.cleaned_data.get("network")
        if network is not None and network not in self.scope_ids:
            raise forms.ValidationError("Choose a network from the list", code="invalid_choice")
        return network
