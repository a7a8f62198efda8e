"""Reads that may go to a read replica: the cockpit's figures and lists, and exports.

With `DATABASE_REPLICA_URL` set, the `replica` database is a streaming standby of the
primary (docs/operations.md, "Scale out"). Code that reads a great deal and can bear a
second or two of lag runs under `from_replica()` (a context manager and a decorator): the
router then sends its ORM reads there. Everything else — and anything inside a
transaction, such as the audit chain's read of its last entry or a write's own checks —
reads the primary, so nobody acts on a stale row. Writes always go to the primary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_active: ContextVar[bool] = ContextVar("reads_from_replica", default=False)
F = TypeVar("F", bound=Callable[..., Any])


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def from_replica() -> Iterator[None]:
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)


def reads_from_replica(view: F) -> F:
    """A view (or job) whose reads may go to the replica."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with from_replica():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReplicaRouter:
    """Reads under `from_replica()` go to the replica when one is configured and no
    transaction is open on the primary; all else to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _active.get() and configured() and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"  # the replica follows the primary's schema by replication
