from django.apps import AppConfig


class SitesConfig(AppConfig):
    """Service sites (党群服务中心/站, 驿站, 食堂 …), their rooms and bookings."""

    name = "doorstep.sites"
    label = "sites"
    verbose_name = "服务阵地"
