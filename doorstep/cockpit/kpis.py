"""KPIs by category and month for a node, read from the category rollups (kept with each
case event), with leaf categories folded into their top-level category (政务目录 一级).
No scan of cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from doorstep.cases.models import CATEGORY_FIELDS, Category, CategoryRollup
from doorstep.cases.rates import ratio


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


def by_category_and_month(org: Any, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Rows per (top-level category, month) in [first month, last month], with the counters
    and the rates: 办结率 (closed/received), 按时办结率, 满意率.

    One query: the node's own rollup rows (its unique index: organisation, month,
    category), each leaf folded to its top-level category by joining up the category tree
    (the catalogue is three levels deep; four are allowed), summed per top and month."""
    rollup = CategoryRollup._meta.db_table
    category = Category._meta.db_table
    sums = ", ".join(f"SUM(r.{f})" for f in CATEGORY_FIELDS)
    sql = (
        f"SELECT COALESCE(c3.id, c2.id, c1.id, c0.id) AS top, r.month, {sums} "
        f"FROM {rollup} r JOIN {category} c0 ON c0.id = r.category_id "
        f"LEFT JOIN {category} c1 ON c1.id = c0.parent_id "
        f"LEFT JOIN {category} c2 ON c2.id = c1.parent_id "
        f"LEFT JOIN {category} c3 ON c3.id = c2.parent_id "
        "WHERE r.organisation_id = %s AND r.month >= %s AND r.month <= %s "
        "GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [org.pk, first.replace(day=1), last.replace(day=1)])
        rows = cursor.fetchall()
    names = dict(Category.objects.filter(parent__isnull=True).values_list("pk", "name"))
    out = []
    for top, month, *values in rows:
        c = {f: int(v or 0) for f, v in zip(CATEGORY_FIELDS, values, strict=True)}
        if isinstance(month, str):  # SQLite hands dates back as text
            month = dt.date.fromisoformat(month)
        out.append(
            {
                "category": top,
                "name": names.get(top, "未分类"),
                "month": month,
                **c,
                "closing_rate": ratio(c["closed"], c["received"]),
                "on_time_rate": ratio(c["closed_on_time"], c["closed"]),
                "satisfaction_rate": ratio(c["satisfied"], c["rated"]),
            }
        )
    out.sort(key=lambda r: (r["month"], -r["received"], r["category"]))
    return out
