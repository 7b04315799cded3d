from django.apps import AppConfig

CACHE_NAMESPACE = "plan"


def plan_changed(**kwargs) -> None:
    from regionhub.core.pagecache import data_changed

    data_changed(CACHE_NAMESPACE)


class PlanConfig(AppConfig):
    name = "regionhub.plan"
    label = "plan"
    verbose_name = "Regional priority plan"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import models

        # The plan overview is cached until the plan changes; signals catch every write path.
        for model in (models.Initiative, models.Milestone, models.StatusUpdate):
            post_save.connect(plan_changed, sender=model)
            post_delete.connect(plan_changed, sender=model)
