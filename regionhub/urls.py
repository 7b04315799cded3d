from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "RegionHub back office"
admin.site.site_title = "RegionHub"

urlpatterns = [
    path("", include("regionhub.core.urls")),
    path("accounts/", include("regionhub.accounts.urls")),
    path("directory/", include("regionhub.directory.urls")),
    path("inspections/", include("regionhub.inspections.urls")),
    path("events/", include("regionhub.events.urls")),
    path("programmes/", include("regionhub.programmes.urls")),
    path("networks/", include("regionhub.networks.urls")),
    path("plan/", include("regionhub.plan.urls")),
    path("updates/", include("regionhub.newsletter.urls")),
    path("mailing/", include("regionhub.mailing.urls")),
    path("admin/", admin.site.urls),
]
