from django.apps import AppConfig


class AtlasConfig(AppConfig):
    """The governance map (治理地图): pages and API over organisations, places and people."""

    name = "doorstep.atlas"
    label = "atlas"
    verbose_name = "治理地图"
