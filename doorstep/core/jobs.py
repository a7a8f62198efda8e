"""Periodic jobs on the embedded default: the web process runs the beat schedule itself.

Production runs `CELERY_BEAT_SCHEDULE` with Celery beat and workers on Redis. The embedded
default has no broker (tasks run eagerly), so the process that serves requests starts one
thread that runs each scheduled task at its interval: the deadline sweep, no-shows, duty
points and the catch-up runs of the event consumers (core.events). A failing run is logged
and the loop goes on.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_started = threading.Lock()
_thread: threading.Thread | None = None
# seconds after start-up, so the server is listening first (a test shortens it)
FIRST_RUN_DELAY = float(os.environ.get("DOORSTEP_TEST_FIRST_RUN_DELAY", "15"))
THREAD_NAME = "doorstep-jobs"


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


def scheduled() -> list[tuple[str, float, Callable[[], object]]]:
    """(task name, interval in seconds, run) for every entry of the beat schedule."""
    from django.conf import settings

    from .events import task_named

    out: list[tuple[str, float, Callable[[], object]]] = []
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        name, every = str(entry["task"]), float(entry["schedule"])  # type: ignore[arg-type]
        out.append((name, every, task_named(name).apply))
    return out


def _loop(
    stop: threading.Event,
    jobs: Sequence[tuple[str, float, Callable[[], object]]],
    *,
    first_delay: float | None = None,
) -> None:
    from django.db import connections

    start = time.monotonic() + (FIRST_RUN_DELAY if first_delay is None else first_delay)
    due = {name: start for name, _, _ in jobs}
    while not stop.is_set():
        now = time.monotonic()
        for name, every, run in jobs:
            if now < due[name]:
                continue
            due[name] = now + every
            try:
                result: Any = run()
                # Celery's apply() keeps a task's exception in the result instead of raising.
                if getattr(result, "failed", lambda: False)():
                    log.error("in-process job %s failed: %s", name, result.result)
            except Exception:  # one failed run must not end the loop
                log.exception("in-process job %s failed", name)
            finally:
                connections.close_all()
        stop.wait(max(0.0, min(due.values()) - time.monotonic()))


def start_inprocess_jobs() -> threading.Event | None:
    """Start the jobs thread once per process; return its stop event (None if running)."""
    global _thread
    with _started:
        if _thread is not None and _thread.is_alive():
            return None
        stop = threading.Event()
        _thread = threading.Thread(target=_run, args=(stop,), name=THREAD_NAME, daemon=True)
        _thread.start()
    return stop


def _run(stop: threading.Event) -> None:
    # The tasks are looked up here, in the thread, once Django has finished starting:
    # discovering Celery's task modules from AppConfig.ready() would re-enter setup.
    if stop.wait(FIRST_RUN_DELAY):
        return
    jobs = scheduled()
    log.info("in-process jobs: %s", ", ".join(f"{n} every {e:.0f} s" for n, e, _ in jobs))
    _loop(stop, jobs, first_delay=0.0)
