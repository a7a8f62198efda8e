from django.apps import AppConfig


class ServiceWebConfig(AppConfig):
    """Pages for people who serve: me, teams and posts, hours, points, honours, certificates."""

    name = "doorstep.service.web"
    label = "service_web"
    verbose_name = "志愿服务页面"
