"""Assessment rates for any node of the tree and any period, from the rollup rows.

受理量, 办结率, 按时办结率, 及时签收率, 回退率, 重办率, 满意率, the three rates (三率:
响应率, 解决率, 满意率) and the average handling time. A rate with nothing to divide by is
None (shown as "—"), never 0 or 100 %.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum

from .models import ROLLUP_FIELDS, Rollup

RATE_LABELS = {
    "received": "受理量",
    "closed": "办结量",
    "closing_rate": "办结率",
    "on_time_rate": "按时办结率",
    "timely_sign_rate": "及时签收率",
    "return_rate": "回退率",
    "reopen_rate": "重办率",
    "satisfaction_rate": "满意率",
    "response_rate": "响应率",
    "solve_rate": "解决率",
    "avg_handling_hours": "平均办理时长（小时）",
}


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def counts_for(org: Any, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    qs = Rollup.objects.filter(organisation=org)
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    sums = qs.aggregate(**{f: Sum(f) for f in ROLLUP_FIELDS})
    return {k: int(v or 0) for k, v in sums.items()}


def rates_for(org: Any, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    c = counts_for(org, start, end)
    satisfied = c["satisfied"] + c["basic"]
    out: dict[str, Any] = dict(c)
    out.update(
        closing_rate=_ratio(c["closed"], c["received"]),
        on_time_rate=_ratio(c["closed_on_time"], c["closed"]),
        timely_sign_rate=_ratio(c["signed_on_time"], c["signed"]),
        return_rate=_ratio(c["returned"], c["dispatched"]),
        reopen_rate=_ratio(c["reopened"], c["closed"] + c["reopened"]),
        satisfaction_rate=_ratio(satisfied, c["rated"]),
        response_rate=_ratio(c["responded"], c["received"]),
        solve_rate=_ratio(c["solved"], c["rated"]),
        avg_handling_hours=round(c["handling_seconds"] / c["closed"] / 3600, 1)
        if c["closed"]
        else None,
    )
    return out
