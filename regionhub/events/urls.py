from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("overview/", views.event_overview, name="event-overview"),
    path("new/", views.event_create, name="event-create"),
    path("fill.<slug:fmt>", views.fill_export, name="fill-export"),
    path("calendar/<str:token>.ics", views.person_feed, name="person-feed"),
    path("<int:pk>/", views.event_detail, name="event-detail"),
    path("<int:pk>/edit/", views.event_edit, name="event-edit"),
    path("<int:pk>/allocations/", views.allocations_edit, name="allocations-edit"),
    path("<int:pk>/publish/", views.event_publish, name="event-publish"),
    path("<int:pk>/cancel/", views.event_cancel, name="event-cancel"),
    path("<int:pk>/release/", views.event_release, name="event-release"),
    path("<int:pk>/calendar.ics", views.event_ics, name="event-ics"),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/attendees.<slug:fmt>", views.attendees_export, name="attendees-export"),
    path("<int:pk>/feedback/", views.feedback_give, name="feedback-give"),
    path("<int:pk>/feedback/questions/", views.feedback_questions, name="feedback-questions"),
    path(
        "<int:pk>/feedback/questions/<int:question_pk>/delete/",
        views.feedback_question_delete,
        name="feedback-question-delete",
    ),
    path("<int:pk>/feedback/results/", views.feedback_results, name="feedback-results"),
    path("<int:pk>/book/", views.booking_create, name="booking-create"),
    path("<int:pk>/places/<int:authority_pk>/", views.authority_places, name="authority-places"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking-cancel"),
    path("bookings/<int:pk>/accept/", views.booking_accept, name="booking-accept"),
    path("bookings/<int:pk>/name/", views.reservation_name, name="reservation-name"),
    path("bookings/<int:pk>/swap/", views.booking_swap, name="booking-swap"),
]
