from django.apps import AppConfig


class NearbyConfig(AppConfig):
    """Pages for places and time at the doorstep: activities now; sites, rooms and the
    15-minute circle as they arrive."""

    name = "doorstep.nearby"
    label = "nearby"
    verbose_name = "家门口生活圈"
