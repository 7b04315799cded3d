from django.contrib import admin

from .models import Appointment, Delivery, HandoverNote, Organisation, Person, Post


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_member"]
    list_filter = ["kind", "is_member"]
    search_fields = ["name", "short_name"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "email"]
    search_fields = ["name", "email"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "category", "max_holders"]
    list_filter = ["category"]
    search_fields = ["title", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["person", "post", "start", "end", "basis"]
    list_select_related = ["person", "post__organisation"]
    autocomplete_fields = ["person", "post", "on_behalf_of"]
    date_hierarchy = "start"


admin.site.register(Delivery)
admin.site.register(HandoverNote)
