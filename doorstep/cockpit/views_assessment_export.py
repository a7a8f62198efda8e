"""The assessment results as Excel (考核结果导出): per organisation its rank, each indicator's
figure and points, the total and the board it is on. Organisation figures only (no personal
data); the export is audited (`core.xlsx.export`). Same `?card=&month=` as the page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from doorstep.core import xlsx

from . import access
from .assessment import Row, assess
from .indicators import REGISTRY
from .models import Indicator, Scorecard
from .scorecards import ScorecardError
from .views_assessment import chosen

BOARDS = {"red": "红榜", "black": "黑榜"}


def table(card: Scorecard, rows: list[Row]) -> tuple[list[str], list[list[Any]]]:
    """The header and rows: 排名, 名称, per indicator 实际值 and 得分, 总分, 红黑榜."""
    indicators: list[Indicator] = list(card.indicators.order_by("order", "pk"))
    header = ["排名", "名称"]
    for i in indicators:
        spec = REGISTRY[i.code]
        unit = f"（{spec.unit}）"
        header += [f"{spec.label}{unit}", f"{spec.label}得分（满分 {i.weight.normalize():f}）"]
    header += ["总分", "红黑榜"]
    out = []
    for row in rows:
        line: list[Any] = [row.rank, row.org.name]
        for cell in row.cells:
            value = cell.figure.value
            line += ["无数据" if value is None else value, cell.points]
        line += [row.total, BOARDS.get(row.board, "")]
        out.append(line)
    return header, out


@login_required
def assessment_export(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.node(request.user, pk)
    try:
        _, card, month = chosen(request, org)
    except ScorecardError as exc:
        return render(request, "cockpit/error.html", {"error": exc.message}, status=400)
    header, rows = table(card, assess(card, org, month))
    label = f"{month.year}年{month.month}月"
    return xlsx.export(
        actor=request.user,
        what="cockpit:assessment",
        title=f"{org.name} {card.name} 考核结果（{label}）",
        header=header,
        rows=rows,
        name=f"{org.name}-{label}考核结果",
        target=org,
        detail={"card": card.pk, "month": f"{month:%Y-%m}"},
    )
