from django.apps import AppConfig


class MailingConfig(AppConfig):
    name = "regionhub.mailing"
    label = "mailing"
    verbose_name = "Mailing lists"
