"""Counters per organisation and cohort day, kept with each case event.

A case counts in the row of the local day it was received (`tally.py` says what it counts
for and why). `record` moves a case's contribution when an event changes it, in the same
transaction as the event, for every ancestor of the case's territory; `recount_from_events`
folds the events afresh and must agree exactly (command `recount_case_rollups`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import connection

from . import category_rollups, tally
from .models import ROLLUP_FIELDS, Rollup
from .tally import local_day, org_ids

__all__ = ["local_day", "org_ids", "record", "recount_from_events", "stored"]

Contribution = tuple[dt.date, dict[str, int]]


def contribution(state: Mapping[str, Any]) -> Contribution | None:
    day = tally.cohort_day(state)
    if day is None:
        return None
    return day, tally.vector(state)


def record(
    territory_path: str,
    old_state: Mapping[str, Any],
    new_state: Mapping[str, Any],
    category_id: int,
    old_category_id: int | None = None,
) -> None:
    """Move the case's contribution from what `old_state` counted to what `new_state`
    counts, in both counter tables (and from its old category to its new one)."""
    old, new = contribution(old_state), contribution(new_state)
    old_category = category_id if old_category_id is None else old_category_id
    changes: list[tuple[dt.date, int, dict[str, int]]] = []
    if old and new and old[0] == new[0] and old_category == category_id:
        changes.append((new[0], category_id, tally.difference(new[1], old[1])))
    else:
        if old:
            changes.append((old[0], old_category, tally.difference({}, old[1])))
        if new:
            changes.append((new[0], category_id, new[1]))
    for day, category, d in changes:
        if d:
            add(territory_path, day, d)
            category_rollups.add(territory_path, day.replace(day=1), category, d)


def add(territory_path: str, day: dt.date, d: Mapping[str, int]) -> None:
    """Add `d` to the rows of every ancestor for that day (one upsert per organisation)."""
    cols = [c for c in ROLLUP_FIELDS if d.get(c)]
    if not cols:
        return
    table = Rollup._meta.db_table
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


# One case's events, in order: (case id, territory path, category id, move, to_status,
# data, at).
EventRow = tuple[int, str, int, str, str, dict[str, Any], dt.datetime]


def folded(rows: Iterable[EventRow]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(territory path, category id, final state) per case, from event rows ordered by
    case and sequence."""
    current: int | None = None
    path, category = "", 0
    state: dict[str, Any] = {}
    for case_id, p, c, move, to_status, data, at in rows:
        if case_id != current:
            if current is not None:
                yield path, category, state
            current, path, category, state = case_id, p, c, {}
        state = tally.step(state, move, to_status, data or {}, at)
    if current is not None:
        yield path, category, state


def recount(rows: Iterable[EventRow]) -> dict:
    """{(org_id, day): {field: n}} from ordered event rows (all-zero rows left out)."""
    totals: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(dict)
    for path, _category, state in folded(rows):
        c = contribution(state)
        if c is None or not c[1]:
            continue
        for oid in org_ids(path):
            row = totals[(oid, c[0])]
            for k, v in c[1].items():
                row[k] = row.get(k, 0) + v
    return {k: v for k, v in totals.items() if any(v.values())}


def event_rows(cases: Any = None) -> Iterator[EventRow]:
    """The events (of `cases`, a queryset of ids, or all), ordered for `folded`."""
    from .models import CaseEvent

    qs = CaseEvent.objects.all()
    if cases is not None:
        qs = qs.filter(case_id__in=cases)
    return (
        qs.order_by("case_id", "seq")
        .values_list(
            "case_id",
            "case__territory_path",
            "case__category_id",
            "move",
            "to_status",
            "data",
            "at",
        )
        .iterator(chunk_size=5000)
    )


def stored() -> dict:
    """The rollup table in the same shape as `recount` (zero counters left out)."""
    out: dict[tuple[int, dt.date], dict[str, int]] = {}
    for row in Rollup.objects.values("organisation_id", "day", *ROLLUP_FIELDS).iterator():
        counts = {k: row[k] for k in ROLLUP_FIELDS if row[k]}
        if counts:
            out[(row["organisation_id"], row["day"])] = counts
    return out


def recount_from_events() -> dict:
    return recount(event_rows())


def stored_states() -> dict[int, dict[str, Any]]:
    """Each case's kept tally state (`Case.tally`), by case id."""
    from .models import Case

    return {pk: s or {} for pk, s in Case.objects.values_list("pk", "tally").iterator()}


def states_from_events() -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    current: int | None = None
    state: dict[str, Any] = {}
    for case_id, _p, _c, move, to_status, data, at in event_rows():
        if case_id != current:
            current, state = case_id, {}
        state = tally.step(state, move, to_status, data or {}, at)
        out[case_id] = state
    return out
