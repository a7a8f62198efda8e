from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "doorstep.atlas.organisations"
    label = "organisations"
    verbose_name = "组织"
