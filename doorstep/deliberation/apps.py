from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    """议事协商: topics, councils, meetings, votes, resolutions, receptions, campaigns,
    surveys."""

    name = "doorstep.deliberation"
    label = "deliberation"
    verbose_name = "议事协商"
