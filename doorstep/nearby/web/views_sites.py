"""Service site pages: the list and map, a site with its week and rooms, "nearest station".

Every query starts at `ServiceSite.objects.visible_to(user)`; a site outside it is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from scipy.sparse.csgraph import dijkstra

from doorstep.atlas.organisations.models import Organisation
from doorstep.cases.locating import home_building
from doorstep.nearby.circle.engine import (
    DEFAULT_MINUTES,
    DEFAULT_SPEED_KMH,
    MAX_SNAP_M,
    haversine_m,
    metres_per_minute,
)
from doorstep.nearby.circle.models import RoadNetwork
from doorstep.nearby.circle.store import load_network
from doorstep.nearby.sites.hours import TZ, hours_on, is_public_holiday
from doorstep.nearby.sites.models import (
    Booking,
    OpeningHours,
    ServiceKind,
    ServiceSite,
    SiteKind,
    SpecialDay,
)
from doorstep.nearby.sites.scoping import member_org_ids

WEEKDAYS = "一二三四五六日"


def visible_sites(request: HttpRequest) -> Any:
    return ServiceSite.objects.visible_to(request.user).select_related("organisation", "territory")


def get_site(request: HttpRequest, pk: int) -> ServiceSite:
    site = visible_sites(request).filter(pk=pk).first()
    if site is None:
        raise Http404("服务阵地不存在或无权查看")
    return site


def _open_ids(qs: Any) -> set[int]:
    return set(qs.open_now().values_list("pk", flat=True))


def _home_point(user: Any) -> tuple[Any, float | None, float | None]:
    building = home_building(user)
    if building is None or building.lat is None or building.lon is None:
        return building, None, None
    return building, float(building.lat), float(building.lon)


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    qs = visible_sites(request).prefetch_related("services")
    kind = request.GET.get("kind") or ""
    service = request.GET.get("service") or ""
    open_only = request.GET.get("open") == "1"
    if kind in SiteKind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    services = list(ServiceKind.objects.filter(active=True))
    if service in {s.code for s in services}:
        qs = qs.filter(services__code=service).distinct()
    else:
        service = ""
    open_ids = _open_ids(qs)
    if open_only:
        qs = qs.filter(pk__in=open_ids)
    sites = list(qs)
    building, lat, lon = _home_point(request.user)
    rows = []
    for s in sites:
        metres = None
        if lat is not None and lon is not None and s.lat is not None and s.lon is not None:
            metres = float(haversine_m(lat, lon, s.lat, s.lon))
        rows.append({"site": s, "open": s.pk in open_ids, "metres": metres})
    if lat is not None:
        rows.sort(key=lambda r: (r["metres"] is None, r["metres"] or 0.0, r["site"].name))
    points = _map_points(rows)
    home = {"lat": lat, "lon": lon, "name": building.name} if lat is not None else None
    return render(
        request,
        "nearby/site_list.html",
        {
            "rows": rows,
            "kinds": SiteKind.choices,
            "services": services,
            "kind": kind,
            "service": service,
            "open_only": open_only,
            "points": points,
            "home": home,
            "building": building,
        },
    )


@dataclass
class DayHours:
    day: dt.date
    label: str
    intervals: list[tuple[dt.time, dt.time]]
    note: str = ""
    today: bool = False


def week_of(site: ServiceSite, room: Any = None) -> list[DayHours]:
    today = timezone.localdate()
    specials = {
        s.date: s
        for s in SpecialDay.objects.filter(
            site=site, room__isnull=True, date__gte=today, date__lt=today + dt.timedelta(days=7)
        )
    }
    days = []
    for i in range(7):
        day = today + dt.timedelta(days=i)
        note = ""
        special = specials.get(day)
        if special is not None:
            note = special.note or ("闭馆" if special.closed else "特殊开放时间")
        elif is_public_holiday(day):
            note = "法定节假日" + ("，照常开放" if site.open_on_holidays else "，闭馆")
        days.append(
            DayHours(
                day=day,
                label=f"{day:%m-%d} 周{WEEKDAYS[day.weekday()]}",
                intervals=hours_on(site, day, room),
                note=note,
                today=i == 0,
            )
        )
    return days


def booking_organisations(user: Any) -> Any:
    """The organisations the user may book for: those they are an active member of."""
    mine = Organisation.objects.outside_door("the organisations the user belongs to")
    return mine.filter(pk__in=member_org_ids(user)).order_by("path")


def site_context(request: HttpRequest, site: ServiceSite, **extra: Any) -> dict[str, Any]:
    rooms = list(site.rooms.filter(active=True))
    own_hours = set(
        OpeningHours.objects.filter(room__in=rooms).values_list("room_id", flat=True).distinct()
    )
    # A room with hours of its own (a dance room open evenings only …) shows its own week.
    room_weeks = [(r, week_of(site, r)) for r in rooms if r.pk in own_hours]
    user: Any = request.user
    mine = (
        Booking.objects.visible_to(user)
        .filter(booker=user, room__site=site, end__gt=timezone.now())
        .select_related("room")
        .order_by("start")[:20]
    )
    context: dict[str, Any] = {
        "site": site,
        "services": list(site.services.all()),
        "week": week_of(site),
        "open_now": site.pk in _open_ids(ServiceSite.objects.visible_to(user).filter(pk=site.pk)),
        "rooms": rooms,
        "room_weeks": room_weeks,
        "mine": mine,
        "organisations": list(booking_organisations(user)),
        "photos": list(site.photos.all()[:6]),
        "form": {},
        "today": timezone.localdate().isoformat(),
    }
    context.update(extra)
    return context


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_site(request, pk)
    return render(request, "nearby/site_detail.html", site_context(request, site))


# -- nearest station -------------------------------------------------------------------


@dataclass
class Nearest:
    mode: str  # "network", "straight", "none"
    reason: str = ""
    network: Any = None
    speed_kmh: float = DEFAULT_SPEED_KMH
    minutes: float = DEFAULT_MINUTES
    rows: list[dict[str, Any]] = field(default_factory=list)


def _straight(lat: float, lon: float, sites: list[ServiceSite], budget: float) -> list[Any]:
    out = []
    mpm = metres_per_minute(DEFAULT_SPEED_KMH)
    for s in sites:
        metres = float(haversine_m(lat, lon, float(s.lat or 0.0), float(s.lon or 0.0)))
        if metres <= budget:
            out.append((s, metres, metres / mpm))
    return out


def _walking(
    net: Any, lat: float, lon: float, sites: list[ServiceSite], speed: float, budget: float
) -> list[Any] | None:
    """Walking metres from the home building to each site within the budget (None when the
    building is farther than MAX_SNAP_M from every road)."""
    home_node, home_snap = net.snap([lat], [lon])
    if float(home_snap[0]) > MAX_SNAP_M:
        return None
    if not sites:
        return []
    nodes, snaps = net.snap([s.lat for s in sites], [s.lon for s in sites])
    limit = max(budget - float(home_snap[0]), 0.0)
    dist = dijkstra(net.graph, directed=False, indices=int(home_node[0]), limit=limit)
    mpm = metres_per_minute(speed)
    out = []
    for s, node, snap in zip(sites, nodes, snaps, strict=True):
        if snap > MAX_SNAP_M:
            continue
        metres = float(home_snap[0]) + float(dist[int(node)]) + float(snap)
        if np.isfinite(metres) and metres <= budget:
            out.append((s, metres, metres / mpm))
    return out


def _map_points(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sites of a list as markers for static/js/site-map.js."""
    return [
        {
            "lat": r["site"].lat,
            "lon": r["site"].lon,
            "name": r["site"].name,
            "open": r["open"],
            "url": reverse("nearby:site", args=[r["site"].pk]),
        }
        for r in rows
        if r["site"].lat is not None and r["site"].lon is not None
    ]


