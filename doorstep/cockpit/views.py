"""The cockpit pages: a node's five panels for a period, its children side by side, and a
full-screen mode for the big screen (大屏) that refreshes itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from doorstep.atlas.organisations.models import ADMIN_KINDS
from doorstep.nearby.sites.models import SiteKind

from . import access
from .gridmap import grid_map
from .panels import Period, cockpit, rates_kept

MAX_DAYS = 366 * 5
REFRESH_SECONDS = 60


class BadPeriod(Exception):
    pass


def period_from(request: HttpRequest) -> Period:
    today = timezone.localdate()
    raw_start = str(request.GET.get("start") or "")[:10]
    raw_end = str(request.GET.get("end") or "")[:10]
    try:
        start = dt.date.fromisoformat(raw_start) if raw_start else today.replace(day=1)
        end = dt.date.fromisoformat(raw_end) if raw_end else today
    except ValueError:
        raise BadPeriod("日期格式应为 年-月-日") from None
    if end < start:
        raise BadPeriod("截止日期不能早于起始日期")
    if (end - start).days > MAX_DAYS:
        raise BadPeriod("时段最长五年")
    return Period(start, end)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not access.may_open(request.user):
        raise PermissionDenied("驾驶舱供街道、社区、网格工作人员使用")
    roots = access.roots(request.user)
    if not roots:
        raise PermissionDenied("没有可查看的辖区")
    return redirect("cockpit:node", pk=roots[0].pk)


@login_required
def node(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.node(request.user, pk)
    try:
        period = period_from(request)
    except BadPeriod as exc:
        return render(request, "cockpit/error.html", {"error": str(exc)}, status=400)
    figures = cockpit(org, period, timezone.localdate())
    children = list(org.children.filter(kind__in=ADMIN_KINDS).defer("outline").order_by("name"))
    last_year = _a_year_before(period)
    now = rates_kept(children, period)
    before = rates_kept([org, *children], last_year)
    compare = [
        {"org": child, "rates": now[child.pk], "last_year": before[child.pk]} for child in children
    ]
    own_last_year = before[org.pk]
    charts = {
        "trend": figures["cases"]["trend"],
        "step": figures["cases"]["trend_step"],
        "top": figures["cases"]["top_categories"],
        "ages": list(figures["population"]["age_bands"].items()),
        "sites": [
            (str(SiteKind(k).label) if k in SiteKind.values else k, n)
            for k, n in figures["services"]["sites_by_kind"].items()
        ],
    }
    charts["map"] = grid_map(org, period)
    screen = request.GET.get("screen") == "1"
    context: dict[str, Any] = {
        "org": org,
        "period": period,
        "f": figures,
        "compare": compare,
        "last_year": own_last_year,
        "last_year_period": last_year,
        "ancestors": _ancestors(request, org),
        "charts": charts,
        "screen": screen,
        "refresh": REFRESH_SECONDS,
    }
    return render(request, "cockpit/screen.html" if screen else "cockpit/node.html", context)


def _a_year_before(period: Period) -> Period:
    def back(day: dt.date) -> dt.date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    return Period(back(period.start), back(period.end))


def _ancestors(request: HttpRequest, org: Any) -> list[Any]:
    from doorstep.atlas.organisations.models import Organisation

    ids = [int(x) for x in org.path.strip("/").split("/")[:-1] if x]
    visible = (
        Organisation.objects.visible_to(request.user)
        .filter(pk__in=ids, kind__in=ADMIN_KINDS)
        .defer("outline")
    )
    return sorted(visible, key=lambda o: len(o.path))
