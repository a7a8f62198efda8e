from django.apps import AppConfig


class ServeConfig(AppConfig):
    """Pages for people who serve: me, teams and posts, hours, points, honours, certificates."""

    name = "doorstep.serve"
    label = "serve"
    verbose_name = "志愿服务页面"
