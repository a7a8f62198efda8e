"""How a lower domain tells a higher one what happened: its append-only event log, read
by idempotent consumers in the higher domain (no signals).

A domain that appends to its log calls `kick(stream)` inside the same transaction. After
the commit, every consumer task listed for that stream in `settings.EVENT_CONSUMERS` is
started: queued to a Celery worker in production, run right there on the embedded default
(eager Celery). A consumer that fails is logged and never reaches the request that made
the event — the request has already committed; the periodic run of the same task (Celery
beat, or the in-process jobs thread on the embedded default, see core.jobs) catches up.

`consume(...)` is the loop every consumer uses: events after its cursor, in id order, each
handled in its own transaction together with a `ConsumedEvent` row (unique), so an event
is handled exactly once even when two runs overlap or a run is repeated; the first failure
stops the run (later events wait, so a reversal is never handled before what it reverses).

Ids are handed out before commit, so an event with a lower id can become visible after one
with a higher id. The cursor therefore only moves past events older than `HORIZON`; newer
ones stay above it and are looked at again (their ConsumedEvent rows say they are done).
A transaction that keeps an event uncommitted for longer than HORIZON could be missed:
nothing in this project holds one open that long (the demo seeding writes its events with
past times but commits them all at once, and a consumer run sees them together).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import ConsumedEvent, EventCursor

log = logging.getLogger(__name__)

HORIZON = dt.timedelta(minutes=10)
BATCH = 500


# ------------------------------------------------------------------ producing side


def kick(stream: str) -> None:
    """After this transaction commits, start the consumers of `stream` (once per
    transaction, however many events it appended)."""
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        # Django keeps the callbacks of the open transaction in run_on_commit (dropped on
        # rollback, savepoints included): one per stream is enough.
        # (A callback that has run already — tests run them without a commit — no longer
        # counts.)
        for _sids, func, _robust in conn.run_on_commit:
            if getattr(func, "doorstep_stream", None) == stream and not func.ran:
                return

    def start() -> None:
        start.ran = True  # type: ignore[attr-defined]
        start_consumers(stream)

    start.doorstep_stream = stream  # type: ignore[attr-defined]
    start.ran = False  # type: ignore[attr-defined]
    transaction.on_commit(start)


def task_named(name: str) -> Any:
    """The Celery task of that name (tasks modules are discovered on first need)."""
    from celery import current_app

    if name not in current_app.tasks:
        current_app.loader.import_default_modules()  # autodiscover_tasks is lazy
    return current_app.tasks[name]


def start_consumers(stream: str) -> None:
    """Start every consumer task of the stream; a failure is logged, never raised."""
    for name in settings.EVENT_CONSUMERS.get(stream, ()):
        try:
            task_named(name).apply_async()
        except Exception:  # the event is committed; the periodic run catches up
            log.exception(
                "event consumer %s failed (stream %s); the next run catches up", name, stream
            )


# ------------------------------------------------------------------ consuming side


def consume(
    consumer: str,
    events: QuerySet[Any],
    handle: Callable[[Any], None],
    *,
    batch: int = BATCH,
    now: dt.datetime | None = None,
) -> int:
    """Handle the events of `events` (a queryset over an append-only log with an `at`
    time) that `consumer` has not handled yet, in id order; return how many were handled.
    Raises the first failure after committing everything handled before it."""
    now = now or timezone.now()
    cursor, _ = EventCursor.objects.get_or_create(consumer=consumer)
    done = set(
        ConsumedEvent.objects.filter(consumer=consumer, event_id__gt=cursor.last_id).values_list(
            "event_id", flat=True
        )
    )
    handled = 0
    after = settled_to = cursor.last_id
    settling = True  # every event so far is handled and older than the horizon
    try:
        while True:
            pending = list(events.filter(id__gt=after).order_by("id")[:batch])
            for event in pending:
                if event.id not in done:
                    if _handle_once(consumer, event, handle):
                        handled += 1
                    done.add(event.id)
                after = event.id
                if settling and event.at <= now - HORIZON:
                    settled_to = event.id
                else:
                    settling = False
            if len(pending) < batch:
                break
    finally:
        if settled_to != cursor.last_id:
            _advance(consumer, settled_to)
    return handled


def _locked_cursor(consumer: str) -> EventCursor:
    qs = EventCursor.objects.filter(consumer=consumer)
    if connection.vendor == "postgresql":  # SQLite's write transactions are serial anyway
        qs = qs.select_for_update()
    return qs.get()


def _handle_once(consumer: str, event: Any, handle: Callable[[Any], None]) -> bool:
    with transaction.atomic():
        # Re-read under the cursor's row lock: an overlapping run may have handled this
        # event, moved the cursor past it and deleted its marker since this run started.
        if event.id <= _locked_cursor(consumer).last_id:
            return False
        try:
            with transaction.atomic():
                ConsumedEvent.objects.create(consumer=consumer, event_id=event.id)
        except IntegrityError:
            return False  # an overlapping run has handled it
        handle(event)
    return True


def _advance(consumer: str, last_id: int) -> None:
    with transaction.atomic():
        cursor = _locked_cursor(consumer)
        if cursor.last_id >= last_id:
            return
        cursor.last_id = last_id
        cursor.save(update_fields=["last_id", "updated_at"])
        ConsumedEvent.objects.filter(consumer=consumer, event_id__lte=last_id).delete()
