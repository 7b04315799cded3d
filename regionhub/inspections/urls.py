from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.ambition, name="ambition"),
    path("ambition/target/", views.target_edit, name="target-edit"),
    path("authorities/<int:pk>/", views.authority, name="authority"),
    path("new/", views.inspection_create, name="inspection-create"),
    path("<int:pk>/edit/", views.inspection_edit, name="inspection-edit"),
    path("<int:pk>/delete/", views.inspection_delete, name="inspection-delete"),
    path("published/", views.published, name="published"),
    path("import/", views.inspection_import, name="import"),
]
