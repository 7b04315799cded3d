from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reference_data(sender, using, **kwargs):
    # `flush` (run between transactional tests) empties the tables the data migration filled.
    from .models import Framework, JudgementArea
    from .reference import ensure_reference_data

    if JudgementArea.objects.using(using).exists():
        return
    ensure_reference_data(JudgementArea, Framework)


class InspectionsConfig(AppConfig):
    name = "regionhub.inspections"
    label = "inspections"
    verbose_name = "Inspections"

    def ready(self):
        post_migrate.connect(_reference_data, sender=self)
