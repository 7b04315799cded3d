from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "regionhub.programmes"
    label = "programmes"
    verbose_name = "Programmes"
