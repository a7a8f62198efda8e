from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    """Activities (邻里节, job fairs, training …): sign-up, waiting list, check-in, attendance."""

    name = "doorstep.nearby.activities"
    label = "activities"
    verbose_name = "活动"
