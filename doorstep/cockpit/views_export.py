"""Export a cockpit table to Excel (openpyxl): the children compared, top categories, the
daily trend. Figures only (no personal data); every export is audited."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from doorstep.cases.rates import rates_for
from doorstep.core import audit
from doorstep.organisations.models import ADMIN_KINDS

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
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = TABLES[table][:31]
    sheet.append([f"{org.name} {TABLES[table]}（{period.start} 至 {period.end}）"])
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    rate_cols = [i for i, (code, _) in enumerate(RATE_COLUMNS, 2) if code.endswith("_rate")]
    if table == "compare":
        for row_cells in sheet.iter_rows(min_row=3):
            for i in rate_cols:
                row_cells[i - 1].number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(
        actor=request.user,
        action="export",
        target=org,
        detail={"what": f"cockpit:{table}", "start": str(period.start), "end": str(period.end)},
    )
    name = f"{org.name}-{TABLES[table]}-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f"attachment; filename=\"cockpit.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
