from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "doorstep.atlas.people"
    label = "people"
    verbose_name = "人口与党员"
