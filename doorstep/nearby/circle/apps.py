from django.apps import AppConfig


class CircleConfig(AppConfig):
    """The 15-minute service circle: road network, walking times, coverage, new sites."""

    name = "doorstep.nearby.circle"
    label = "circle"
    verbose_name = "15分钟服务圈"
