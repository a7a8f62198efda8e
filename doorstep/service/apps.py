from django.apps import AppConfig


class ServiceConfig(AppConfig):
    """People who serve: volunteer teams, posts, service hours, points and honours."""

    name = "doorstep.service"
    label = "service"
    verbose_name = "志愿服务与积分"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .defaults import ensure_defaults

        post_migrate.connect(ensure_defaults, sender=self)
