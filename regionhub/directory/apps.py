from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "regionhub.directory"
    label = "directory"
    verbose_name = "Directory"
