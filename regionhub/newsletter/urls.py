from django.urls import path

from . import feeds, views

app_name = "newsletter"

urlpatterns = [
    path("", views.archive, name="archive"),
    path("feed/", feeds.IssuesFeed(), name="feed"),
    path("<int:year>/<int:month>/", views.issue_detail, name="issue-detail"),
    path("<int:year>/<int:month>/comment/", views.comment_create, name="comment-create"),
    path("manage/", views.manage_list, name="manage"),
    path("manage/new/", views.issue_create, name="issue-create"),
    path("manage/comments/", views.comment_queue, name="comment-queue"),
    path("manage/comments/<int:comment_pk>/", views.comment_moderate, name="comment-moderate"),
    path("manage/import/", views.import_updates, name="import"),
    path("manage/<int:pk>/", views.issue_manage, name="issue-manage"),
    path("manage/<int:pk>/edit/", views.issue_edit, name="issue-edit"),
    path("manage/<int:pk>/preview/", views.issue_preview, name="issue-preview"),
    path("manage/<int:pk>/draft/", views.issue_draft, name="issue-draft"),
    path("manage/<int:pk>/approve/", views.issue_approve, name="issue-approve"),
    path("manage/<int:pk>/publish/", views.issue_publish, name="issue-publish"),
    path("manage/<int:pk>/schedule/", views.issue_schedule, name="issue-schedule"),
    path("manage/<int:pk>/delete/", views.issue_delete, name="issue-delete"),
    path("manage/<int:pk>/sections/new/", views.section_create, name="section-create"),
    path(
        "manage/<int:pk>/sections/<int:section_pk>/edit/", views.section_edit, name="section-edit"
    ),
    path(
        "manage/<int:pk>/sections/<int:section_pk>/delete/",
        views.section_delete,
        name="section-delete",
    ),
    path(
        "manage/<int:pk>/sections/<int:section_pk>/move/", views.section_move, name="section-move"
    ),
]
