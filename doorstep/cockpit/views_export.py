"""Export a cockpit table to Excel (openpyxl): the children compared, top categories, the
daily trend. Figures only (no personal data); every export is audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from doorstep.atlas.organisations.models import ADMIN_KINDS
from doorstep.cases.rates import rates_for
from doorstep.core import xlsx

from . import access
from .panels import Period, cases
from .views import BadPeriod, period_from

RATE_COLUMNS = (
    ("received", "受理"),
    ("closed", "办结"),
    ("closing_rate", "办结率"),
    ("on_time_rate", "按时办结率"),
    ("satisfaction_rate", "满意率"),
    ("reopen_rate", "重办率"),
    ("avg_handling_hours", "平均办理（小时）"),
)
TABLES = {"compare": "下级对比", "categories": "诉求类别", "trend": "每日受理与办结"}


def _rows(table: str, org: Any, period: Period) -> tuple[list[str], list[list[Any]]]:
    if table == "compare":
        header = ["名称"] + [label for _, label in RATE_COLUMNS]
        rows = []
        for child in org.children.filter(kind__in=ADMIN_KINDS).order_by("name"):
            rates = rates_for(child, period.start, period.end)
            rows.append([child.name] + [rates.get(code) for code, _ in RATE_COLUMNS])
        return header, rows
    figures = cases(org, period)
    if table == "categories":
        return ["诉求类别", "件数"], [list(r) for r in figures["top_categories"]]
    return ["日期", "受理", "办结"], [list(r) for r in figures["trend"]]


@login_required
def export(request: HttpRequest, pk: int, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404("没有这张表")
    org = access.node(request.user, pk)
    try:
        period = period_from(request)
    except BadPeriod as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    header, rows = _rows(table, org, period)
    percent = []
    if table == "compare":
        percent = [i for i, (code, _) in enumerate(RATE_COLUMNS, 1) if code.endswith("_rate")]
    return xlsx.export(
        actor=request.user,
        what=f"cockpit:{table}",
        title=f"{org.name} {TABLES[table]}（{period.start} 至 {period.end}）",
        header=header,
        rows=rows,
        name=f"{org.name}-{TABLES[table]}",
        target=org,
        detail={"start": str(period.start), "end": str(period.end)},
        percent_columns=percent,
    )
