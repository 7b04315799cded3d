from django.apps import AppConfig

# Cached programme pages and fragments are keyed by this namespace's data version.
NAMESPACE = "programmes"


def programmes_changed(**kwargs) -> None:
    from regionhub.core.pagecache import data_changed

    data_changed(NAMESPACE)


class ProgrammesConfig(AppConfig):
    name = "regionhub.programmes"
    label = "programmes"
    verbose_name = "Programmes"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import models

        # The programme list, the cohort page's places and the savings report are cached until
        # these change. A signal catches every write path (services, the back office, the
        # generator's deletes), so none can leave a stale table; bulk writes that bypass
        # signals call programmes_changed() themselves.
        for model in (
            models.Programme,
            models.Cohort,
            models.CohortPlaces,
            models.Interest,
            models.Application,
            models.AwardRound,
            models.AwardNomination,
        ):
            post_save.connect(programmes_changed, sender=model, dispatch_uid=f"pc-{model.__name__}")
            post_delete.connect(
                programmes_changed, sender=model, dispatch_uid=f"pd-{model.__name__}"
            )
