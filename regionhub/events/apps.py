from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "regionhub.events"
    label = "events"
    verbose_name = "Events"
