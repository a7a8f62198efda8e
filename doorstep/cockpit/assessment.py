"""Monthly assessment (考核) of the organisations of a scorecard's level under a node.

For each organisation O of the scorecard's level under the parent node (e.g. every grid of
a community or of a street) and each indicator i of the card, with v = i's value for O over
the month (see `indicators`), t = its target and w = its weight:

    attainment = min(v / t, 1)              when higher is better (t = 0 → 1)
    attainment = min(t / v, 1)              when lower is better  (v = 0 → 1)
    attainment = 0                          when v is None (无数据: nothing to divide by)
    points     = w × attainment             (rounded to 0.01)
    total(O)   = Σ points

Ranks are dense by total, highest first (equal totals share a rank). 红榜 holds the first
three rows and 黑榜 the last three, each widened to rows tied with its edge, when there are
more than six rows; with six or fewer there is no 黑榜 and 红榜 holds the rows ranked first.
A row whose total is 0 is never on 红榜, and none is on both.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from doorstep.atlas.organisations.models import Organisation

from .indicators import REGISTRY, Figure, Source
from .models import Direction, Indicator, Scorecard

ONE = Decimal(1)
CENT = Decimal("0.01")
BOARD_SIZE = 3


@dataclass
class Cell:
    indicator: Indicator
    figure: Figure
    attainment: Decimal
    points: Decimal

    @property
    def label(self) -> str:
        return REGISTRY[self.indicator.code].label

    @property
    def unit(self) -> str:
        return REGISTRY[self.indicator.code].unit

    @property
    def shown(self) -> str:
        """The value with its unit ("96.5%", "3 件"), or 无数据."""
        return _shown(self.figure.value, self.unit)

    @property
    def target_shown(self) -> str:
        return _shown(self.indicator.target, self.unit)

    @property
    def attainment_shown(self) -> str:
        if self.figure.value is None:
            return "—"
        return f"{(self.attainment * 100).quantize(Decimal('0.1'))}%"


def _shown(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "无数据"
    text = f"{value.quantize(CENT).normalize():f}"
    return f"{text}%" if unit == "%" else f"{text} {unit}"


@dataclass
class Row:
    org: Organisation
    cells: list[Cell]
    total: Decimal
    rank: int = 0
    board: str = ""  # "red" (红榜), "black" (黑榜) or ""


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


def attainment(value: Decimal | None, target: Decimal, direction: str) -> Decimal:
    if value is None:
        return Decimal(0)
    if direction == Direction.LOWER:
        if value <= 0:
            return ONE
        return min(target / value, ONE)
    if target <= 0:
        return ONE
    return min(max(value, Decimal(0)) / target, ONE)


def score(indicator: Indicator, figure: Figure) -> Cell:
    got = attainment(figure.value, indicator.target, indicator.direction)
    points = (indicator.weight * got).quantize(CENT, rounding=ROUND_HALF_UP)
    return Cell(indicator, figure, got, points)


def subjects(scorecard: Scorecard, parent: Organisation) -> list[Organisation]:
    """The organisations the card scores under the parent (never the parent itself)."""
    return list(
        Organisation.objects.filter(path__startswith=parent.path, kind=scorecard.level)
        .exclude(pk=parent.pk)
        .order_by("path")
    )


def assess(scorecard: Scorecard, parent_org: Organisation, month: dt.date) -> list[Row]:
    start, end = month_bounds(month)
    indicators = list(scorecard.indicators.order_by("order", "pk"))
    rows = []
    for org in subjects(scorecard, parent_org):
        src = Source(org, start, end)
        cells = [score(i, REGISTRY[i.code].read(src)) for i in indicators]
        rows.append(Row(org, cells, sum((c.points for c in cells), Decimal(0))))
    rank_rows(rows)
    return rows


def rank_rows(rows: list[Row]) -> None:
    """Sort by total (then name), set dense ranks and the 红黑榜, in place."""
    rows.sort(key=lambda r: (-r.total, r.org.name))
    rank, last = 0, None
    for row in rows:
        if row.total != last:
            rank, last = rank + 1, row.total
        row.rank = rank
    if not rows:
        return
    if len(rows) > 2 * BOARD_SIZE:
        red_edge = rows[BOARD_SIZE - 1].total
        black_edge = rows[-BOARD_SIZE].total
        for row in rows:
            if row.total >= red_edge and row.total > 0:
                row.board = "red"
        for row in rows:
            if row.total <= black_edge and not row.board:
                row.board = "black"
    else:
        for row in rows:
            if row.rank == 1 and row.total > 0:
                row.board = "red"
