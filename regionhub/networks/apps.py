from django.apps import AppConfig

CACHE_NAMESPACE = "networks"


def networks_changed(**kwargs) -> None:
    from regionhub.core.pagecache import data_changed

    data_changed(CACHE_NAMESPACE)


class NetworksConfig(AppConfig):
    name = "regionhub.networks"
    label = "networks"
    verbose_name = "Networks"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import models

        # The engagement tables are cached until networks data changes. A signal catches every
        # write path (services, the back office, the shell), so none can leave a stale table.
        for model in (
            models.Group,
            models.GroupAuthority,
            models.Meeting,
            models.Attendance,
            models.Decision,
            models.Action,
        ):
            post_save.connect(networks_changed, sender=model)
            post_delete.connect(networks_changed, sender=model)
        m2m_changed.connect(networks_changed, sender=models.Group.members.through)
