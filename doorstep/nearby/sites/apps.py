from django.apps import AppConfig


class SitesConfig(AppConfig):
    """Service sites (党群服务中心/站, 驿站, 食堂 …), their rooms and bookings."""

    name = "doorstep.nearby.sites"
    label = "sites"
    verbose_name = "服务阵地"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .defaults import ensure_defaults

        post_migrate.connect(ensure_defaults, sender=self)
