"""Input validation for the inspection pages; business rules live in services."""

import datetime

from django import forms

from regionhub.core.forms import date_field
from regionhub.directory.models import Organisation

from .importing import ImportFileError, Sheet, read_inspection_sheet
from .models import GRADES_BY_SCALE, Framework, Grade, Inspection, JudgementArea

AREA_HINTS = {
    "in_care_and_leavers": "One judgement for inspections that started before January 2023.",
    "in_care": "A separate judgement for inspections from January 2023.",
    "care_leavers": "A separate judgement for inspections from January 2023.",
    "priority_action": "For a focused visit.",
    "send_outcome": "For an area SEND inspection from January 2023.",
}


class AsAtForm(forms.Form):
    date = date_field(
        "As at", help_text="Inspections count from the day their report was published"
    )


class PublishedForm(forms.Form):
    start = date_field("Published from")
    end = date_field("Published to")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The ‘to’ date must be on or after the ‘from’ date")
        return data


class AuthorityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.short_name or obj.name


class InspectionForm(forms.Form):
    authority = AuthorityChoiceField(
        queryset=Organisation.objects.filter(
            kind__in=[Organisation.Kind.COUNCIL, Organisation.Kind.TRUST]
        ).order_by("name"),
        error_messages={"required": "Choose the authority that was inspected"},
    )
    type = forms.ChoiceField(
        label="Type of inspection",
        choices=[("", "Choose a type"), *Inspection.Type.choices],
        error_messages={"required": "Choose the type of inspection"},
    )
    start = date_field("First day on site")
    end = date_field("Last day on site")
    published = date_field(
        "Publication date",
        required=False,
        help_text="The day the report was published; it counts towards the ambition from then. "
        "For example, 12/7/2024",
    )
    report_url = forms.URLField(
        label="Link to the published report",
        required=False,
        assume_scheme="https",
        max_length=500,
        error_messages={
            "invalid": "Enter the link as a full address, like https://reports.ofsted.gov.uk/…"
        },
    )
    theme = forms.CharField(
        label="Theme (JTAI only)",
        required=False,
        max_length=200,
        help_text="For example, serious youth violence",
    )
    framework = forms.ModelChoiceField(
        label="Framework",
        queryset=Framework.objects.order_by("family", "valid_from"),
        required=False,
        empty_label="The one in force on the first day",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = list(JudgementArea.objects.order_by("position"))
        for area in self.areas:
            choices = [("", "Not judged")] + [
                (g, Grade(g).label) for g in GRADES_BY_SCALE[area.scale]
            ]
            self.fields[f"judgement_{area.code}"] = forms.ChoiceField(
                label=area.name,
                choices=choices,
                required=False,
                help_text=AREA_HINTS.get(area.code, ""),
            )

    @classmethod
    def initial_for(cls, inspection: Inspection) -> dict:
        initial = {
            name: getattr(inspection, name)
            for name in [
                "authority",
                "type",
                "start",
                "end",
                "published",
                "report_url",
                "theme",
                "framework",
            ]
        }
        for judgement in inspection.judgements.select_related("area"):
            initial[f"judgement_{judgement.area.code}"] = judgement.grade
        return initial

    def inspection_fields(self):
        return [self[name] for name in self.fields if not name.startswith("judgement_")]

    def judgement_fields(self):
        return [self[name] for name in self.fields if name.startswith("judgement_")]

    def data_and_judgements(self) -> tuple[dict, dict[str, str]]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("judgement_")}
        judgements = {
            k.removeprefix("judgement_"): v
            for k, v in self.cleaned_data.items()
            if k.startswith("judgement_") and v
        }
        if data.get("framework") is None:
            data.pop("framework", None)
        return data, judgements


class AmbitionForm(forms.Form):
    count = forms.IntegerField(
        label="Number of member authorities Good or better",
        required=False,
        min_value=1,
        max_value=999,
        help_text="For example, 11 (of 14)",
        error_messages={"invalid": "Enter the number of authorities as a whole number, like 11"},
    )
    percentage = forms.IntegerField(
        label="Or a percentage of member authorities",
        required=False,
        min_value=1,
        max_value=100,
        help_text="For example, 80. Leave empty if you gave a number",
        error_messages={"invalid": "Enter the percentage as a whole number, like 80"},
    )
    statement = forms.CharField(
        label="How the region puts it",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if "count" in data and "percentage" in data:
            if data["count"] is None and data["percentage"] is None:
                self.add_error("count", "Enter a number of authorities or a percentage")
            elif data["count"] is not None and data["percentage"] is not None:
                self.add_error(
                    "percentage", "Enter a number of authorities or a percentage, not both"
                )
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Upload a spreadsheet",
        help_text="A CSV or Excel (.xlsx) file of up to 5 MB, one inspection per row",
        allow_empty_file=True,
        widget=forms.FileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        error_messages={"required": "Choose a CSV or Excel file to upload"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sheet = Sheet(rows=[])

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        try:
            self.sheet = read_inspection_sheet(uploaded)
        except ImportFileError as exc:
            raise forms.ValidationError(
                f"{exc.message} Correct the file, then choose it again.", code="bad_file"
            ) from exc
        return uploaded


def default_published_range(today: datetime.date) -> dict[str, datetime.date]:
    start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return {"start": start, "end": today}
