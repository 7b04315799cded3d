from django import forms

from .importing import ImportFileError, Sheet, read_sheet


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Upload a spreadsheet",
        help_text="A CSV or Excel (.xlsx) file of up to 5 MB and 10,000 rows, "
        "one appointment per row.",
        # An empty file gets the import's own message rather than Django's.
        allow_empty_file=True,
        widget=forms.FileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        error_messages={"required": "Choose a CSV or Excel file to upload."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sheet = Sheet(rows=[])

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        try:
            self.sheet = read_sheet(uploaded)
        except ImportFileError as exc:
            # Browsers forget a chosen file when the page comes back with an error.
            raise forms.ValidationError(
                f"{exc.message} Correct the file, then choose it again.", code="bad_file"
            ) from exc
        return uploaded
