from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "doorstep.people"
    label = "people"
    verbose_name = "人口与党员"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the party-member counters)
