from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "regionhub.inspections"
    label = "inspections"
    verbose_name = "Inspections"
