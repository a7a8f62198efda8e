"""Counters per organisation and day, derived from case events.

`deltas(event)` says what one event adds. `apply` adds it to every ancestor of the case's
territory in the same transaction as the event; `recount` rebuilds the same numbers from
the events alone, and must agree exactly (command `recount_case_rollups`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection

from .calendar import TZ
from .models import ROLLUP_FIELDS, Rollup
from .workflow import S

_SIGNS = ("sign", "claim")


def deltas(move: str, to_status: str, data: Mapping[str, Any]) -> dict[str, int]:
    d: dict[str, int] = {}

    def add(name: str, n: int = 1) -> None:
        if n:
            d[name] = d.get(name, 0) + n

    if data.get("received"):
        add("received")
    if move in ("dispatch", "publish"):
        add("dispatched")
    if move in _SIGNS:
        add("signed")
        add("signed_on_time", int(bool(data.get("on_time"))))
    if move == "return":
        add("returned")
    if data.get("first_response"):
        add("responded")
    if move in ("resolve", "self_handle"):
        add("resolved")
    if to_status == S.CLOSED and data.get("closing"):
        add("closed")
        add("closed_on_time", int(bool(data.get("on_time_close"))))
        add("handling_seconds", int(data.get("handling_seconds") or 0))
    if move in ("reopen", "reopen_closed"):
        add("reopened")
    rating = data.get("rating")
    if move in ("rate", "reopen") and rating:
        add("rated")
        add(rating)
        add("solved", int(bool(data.get("solved"))))
    if move == "whistle":
        add("whistles")
        add("summoned", len(data.get("departments") or ()))
    if move == "report_in" and data.get("on_time"):
        add("reported_on_time")
    return d


def org_ids(path: str) -> list[int]:
    return [int(x) for x in path.strip("/").split("/") if x]


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(TZ).date()


def apply(territory_path: str, at: dt.datetime, d: Mapping[str, int]) -> None:
    """Add `d` to the rows of every ancestor for that day (one upsert per organisation)."""
    if not d:
        return
    cols = [c for c in ROLLUP_FIELDS if d.get(c)]
    table = Rollup._meta.db_table
    day = local_day(at)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in cols)
    others = [c for c in ROLLUP_FIELDS if c not in cols]
    all_cols = ", ".join(["organisation_id", "day", *cols, *others])
    placeholders = ", ".join(["%s"] * (2 + len(cols) + len(others)))
    sql = (
        f"INSERT INTO {table} ({all_cols}) VALUES ({placeholders}) "
        f"ON CONFLICT (organisation_id, day) DO UPDATE SET {updates}"
    )
    values = [d[c] for c in cols] + [0] * len(others)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[oid, day, *values] for oid in org_ids(territory_path)])


def recount(events: Iterable[tuple[str, str, str, dict[str, Any], dt.datetime]]) -> dict:
    """{(org_id, day): {field: n}} from (territory_path, move, to_status, data, at) rows."""
    totals: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(dict)
    for path, move, to_status, data, at in events:
        d = deltas(move, to_status, data or {})
        if not d:
            continue
        day = local_day(at)
        for oid in org_ids(path):
            row = totals[(oid, day)]
            for k, v in d.items():
                row[k] = row.get(k, 0) + v
    return totals


def stored() -> dict:
    """The rollup table in the same shape as `recount` (zero counters left out)."""
    out: dict[tuple[int, dt.date], dict[str, int]] = {}
    for row in Rollup.objects.values("organisation_id", "day", *ROLLUP_FIELDS).iterator():
        counts = {k: row[k] for k in ROLLUP_FIELDS if row[k]}
        if counts:
            out[(row["organisation_id"], row["day"])] = counts
    return out


def recount_from_events() -> dict:
    from .models import CaseEvent

    rows = CaseEvent.objects.values_list(
        "case__territory_path", "move", "to_status", "data", "at"
    ).iterator(chunk_size=5000)
    return {k: v for k, v in recount(rows).items() if any(v.values())}
