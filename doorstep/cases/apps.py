from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "doorstep.cases"
    label = "cases"
    verbose_name = "工单"
