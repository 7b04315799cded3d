from django.apps import AppConfig


class PlanConfig(AppConfig):
    name = "regionhub.plan"
    label = "plan"
    verbose_name = "Regional priority plan"
