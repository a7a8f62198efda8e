from django.apps import AppConfig


class NearbyWebConfig(AppConfig):
    """Pages for places and time at the doorstep: sites, rooms, bookings, activities and the
    15-minute circle."""

    name = "doorstep.nearby.web"
    label = "nearby_web"
    verbose_name = "家门口生活圈"
