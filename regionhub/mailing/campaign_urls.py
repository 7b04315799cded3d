"""Campaigns: send a published issue to a list, watch its progress, pause, resume, cancel."""

from django.urls import path

from . import campaign_views as views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/progress/", views.campaign_progress, name="campaign-progress"),
    path("campaigns/<int:pk>/recipients/", views.campaign_recipients, name="campaign-recipients"),
    path("campaigns/<int:pk>/start/", views.campaign_start, name="campaign-start"),
    path("campaigns/<int:pk>/pause/", views.campaign_pause, name="campaign-pause"),
    path("campaigns/<int:pk>/resume/", views.campaign_resume, name="campaign-resume"),
    path("campaigns/<int:pk>/cancel/", views.campaign_cancel, name="campaign-cancel"),
    path(
        "campaigns/<int:pk>/resend-failed/",
        views.campaign_resend_failed,
        name="campaign-resend-failed",
    ),
]
