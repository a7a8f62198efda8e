"""Counters per organisation, month and category, kept with each event (as `rollups`).

`deltas` folds a move's rollup deltas into the category counters; `apply` adds them to
every ancestor of the case's territory for the event's month in the same transaction;
`recount_from_events` rebuilds them from the events alone and must agree exactly
(`recount_case_rollups` checks both tables).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection

from .models import CATEGORY_FIELDS, CategoryRollup
from .rollups import deltas as event_deltas
from .rollups import local_day, org_ids


def deltas(d: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in ("received", "closed", "closed_on_time", "handling_seconds", "rated"):
        if d.get(k):
            out[k] = d[k]
    satisfied = d.get("satisfied", 0) + d.get("basic", 0)
    if satisfied:
        out["satisfied"] = satisfied
    return out


def month_of(at: dt.datetime) -> dt.date:
    return local_day(at).replace(day=1)


def apply(
    territory_path: str, at: dt.datetime, category_id: int | None, d: Mapping[str, int]
) -> None:
    """Upsert the category counters of every ancestor for the event's month."""
    counts = deltas(d)
    if not counts or category_id is None:
        return
    cols = [c for c in CATEGORY_FIELDS if counts.get(c)]
    others = [c for c in CATEGORY_FIELDS if c not in cols]
    table = CategoryRollup._meta.db_table
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in cols)
    all_cols = ", ".join(["organisation_id", "month", "category_id", *cols, *others])
    placeholders = ", ".join(["%s"] * (3 + len(cols) + len(others)))
    sql = (
        f"INSERT INTO {table} ({all_cols}) VALUES ({placeholders}) "
        f"ON CONFLICT (organisation_id, month, category_id) DO UPDATE SET {updates}"
    )
    values = [counts[c] for c in cols] + [0] * len(others)
    month = month_of(at)
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [[oid, month, category_id, *values] for oid in org_ids(territory_path)]
        )


Key = tuple[int, dt.date, int]


def recount(
    events: Iterable[tuple[str, int | None, str, str, dict[str, Any], dt.datetime]],
) -> dict[Key, dict[str, int]]:
    """{(org, month, category): counters} from (path, category, move, to_status, data, at)."""
    totals: dict[Key, dict[str, int]] = defaultdict(dict)
    for path, category_id, move, to_status, data, at in events:
        counts = deltas(event_deltas(move, to_status, data or {}))
        if not counts or category_id is None:
            continue
        month = month_of(at)
        for oid in org_ids(path):
            row = totals[(oid, month, category_id)]
            for k, v in counts.items():
                row[k] = row.get(k, 0) + v
    return {k: v for k, v in totals.items() if any(v.values())}


def recount_from_events() -> dict[Key, dict[str, int]]:
    from .models import CaseEvent

    rows = CaseEvent.objects.values_list(
        "case__territory_path", "case__category_id", "move", "to_status", "data", "at"
    ).iterator(chunk_size=5000)
    return recount(rows)


def stored() -> dict[Key, dict[str, int]]:
    out: dict[Key, dict[str, int]] = {}
    for row in CategoryRollup.objects.values(
        "organisation_id", "month", "category_id", *CATEGORY_FIELDS
    ).iterator():
        counts = {k: row[k] for k in CATEGORY_FIELDS if row[k]}
        if counts:
            out[(row["organisation_id"], row["month"], row["category_id"])] = counts
    return out


def rewrite(counted: Mapping[Key, Mapping[str, int]]) -> int:
    CategoryRollup.objects.all().delete()
    rows = [
        CategoryRollup(organisation_id=o, month=m, category_id=c, **counts)
        for (o, m, c), counts in sorted(counted.items())
    ]
    CategoryRollup.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
