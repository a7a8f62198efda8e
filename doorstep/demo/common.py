"""Shared pieces of the demo seeders: reference date, batching, timing, cached search text."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

from doorstep.core import figure_cache
from doorstep.core.search import search_text_for

# Ages and dates are computed from a fixed day so every run builds the same data.
REFERENCE_DATE = dt.date(2025, 6, 30)
BATCH_SIZE = 2000
DEMO_PASSWORD = "Doorstep2026"

Log = Callable[[str], None]
M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


@cache
def cached_search_text(*parts: str) -> str:
    """search_text_for, remembered: names repeat a lot in a synthetic population."""
    return search_text_for(*parts)


def bulk_insert(model: type[M], rows: Sequence[M]) -> list[M]:
    """bulk_create in batches; primary keys are set on the rows (SQLite ≥ 3.35, PostgreSQL)."""
    if not rows:
        return []
    return model.objects.bulk_create(rows, batch_size=BATCH_SIZE)  # type: ignore[attr-defined]


def fast_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows given as {attname: value} (COPY on PostgreSQL), without returning ids.

    For the big tables. Each value goes through its field's get_db_prep_save, as in
    bulk_create (so encrypted fields are encrypted); fields missing from the rows (all rows
    carry the same keys) take their defaults, and auto_now fields the current time. What it skips is building a model instance and
    compiling SQL per row, which make bulk_create slow for wide tables.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = set(rows[0]) if rows else set()
    now = timezone.now()
    # Values every row shares (defaults, the timestamp) are prepared once.
    shared = {
        f.attname: f.get_db_prep_save(
            now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default(),
            connection,
        )
        for f in fields
        if f.attname not in given
    }
    preps = [(f.attname, f.get_db_prep_save) for f in fields]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column or f.attname) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    copy_sql = f"COPY {table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            params = [
                tuple(
                    shared[name] if name in shared else prep(row[name], connection)
                    for name, prep in preps
                )
                for row in rows[start : start + BATCH_SIZE]
            ]
            if connection.vendor == "postgresql":
                # COPY is several times faster than INSERT on PostgreSQL (psycopg 3).
                with cursor.cursor.copy(copy_sql) as copy:
                    for values in params:
                        copy.write_row(values)
                figure_cache.tables_written([model._meta.db_table])  # unseen by the watch
            else:
                cursor.executemany(sql, params)


def chunks(items: Sequence[T], n: int) -> list[list[T]]:
    """Split `items` into `n` runs of nearly equal length, keeping their order."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out: list[list[T]] = []
    start = 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return out


def spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` whole numbers that differ by at most one."""
    size, extra = divmod(total, parts)
    return [size + (1 if i < extra else 0) for i in range(parts)]


class Timer:
    """Prints how long each step of a seed took."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.started = time.perf_counter()

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        self.log(f"  {label}：{time.perf_counter() - t0:.2f} 秒")

    def total(self) -> float:
        return time.perf_counter() - self.started
