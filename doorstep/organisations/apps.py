from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "doorstep.organisations"
    label = "organisations"
    verbose_name = "组织"
