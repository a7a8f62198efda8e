"""KPIs by category and month for a node, read from the category rollups (kept with each
case event), with leaf categories folded into their top-level category (政务目录 一级).

One indexed SUM over the node's own rollup rows for the months asked; the category tree
(a few hundred rows) is folded in Python. No scan of cases."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Sum

from doorstep.cases.models import CATEGORY_FIELDS, Category, CategoryRollup


def roots() -> dict[int, tuple[int, str]]:
    """Each category id → (its top-level category id, that category's name)."""
    rows = {pk: (parent, name) for pk, parent, name in Category.objects.values_list(
        "pk", "parent_id", "name"
    )}  # fmt: skip
    out: dict[int, tuple[int, str]] = {}
    for pk in rows:
        top, seen = pk, 0
        while rows[top][0] is not None and seen < 10:
            top, seen = rows[top][0], seen + 1
        out[pk] = (top, rows[top][1])
    return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def by_category_and_month(org: Any, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Rows per (top-level category, month) in [first month, last month], with the counters
    and the rates: 办结率 (closed/received), 按时办结率, 满意率."""
    sums = (
        CategoryRollup.objects.filter(
            organisation=org, month__gte=first.replace(day=1), month__lte=last.replace(day=1)
        )
        .values("category_id", "month")
        .annotate(**{f: Sum(f) for f in CATEGORY_FIELDS})
        .order_by()
    )
    top = roots()
    folded: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(CATEGORY_FIELDS, 0)
    )
    names: dict[int, str] = {}
    for row_ in sums:
        row: dict[str, Any] = dict(row_)
        root_id, name = top.get(row["category_id"], (row["category_id"], "未分类"))
        names[root_id] = name
        acc = folded[(root_id, row["month"])]
        for f in CATEGORY_FIELDS:
            acc[f] += int(row[f] or 0)
    out = []
    for (root_id, month), c in sorted(
        folded.items(), key=lambda kv: (kv[0][1], -kv[1]["received"])
    ):
        out.append(
            {
                "category": root_id,
                "name": names[root_id],
                "month": month,
                **c,
                "closing_rate": _ratio(c["closed"], c["received"]),
                "on_time_rate": _ratio(c["closed_on_time"], c["closed"]),
                "satisfaction_rate": _ratio(c["satisfied"], c["rated"]),
            }
        )
    return out
