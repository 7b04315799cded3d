from django.urls import path

from . import views

app_name = "plan"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("initiatives/new/", views.initiative_create, name="initiative-create"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative-detail"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative-edit"),
    path("initiatives/<int:pk>/milestones/new/", views.milestone_add, name="milestone-add"),
    path("milestones/<int:pk>/", views.milestone_edit, name="milestone-edit"),
    path("initiatives/<int:pk>/updates/new/", views.status_update_add, name="update-add"),
]
