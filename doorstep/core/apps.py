from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "doorstep.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from django.conf import settings

        from .jobs import _is_web_server, start_inprocess_jobs

        # Embedded default (no broker): no beat, so the web process runs the schedule.
        if settings.CELERY_TASK_ALWAYS_EAGER and _is_web_server():
            start_inprocess_jobs()
