from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "doorstep.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from django.conf import settings
        from django.db import connections
        from django.db.backends.signals import connection_created

        from . import figure_cache
        from .jobs import _is_web_server, start_inprocess_jobs

        # Every write statement renews the figure cache's tokens of the tables it names
        # (core/figure_cache.py); connections made later get the watch when they open.
        connection_created.connect(figure_cache.watch, dispatch_uid="figure_cache.watch")
        for alias in connections:
            figure_cache.watch(connections[alias])

        # Embedded default (no broker): no beat, so the web process runs the schedule.
        if settings.CELERY_TASK_ALWAYS_EAGER and _is_web_server():
            start_inprocess_jobs()
