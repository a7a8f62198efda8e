"""The indicators a scorecard may use (考核指标库): code → label, unit, default direction and
target, and how its value is read for one organisation and one period.

Values come from the figures the cockpit already shows: the case rates of the rollup rows
(`cases.rates.rates_for`), the overdue cases (today's flags for the running month; for a
month that has ended, those overdue at its end, `overdue.py`), `service.figures.figures`
(household-link coverage, posts filled, verified volunteer hours),
`activities.services.attendance` (场次) and the tree (a grid's own party branch, 支部建在网格上). Rates are in percent (0–100) so
targets read as people write them ("办结率 95%"). A rate with nothing to divide by is None
("无数据"), never 0 or 100.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Figure:
    value: Decimal | None
    detail: str  # the counts behind the value, e.g. "办结 12 件 / 受理 13 件"


class Source:
    """One organisation's figures for one period, each read at most once."""

    def __init__(self, org: Any, start: dt.date, end: dt.date) -> None:
        self.org, self.start, self.end = org, start, end

    @cached_property
    def rates(self) -> dict[str, Any]:
        from doorstep.cases.rates import rates_for

        return rates_for(self.org, self.start, self.end)

    @cached_property
    def service(self) -> dict[str, Any]:
        from doorstep.service.figures import figures

        return figures(self.org, self.start, self.end)

    @cached_property
    def sessions(self) -> int:
        from doorstep.cases.calendar import TZ
        from doorstep.nearby.activities.services import attendance

        held = attendance(
            self.org,
            start=dt.datetime.combine(self.start, dt.time(), TZ),
            end=dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), TZ),
        )
        return held["sessions"]


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.01")) if whole else None


# What each counter counts, for the detail line under a rate ("办结 12 件 / 受理 13 件").
COUNTER_WORDS = {
    "received": "受理",
    "closed": "办结",
    "closed_on_time": "按时办结",
    "satisfied": "满意",
    "basic": "基本满意",
    "rated": "评价",
    "reopened": "重办",
    "resolved": "回单",
}


def _rate(code: str) -> Callable[[Source], Figure]:
    """A rate as `cases.rates.RATES` defines it, in percent."""
    from doorstep.cases.rates import RATES

    rate = RATES[code]

    def read(src: Source) -> Figure:
        r = src.rates
        a = sum(int(r[n]) for n in rate.numerator)
        b = int(r[rate.denominator])
        part = "及".join(COUNTER_WORDS[n] for n in rate.numerator)
        return Figure(_share(a, b), f"{part} {a} 件 / {COUNTER_WORDS[rate.denominator]} {b} 件")

    return read


def _overdue(src: Source) -> Figure:
    """A month that has ended counts what was overdue at its end (replayed from the case
    events, `overdue.py`); the running month counts today's flags."""
    from django.utils import timezone

    from doorstep.cases.models import Case

    if src.end >= timezone.localdate():
        n = Case.objects.overdue().filter(territory_path__startswith=src.org.path).count()
        return Figure(Decimal(n), f"当前已超期 {n} 件")
    from .overdue import month_end, overdue_count

    n = overdue_count(src.org, month_end(src.end))
    return Figure(Decimal(n), f"{src.end.month}月末超期未办结 {n} 件")


def _link_coverage(src: Source) -> Figure:
    s = src.service
    linked, visited = s["linked_households"], s["visited_households"]
    return Figure(_share(visited, linked), f"走访 {visited} 户 / 联系户 {linked} 户")


def _posts_filled(src: Source) -> Figure:
    s = src.service
    filled, slots = s["posts_filled"], s["post_slots"]
    return Figure(_share(filled, slots), f"在岗 {filled} 人 / 岗位名额 {slots} 个")


def _volunteer_hours(src: Source) -> Figure:
    hours = Decimal(src.service["verified_hours"])
    return Figure(hours, f"已核验服务 {hours} 小时（{src.service['served']} 人次）")


def _activities(src: Source) -> Figure:
    return Figure(Decimal(src.sessions), f"开展活动 {src.sessions} 场次")


def _grid_branch(src: Source) -> Figure:
    from doorstep.atlas.organisations.models import Kind, Organisation

    grids = Organisation.objects.filter(path__startswith=src.org.path, kind=Kind.GRID)
    total = grids.count()
    built = grids.filter(children__kind=Kind.GRID_BRANCH).distinct().count()
    if src.org.kind == Kind.GRID:
        return Figure(Decimal(built), "已建网格党支部" if built else "未建网格党支部")
    return Figure(Decimal(built), f"已建支部网格 {built} 个 / 网格 {total} 个")


@dataclass(frozen=True)
class Spec:
    label: str
    unit: str
    direction: str  # "higher" or "lower"
    target: Decimal
    read: Callable[[Source], Figure]


REGISTRY: dict[str, Spec] = {
    "closing_rate": Spec("办结率", "%", "higher", Decimal(95), _rate("closing_rate")),
    "on_time_rate": Spec("按时办结率", "%", "higher", Decimal(90), _rate("on_time_rate")),
    "satisfaction_rate": Spec("满意率", "%", "higher", Decimal(95), _rate("satisfaction_rate")),
    "reopen_rate": Spec("重办率", "%", "lower", Decimal(5), _rate("reopen_rate")),
    "overdue": Spec("超期件数", "件", "lower", Decimal(1), _overdue),
    "link_coverage": Spec("联系户走访率", "%", "higher", Decimal(80), _link_coverage),
    "posts_filled": Spec("岗位认领率", "%", "higher", Decimal(90), _posts_filled),
    "volunteer_hours": Spec("志愿服务时长", "小时", "higher", Decimal(20), _volunteer_hours),
    "activities": Spec("活动场次", "场", "higher", Decimal(2), _activities),
    "grid_branch": Spec("网格党支部", "个", "higher", Decimal(1), _grid_branch),
}

CODE_CHOICES = [(code, spec.label) for code, spec in REGISTRY.items()]


def read(code: str, src: Source) -> Figure:
    return REGISTRY[code].read(src)
