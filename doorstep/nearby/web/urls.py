from django.urls import path

from . import views_activities, views_circle, views_circle_runs, views_rooms, views_sites

app_name = "nearby"
urlpatterns = [
    path("circle/", views_circle.circle, name="circle"),
    path("circle/recompute/", views_circle_runs.recompute, name="circle_recompute"),
    path("activities/", views_activities.activity_calendar, name="activities"),
    path("activities/new/", views_activities.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views_activities.activity_detail, name="activity"),
    path("activities/<int:pk>/sign-up/", views_activities.activity_signup, name="activity_signup"),
    path("activities/<int:pk>/cancel/", views_activities.activity_cancel, name="activity_cancel"),
    path(
        "activities/<int:pk>/capacity/",
        views_activities.activity_capacity,
        name="activity_capacity",
    ),
    path(
        "activities/<int:pk>/call-off/",
        views_activities.activity_call_off,
        name="activity_call_off",
    ),
    path(
        "activities/<int:pk>/check-in/",
        views_activities.activity_check_in,
        name="activity_check_in",
    ),
    path("sites/", views_sites.site_list, name="sites"),
    path("sites/<int:pk>/", views_sites.site_detail, name="site"),
    path("sites/<int:pk>/book/", views_rooms.book, name="site_book"),
    path("nearest/", views_sites.nearest, name="nearest"),
    path("bookings/", views_rooms.booking_queue, name="bookings"),
    path("bookings/mine/", views_rooms.bookings_mine, name="bookings_mine"),
    path("bookings/<int:pk>/cancel/", views_rooms.booking_cancel, name="booking_cancel"),
    path("bookings/<int:pk>/check-in/", views_rooms.booking_check_in, name="booking_check_in"),
    path("bookings/<int:pk>/approve/", views_rooms.booking_approve, name="booking_approve"),
    path("bookings/<int:pk>/decline/", views_rooms.booking_decline, name="booking_decline"),
]
