from django.urls import path

from . import views_activities

app_name = "nearby"
urlpatterns = [
    path("activities/", views_activities.activity_calendar, name="activities"),
    path("activities/new/", views_activities.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views_activities.activity_detail, name="activity"),
    path("activities/<int:pk>/sign-up/", views_activities.activity_signup, name="activity_signup"),
    path("activities/<int:pk>/cancel/", views_activities.activity_cancel, name="activity_cancel"),
    path(
        "activities/<int:pk>/check-in/",
        views_activities.activity_check_in,
        name="activity_check_in",
    ),
]
