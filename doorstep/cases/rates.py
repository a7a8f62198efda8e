"""Assessment rates for any node of the tree and any period, from the rollup rows.

Each rate is defined once, here: its numerator, its denominator and which cases. The
period selects **the cases received in it** (by the local day of receiving, `tally.py`);
what is counted is what is true of each of them now. Each numerator is a subset of its
denominator by construction, so every rate lies in 0–100 % without clamping. A rate with
nothing to divide by is None (shown as "—"), never 0 or 100 %.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from .models import ROLLUP_FIELDS, Rollup

COHORT = "期内受理的工单（撤销的除外）"


@dataclass(frozen=True)
class Rate:
    label: str
    numerator: tuple[str, ...]  # rollup counters summed
    denominator: str
    definition: str  # shown on hover and in the briefing's notes


RATES: dict[str, Rate] = {
    "closing_rate": Rate(
        "办结率", ("closed",), "received", f"{COHORT}中，截至目前已办结的件数 ÷ 受理件数"
    ),
    "on_time_rate": Rate(
        "按时办结率",
        ("closed_on_time",),
        "closed",
        f"{COHORT}中已办结的，在办结期限内回单的件数 ÷ 已办结件数",
    ),
    "timely_sign_rate": Rate(
        "及时签收率",
        ("signed_on_time",),
        "signed",
        f"{COHORT}的每次签收（接单）中，在签收时限内的次数 ÷ 签收次数",
    ),
    "return_rate": Rate(
        "回退率", ("returned",), "dispatched", f"{COHORT}中已派单的，被退回过的件数 ÷ 派单件数"
    ),
    "reopen_rate": Rate(
        "重办率", ("reopened",), "resolved", f"{COHORT}中已回单的，被重办过的件数 ÷ 回单件数"
    ),
    "satisfaction_rate": Rate(
        "满意率",
        ("satisfied", "basic"),
        "rated",
        f"{COHORT}中已评价的，最近一次评价为满意或基本满意的件数 ÷ 评价件数",
    ),
    "response_rate": Rate(
        "响应率", ("responded",), "received", f"{COHORT}中已有首次响应的件数 ÷ 受理件数"
    ),
    "solve_rate": Rate(
        "解决率",
        ("solved",),
        "rated",
        f"{COHORT}中已评价的，最近一次评价为已解决的件数 ÷ 评价件数",
    ),
}

FIGURE_DEFINITIONS = {
    "received": f"{COHORT}件数，按受理当日计",
    "closed": f"{COHORT}中，截至目前已办结（含归档）的件数",
    "closed_late": f"{COHORT}中已办结、但超过办结期限才回单的件数（超期办结）",
    "overdue": "目前仍在办理、已超过办结期限的工单件数（已办结的不计）",
    "due_soon": "目前仍在办理、已到预警时间但未到期限的工单件数",
    "avg_handling_hours": f"{COHORT}中已办结的，自受理至回单的平均小时数",
}

RATE_LABELS = {
    "received": "受理量",
    "closed": "办结量",
    "closed_late": "超期办结",
    "overdue": "已超期",
    "due_soon": "将到期",
    **{code: rate.label for code, rate in RATES.items()},
    "avg_handling_hours": "平均办理时长（小时）",
}

DEFINITIONS = {**FIGURE_DEFINITIONS, **{code: r.definition for code, r in RATES.items()}}


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def counts_for(org: Any, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    qs = Rollup.objects.filter(organisation=org)
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    sums = qs.aggregate(**{f: Sum(f) for f in ROLLUP_FIELDS})
    return {k: int(v or 0) for k, v in sums.items()}


def rates_from(c: dict[str, int]) -> dict[str, Any]:
    """The counters `c` with every rate of `RATES`, 超期办结 and the average time."""
    out: dict[str, Any] = dict(c)
    for code, rate in RATES.items():
        out[code] = ratio(sum(c[n] for n in rate.numerator), c[rate.denominator])
    out["closed_late"] = c["closed"] - c["closed_on_time"]
    out["avg_handling_hours"] = (
        round(c["handling_seconds"] / c["closed"] / 3600, 1) if c["closed"] else None
    )
    return out


def rates_for(org: Any, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    return rates_from(counts_for(org, start, end))


def rates_for_each(orgs: Any, start: dt.date, end: dt.date) -> dict[int, dict]:
    """`rates_for` of several nodes over one period with one GROUP BY: by organisation id
    (a node without rows gets the rates of nothing)."""
    ids = [o.pk for o in orgs]
    rows = (
        Rollup.objects.filter(organisation_id__in=ids, day__gte=start, day__lte=end)
        .values("organisation_id")
        .annotate(**{f: Sum(f) for f in ROLLUP_FIELDS})
    )
    found: dict[int, Any] = {r["organisation_id"]: r for r in rows}
    empty: dict[str, Any] = {}
    return {
        pk: rates_from({f: int(found.get(pk, empty).get(f) or 0) for f in ROLLUP_FIELDS})
        for pk in ids
    }
