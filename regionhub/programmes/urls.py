from django.urls import path

from . import awards_views, mentoring_views, views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="programme-list"),
    path("add/", views.programme_create, name="programme-create"),
    path("savings/", views.savings_report, name="savings-report"),
    path("<int:pk>/", views.programme_detail, name="programme-detail"),
    path("<int:pk>/edit/", views.programme_edit, name="programme-edit"),
    path("<int:pk>/demand/", views.programme_demand, name="programme-demand"),
    path("<int:pk>/cohorts/add/", views.cohort_create, name="cohort-create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort-detail"),
    path("cohorts/<int:pk>/edit/", views.cohort_edit, name="cohort-edit"),
    path("cohorts/<int:pk>/nominate/", views.cohort_nominate, name="cohort-nominate"),
    path(
        "applications/<int:pk>/<slug:action>/",
        views.application_action,
        name="application-action",
    ),
    path("awards/", awards_views.award_list, name="award-list"),
    path("awards/nominate/", awards_views.award_nominate, name="award-nominate"),
    path("awards/<int:pk>/status/", awards_views.award_status, name="award-status"),
    path("awards/<int:year>/ceremony/", awards_views.award_ceremony, name="award-ceremony"),
    path("mentoring/", mentoring_views.scheme_home, name="mentoring-home"),
    path("mentoring/<int:pk>/", mentoring_views.scheme_detail, name="mentoring-scheme"),
    path("mentoring/<int:pk>/apply/", mentoring_views.mentee_apply, name="mentoring-apply"),
    path("mentoring/<int:pk>/offer/", mentoring_views.mentor_offer, name="mentoring-offer"),
    path(
        "mentoring/applications/<int:pk>/",
        mentoring_views.mentee_detail,
        name="mentoring-application",
    ),
    path(
        "mentoring/applications/<int:pk>/match/",
        mentoring_views.mentee_match,
        name="mentoring-match",
    ),
    path(
        "mentoring/endorse/<str:token>/",
        mentoring_views.endorsement,
        name="mentoring-endorse",
    ),
]
