"""The cases app. On the embedded default it also runs the deadline sweep in-process."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from django.apps import AppConfig

log = logging.getLogger(__name__)

_started = threading.Lock()
_thread: threading.Thread | None = None
FIRST_RUN_DELAY = 15.0  # seconds after start-up, so the server is listening first


def _is_web_server() -> bool:
    """True in the process that serves requests: runserver's child, or gunicorn when asked.

    Never under pytest, migrate or any other management command.
    """
    if "pytest" in sys.modules or os.environ.get("PYTEST_CURRENT_TEST"):
        return False
    return serves_requests(sys.argv, os.environ)


def serves_requests(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether a process started with this command line serves web requests."""
    program = Path(argv[0]).name if argv else ""
    command = argv[1] if len(argv) > 1 else ""
    if program in {"manage.py", "__main__.py", "-c"} or program.startswith("django-admin"):
        if command != "runserver":
            return False  # migrate, shell, sweep_deadlines, …
        # runserver's autoreloader runs the server in a child with RUN_MAIN=true.
        return environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    if "celery" in program:
        return False  # workers have beat for this
    return environ.get("DOORSTEP_INPROCESS_JOBS") == "1"  # e.g. gunicorn on the embedded DB


def _loop(stop: threading.Event, minutes: float) -> None:
    from django.db import connections

    from .sweep import sweep

    wait = FIRST_RUN_DELAY
    while not stop.wait(wait):
        wait = minutes * 60.0
        try:
            sweep()
        except Exception:  # one failed run must not end the loop
            log.exception("in-process deadline sweep failed")
        finally:
            connections.close_all()


def start_inprocess_sweep() -> threading.Event | None:
    """Start the sweep thread once per process; return its stop event (None if running)."""
    from django.conf import settings

    global _thread
    with _started:
        if _thread is not None and _thread.is_alive():
            return None
        stop = threading.Event()
        _thread = threading.Thread(
            target=_loop,
            args=(stop, float(settings.CASE_SWEEP_MINUTES)),
            name="doorstep-deadline-sweep",
            daemon=True,
        )
        _thread.start()
    log.info("deadline sweep runs in-process every %s min", settings.CASE_SWEEP_MINUTES)
    return stop


class CasesConfig(AppConfig):
    name = "doorstep.cases"
    label = "cases"
    verbose_name = "工单"

    def ready(self) -> None:
        from django.conf import settings

        # Embedded default (no broker): no beat, so the web process sweeps by itself.
        eager = settings.CELERY_TASK_ALWAYS_EAGER and settings.CASE_SWEEP_MINUTES > 0
        if eager and _is_web_server():
            start_inprocess_sweep()
