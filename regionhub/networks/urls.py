from django.urls import path

from . import views

app_name = "networks"

urlpatterns = [
    path("", views.group_list, name="group-list"),
    path("groups/new/", views.group_create, name="group-create"),
    path("groups/<int:pk>/", views.group_detail, name="group-detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group-edit"),
    path("groups/<int:pk>/meetings/new/", views.meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/attendance/", views.attendance_edit, name="attendance-edit"),
    path("meetings/<int:pk>/decisions/new/", views.decision_add, name="decision-add"),
    path("meetings/<int:pk>/actions/new/", views.action_add, name="action-add"),
    path("actions/<int:pk>/", views.action_edit, name="action-edit"),
    path("actions/overdue/", views.overdue_actions, name="action-overdue"),
    path("engagement/", views.engagement_regional, name="engagement"),
    path("engagement/email/", views.engagement_email, name="engagement-email"),
    path(
        "engagement/authorities/<int:pk>/",
        views.engagement_authority,
        name="engagement-authority",
    ),
]
