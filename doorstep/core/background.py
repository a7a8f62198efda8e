"""Work that must not hold a request: every ledger import and big exports.

`submit(task, *args)` runs a Celery task after the current transaction commits, as
`settings.BACKGROUND_MODE` says:

- ``celery`` (production, a broker is configured): a worker takes it from its queue;
- ``thread`` (the embedded default): a daemon thread of this process runs it, so the
  request that asked for it returns at once and its page shows the progress;
- ``inline`` (the test suite): it runs in the committing thread, before the request
  returns — as Celery's eager mode did.

A task run here must be safe to run twice (a job continues from what it committed, or
starts again), since a thread dies with its process; the job's page offers to continue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger(__name__)

MODES = ("celery", "thread", "inline")
_forced: ContextVar[str] = ContextVar("background_mode", default="")


@contextmanager
def inline_unless_celery() -> Iterator[None]:
    """For a management command: without a broker, run jobs in the command itself (a
    thread would die with the command's process)."""
    token = _forced.set("" if mode() == "celery" else "inline")
    try:
        yield
    finally:
        _forced.reset(token)


def mode() -> str:
    chosen = (
        _forced.get()
        or getattr(settings, "BACKGROUND_MODE", "")
        or ("celery" if settings.CELERY_BROKER_URL else "thread")
    )
    if chosen not in MODES:
        raise ValueError(f"DOORSTEP_BACKGROUND must be one of {', '.join(MODES)}")
    return chosen


def submit(task: Any, *args: Any) -> None:
    """Run `task(*args)` in the background once the current transaction commits."""
    transaction.on_commit(lambda: _start(task, args))


def _start(task: Any, args: tuple[Any, ...]) -> None:
    how = mode()
    if how == "celery":
        task.apply_async(args=args)
    elif how == "thread":
        name = f"doorstep-{task.name.rsplit('.', 1)[-1]}-{args[0] if args else ''}"
        threading.Thread(target=_in_thread, args=(task, args), name=name, daemon=True).start()
    else:
        _run(task, args)


def _run(task: Any, args: tuple[Any, ...]) -> None:
    # apply() raises the task's exception (CELERY_TASK_EAGER_PROPAGATES), as eager mode did.
    result = task.apply(args=args)
    if result.failed():
        log.error("background task %s failed: %s", task.name, result.result)


def _in_thread(task: Any, args: tuple[Any, ...]) -> None:
    try:
        _run(task, args)
    except Exception:  # logged: a thread has no caller to raise to
        log.exception("background task %s failed", task.name)
    finally:
        connections.close_all()
