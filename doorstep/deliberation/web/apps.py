from django.apps import AppConfig


class DeliberationWebConfig(AppConfig):
    """Pages for deliberation: owners' votes."""

    name = "doorstep.deliberation.web"
    label = "deliberation_web"
    verbose_name = "议事协商页面"
