from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    """工作台: the home page of every role and the navigation each role can use."""

    name = "doorstep.workbench.web"
    label = "workbench"
    verbose_name = "工作台"
