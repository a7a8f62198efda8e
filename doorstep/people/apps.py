from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "doorstep.people"
    label = "people"
    verbose_name = "人口与党员"
