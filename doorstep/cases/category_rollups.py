"""Counters per organisation, cohort month and category, kept with each event (as
`rollups`, whose `record` calls `add` here): the case counts in the month it was
received, under its own category. `recount_from_events` folds the events afresh and must
agree exactly (`recount_case_rollups` checks both tables).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection

from . import tally
from .models import CATEGORY_FIELDS, CategoryRollup


def add(territory_path: str, month: dt.date, category_id: int | None, d: Mapping[str, int]) -> None:
    """Add the category part of a cohort vector `d` to every ancestor's row for the month."""
    counts = tally.category_vector(d)
    cols = [c for c in CATEGORY_FIELDS if counts.get(c)]
    if not cols or category_id is None:
        return
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
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [[oid, month, category_id, *values] for oid in tally.org_ids(territory_path)]
        )


Key = tuple[int, dt.date, int]


def recount(rows: Iterable[Any]) -> dict[Key, dict[str, int]]:
    """{(org, month, category): counters} from event rows ordered as `rollups.event_rows`."""
    from .rollups import folded

    totals: dict[Key, dict[str, int]] = defaultdict(dict)
    for path, category_id, state in folded(rows):
        day = tally.cohort_day(state)
        counts = tally.category_vector(tally.vector(state))
        if day is None or not counts or category_id is None:
            continue
        for oid in tally.org_ids(path):
            row = totals[(oid, day.replace(day=1), category_id)]
            for k, v in counts.items():
                row[k] = row.get(k, 0) + v
    return {k: v for k, v in totals.items() if any(v.values())}


def recount_from_events() -> dict[Key, dict[str, int]]:
    from .rollups import event_rows

    return recount(event_rows())


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
