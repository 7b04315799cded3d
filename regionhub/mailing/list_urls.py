"""Subscribe, confirm, unsubscribe, preferences; lists, subscribers and imports for admins."""

from django.urls import path

from . import views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/check-your-email/", views.subscribe_sent, name="subscribe-sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path(
        "preferences/<str:token>/everything/",
        views.preferences_unsubscribe_all,
        name="preferences-unsubscribe-all",
    ),
    path("preview/<int:issue_pk>/", views.issue_email_preview, name="issue-email-preview"),
    path("lists/", views.list_index, name="lists"),
    path("lists/new/", views.list_create, name="list-create"),
    path("lists/<int:pk>/", views.list_detail, name="list-detail"),
    path("lists/<int:pk>/edit/", views.list_edit, name="list-edit"),
    path("lists/<int:pk>/add/", views.subscriber_add, name="subscriber-add"),
    path("lists/<int:pk>/import/", views.list_import, name="list-import"),
    path(
        "lists/<int:pk>/subscriptions/<int:subscription_pk>/remove/",
        views.subscription_remove,
        name="subscription-remove",
    ),
    path("suppression/", views.suppression_list, name="suppressions"),
    path("suppression/add/", views.suppression_add, name="suppression-add"),
    path("suppression/<int:pk>/remove/", views.suppression_remove, name="suppression-remove"),
]
