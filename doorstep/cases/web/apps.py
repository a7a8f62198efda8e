from django.apps import AppConfig


class CasesWebConfig(AppConfig):
    """The case pages (desk) and JSON API for residents, handlers and dispatchers."""

    name = "doorstep.cases.web"
    label = "cases_web"
    verbose_name = "工单办理"
