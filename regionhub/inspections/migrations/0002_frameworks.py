"""The judgement areas and frameworks Ofsted has used, so inspections can be recorded at once."""

from django.db import migrations

from regionhub.inspections.reference import ensure_reference_data


def add(apps, schema_editor):
    ensure_reference_data(
        apps.get_model("inspections", "JudgementArea"), apps.get_model("inspections", "Framework")
    )


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
