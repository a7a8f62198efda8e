from django.apps import AppConfig


class Open311Config(AppConfig):
    """Open311 GeoReport v2 over the cases (/open311/v2/…)."""

    name = "doorstep.cases.open311"
    label = "open311"
    verbose_name = "Open311接口"
