from django.urls import path

from . import views, views_io

app_name = "directory"

urlpatterns = [
    path("", views.organisation_list, name="organisation-list"),
    path("organisations/new/", views.organisation_create, name="organisation-create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation-detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation-edit"),
    path("people/", views.person_list, name="person-list"),
    path("people/new/", views.person_create, name="person-create"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("people/<int:pk>/data/", views.person_data_export, name="person-data"),
    path("people/<int:pk>/erase/", views.person_erase, name="person-erase"),
    path("posts/", views.post_list, name="post-list"),
    path("posts/new/", views.post_create, name="post-create"),
    path("posts/<int:pk>/", views.post_detail, name="post-detail"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post-edit"),
    path("posts/<int:pk>/appoint/", views.appointment_create, name="appointment-create"),
    path("posts/<int:pk>/handover/", views.post_handover, name="post-handover"),
    path("posts/<int:pk>/notes/new/", views.handover_note_create, name="handover-note-create"),
    path("appointments/<int:pk>/edit/", views.appointment_edit, name="appointment-edit"),
    path("appointments/<int:pk>/end/", views.appointment_end, name="appointment-end"),
    path("as-at/", views.as_at, name="as-at"),
    path("changes/", views.changes, name="changes"),
    path("import/", views_io.directory_import, name="import"),
    path("export/<slug:listname>.<slug:fmt>", views_io.directory_export, name="export"),
]
