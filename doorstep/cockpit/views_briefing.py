"""The monthly briefing (工作简报) of a node: an HTML page and a Word download (audited).

`?month=YYYY-MM` picks the month (default: this month, "截至今日"); a malformed month or one
not yet begun is refused with a message and nothing is written.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation
from doorstep.core import audit

from . import access
from .briefing import Briefing, BriefingError, compose, draw, render_docx

MONTH = re.compile(r"(\d{4})-(\d{1,2})")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def month_from(request: HttpRequest, today: dt.date) -> dt.date:
    raw = str(request.GET.get("month") or "").strip()
    if not raw:
        return today.replace(day=1)
    m = MONTH.fullmatch(raw[:10])
    try:
        if m is None:
            raise ValueError
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise BriefingError("月份格式应为 年-月，例如 2026-05") from None


def _compose(request: HttpRequest, pk: int) -> tuple[Organisation, Briefing | None, str]:
    """The node (404 when out of scope) and its briefing, or the reason there is none."""
    org = access.node(request.user, pk)
    today = timezone.localdate()
    try:
        return org, compose(org, month_from(request, today), today), ""
    except BriefingError as exc:
        return org, None, str(exc)


@login_required
def briefing(request: HttpRequest, pk: int) -> HttpResponse:
    org, found, error = _compose(request, pk)
    if found is None:
        return render(request, "cockpit/error.html", {"error": error}, status=400)
    charts = [(chart, base64.b64encode(draw(chart)).decode("ascii")) for chart in found.charts]
    context = {
        "org": org,
        "b": found,
        "charts": charts,
        "month": f"{found.period.start:%Y-%m}",
    }
    return render(request, "cockpit/briefing.html", context)


@login_required
def briefing_docx(request: HttpRequest, pk: int) -> HttpResponse:
    org, found, error = _compose(request, pk)
    if found is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    content = render_docx(found)
    audit.record(
        actor=request.user,
        action="export",
        target=org,
        detail={"what": "cockpit:briefing", "month": f"{found.period.start:%Y-%m}"},
    )
    start = found.period.start
    name = f"{org.name}-{start.year}年{start.month}月工作简报.docx"
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"briefing-{start:%Y-%m}.docx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
