from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "regionhub.newsletter"
    label = "newsletter"
    verbose_name = "Regional Update"
