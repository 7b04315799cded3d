from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "regionhub.core"
    label = "core"
    verbose_name = "Core"