@login_required
def nearest(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or ""
    qs = visible_sites(request).filter(active=True, lat__isnull=False, lon__isnull=False)
    if kind in SiteKind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    open_only = request.GET.get("open") == "1"
    if open_only:
        qs = qs.open_now()
    building, lat, lon = _home_point(request.user)
    result = Nearest(mode="none")
    if lat is None or lon is None:
        result.reason = (
            "您的账号还没有关联住址楼栋（或楼栋没有坐标），请联系社区登记后再查看。"
            if building is None
            else f"您所在的{building.name}还没有标注位置，暂时无法计算距离。"
        )
    else:
        sites = list(qs.prefetch_related("services"))
        rn = RoadNetwork.objects.order_by("-created_at", "-id").first()
        found = None
        if rn is not None:
            speed = float(rn.walking_speed_kmh) or DEFAULT_SPEED_KMH
            budget = DEFAULT_MINUTES * metres_per_minute(speed)
            found = _walking(load_network(rn), lat, lon, sites, speed, budget)
            if found is not None:
                result.mode, result.network, result.speed_kmh = "network", rn, speed
            else:
                result.reason = "您的楼栋离已导入的路网太远，以下按直线距离估算。"
        else:
            result.reason = "尚未导入路网，以下按直线距离、步行速度4.5公里/小时估算。"
        if found is None:
            result.mode = "straight"
            found = _straight(lat, lon, sites, DEFAULT_MINUTES * metres_per_minute(4.5))
        open_ids = _open_ids(
            ServiceSite.objects.visible_to(request.user).filter(pk__in=[s.pk for s, _, _ in found])
        )
        result.rows = [
            {
                "site": s,
                "metres": round(m),
                "minutes": max(1, round(t)),
                "open": s.pk in open_ids,
            }
            for s, m, t in sorted(found, key=lambda x: (x[1], x[0].name))
        ]
    return render(
        request,
        "nearby/nearest.html",
        {
            "result": result,
            "building": building,
            "points": _map_points(result.rows),
            "home": {"lat": lat, "lon": lon, "name": building.name}
            if building is not None and lat is not None
            else None,
            "kind": kind,
            "open_only": open_only,
            "kinds": SiteKind.choices,
            "now": timezone.now().astimezone(TZ),
        },
    )
