from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "doorstep.atlas.places"
    label = "places"
    verbose_name = "房屋与场所"
