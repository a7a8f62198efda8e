from django.apps import AppConfig


class AtlasWebConfig(AppConfig):
    """The governance map (治理地图): pages and API over organisations, places and people."""

    name = "doorstep.atlas.web"
    label = "atlas_web"
    verbose_name = "治理地图"
