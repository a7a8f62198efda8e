from django.apps import AppConfig


class CogovWebConfig(AppConfig):
    """Pages for co-governance: needs, resources, matching."""

    name = "doorstep.cogov.web"
    label = "cogov_web"
    verbose_name = "共建共治页面"
