from django.apps import AppConfig


class NetworksConfig(AppConfig):
    name = "regionhub.networks"
    label = "networks"
    verbose_name = "Networks"
