"""The honour ranking as an Excel download (导出荣誉榜): the rows the ranking page shows for
the same organisation, list and period, to the same people, audited (`core.xlsx.export`).

Names appear as the page shows them (in full); the file carries no phone or ID-card
number: a ranking entry holds only a name and figures."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from doorstep.core import xlsx
from doorstep.service import honours
from doorstep.service.errors import ServiceError
from doorstep.service.models import HonourKind

from .views_honours import _bad, _org, _query, _start_text, shown

HEADER = ["名次", "姓名", "积分", "服务时长（小时）", "服务人次"]


def shown_entries(user: Any, org: Any, kind: str, period: str, start: Any) -> list[Any]:
    """The table of the ranking page: the top places and, below them, the viewer's own."""
    top, mine = shown(user, org, kind, period, start)
    return top + [mine] if mine is not None and mine not in top else top


@login_required
@require_GET
def export_ranking(request: HttpRequest) -> HttpResponse:
    """导出Excel of /service/honours/ with the same org, kind, period and start."""
    user: Any = request.user
    try:
        kind, period, start = _query(request.GET)
        org = _org(user, request.GET.get("org"))
    except ServiceError as exc:
        return _bad(request, exc)
    if org is None:
        raise Http404("还没有关联到社区，没有可导出的榜单")
    label = honours.period_label(period, start)
    kind_label = HonourKind(kind).label
    entries = shown_entries(user, org, kind, period, start)
    return xlsx.export(
        actor=user,
        what="serve:honours",
        title=f"{org.name} {kind_label} · {label}",
        header=HEADER,
        rows=([e.rank, e.name, e.points, e.hours, e.served] for e in entries),
        name=f"{org.name}-{kind_label}-{_start_text(period, start)}",
        target=org,
        detail={
            "kind": kind,
            "period": period,
            "start": _start_text(period, start),
            "fields": ["name"],
        },
    )
