from django.contrib import admin

from .models import Cohort, CohortPlaces, MentoringScheme, Programme


class CohortPlacesInline(admin.TabularInline):
    model = CohortPlaces
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["title", "provider", "regional_price", "direct_price"]
    search_fields = ["title"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["__str__", "starts", "places", "deadline", "rule"]
    inlines = [CohortPlacesInline]


@admin.register(MentoringScheme)
class MentoringSchemeAdmin(admin.ModelAdmin):
    """Where the Regional Team names a scheme's coordinators. Applications are deliberately not
    registered here: the back office must not become a way round their confidentiality."""

    list_display = ["name", "is_open"]
    filter_horizontal = ["coordinators"]
