"""The back office for the mailing lists. Lists, subscribers and suppressions can be changed
here too; day-to-day work belongs on the mailing pages, which audit every change. Campaigns and
deliveries are read-only: they change only through sending."""

from django.contrib import admin

from .models import Campaign, Delivery, MailingList, Subscriber, Subscription, Suppression


@admin.register(MailingList)
class MailingListAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "public", "created"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["mailing_list", "status", "source", "consent_note", "confirmed_at", "unsubscribed_at"]
    readonly_fields = ["confirmed_at", "unsubscribed_at"]
    autocomplete_fields = ["mailing_list"]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "organisation", "bounced_at", "created"]
    search_fields = ["email", "name", "organisation"]
    list_filter = [("bounced_at", admin.EmptyFieldListFilter)]
    inlines = [SubscriptionInline]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "subscriber",
        "mailing_list",
        "status",
        "source",
        "requested_at",
        "confirmed_at",
    ]
    list_filter = ["mailing_list", "status", "source"]
    search_fields = ["subscriber__email", "subscriber__name"]
    list_select_related = ["subscriber", "mailing_list"]
    autocomplete_fields = ["subscriber", "mailing_list"]
    readonly_fields = ["requested_at"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "created"]
    list_filter = ["reason"]
    search_fields = ["email", "note"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["issue", "mailing_list", "status", "created", "started_at", "finished_at"]
    list_filter = ["status", "mailing_list"]
    list_select_related = ["issue", "mailing_list"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["email", "issue", "status", "attempts", "sent_at", "smtp_code"]
    list_filter = ["status"]
    search_fields = ["email"]
    list_select_related = ["issue"]
    show_full_result_count = False
