from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The case desk: pages and JSON API for residents, handlers and dispatchers."""

    name = "doorstep.desk"
    label = "desk"
    verbose_name = "工单办理"
