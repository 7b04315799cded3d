from django.apps import AppConfig


def directory_changed(**kwargs) -> None:
    from regionhub.core.pagecache import data_changed

    data_changed("directory")


class DirectoryConfig(AppConfig):
    name = "regionhub.directory"
    label = "directory"
    verbose_name = "Directory"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import models

        # Pages are cached for anonymous readers until the directory changes. A signal catches
        # every write path (services, the back office, imports), so none can leave a stale page.
        for model in (
            models.Organisation,
            models.Person,
            models.Post,
            models.Appointment,
            models.Delivery,
            models.HandoverNote,
        ):
            post_save.connect(directory_changed, sender=model)
            post_delete.connect(directory_changed, sender=model)
