from django.apps import AppConfig


class CockpitConfig(AppConfig):
    """The cockpit (驾驶舱): live figures of a node of the tree; reads, owns no data."""

    name = "doorstep.cockpit"
    label = "cockpit"
    verbose_name = "驾驶舱"
