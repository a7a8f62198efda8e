"""The 15-minute service circle page (15分钟党群便民服务圈) for staff.

Staff choose site kinds, minutes, walking speed and how many new sites to suggest; the
coverage is computed synchronously for the buildings they may see (a street is small: a
few hundred milliseconds), drawn on a Leaflet map without outside tiles, and summed up per
community and grid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from doorstep.accounts.scopes import scope_of
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Building
from doorstep.nearby.circle.coverage import CoverageResult, coverage_for, suggest_sites
from doorstep.nearby.circle.errors import CircleError
from doorstep.nearby.circle.models import RoadNetwork
from doorstep.nearby.circle.store import load_network
from doorstep.nearby.sites.models import ServiceSite, SiteKind

from .views_circle_runs import latest_run

DEFAULT_KINDS = (SiteKind.CENTRE, SiteKind.STATION)
DEFAULT_MINUTES = 15.0
DEFAULT_SPEED = 4.5
DEFAULT_K = 3
FARTHEST_SHOWN = 10
ROAD_MARGIN_DEG = 0.005  # roads drawn this far around the buildings and sites in view
COORD_SCALE = 100_000  # roads are sent as integer offsets of 1e-5 degrees (about 1 m)


@dataclass
class Params:
    kinds: list[str]
    minutes: float
    speed: float
    k: int


class BadInput(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _may_view(user: Any) -> bool:
    if not (user.has_perm("sites.view_servicesite") or user.has_perm("cases.view_case")):
        return False
    scope = scope_of(user)
    return scope.everything or bool(scope.paths)  # staff only: residents hold a self scope


def _number(raw: str | None, default: float, label: str, low: float, high: float) -> float:
    if raw is None or raw.strip() == "":
        return default
    if "\x00" in raw:
        raise BadInput(f"{label}含有非法字符。")
    try:
        value = float(raw.strip())
    except ValueError:
        raise BadInput(f"{label}须为数字。") from None
    if not np.isfinite(value) or not low <= value <= high:
        raise BadInput(f"{label}应在 {low:g} 到 {high:g} 之间。")
    return value


def _params(request: HttpRequest, data: Any = None) -> Params:
    data = request.GET if data is None else data
    raw_kinds = data.getlist("kind")
    if any("\x00" in k for k in raw_kinds):
        raise BadInput("阵地类型含有非法字符。")
    kinds = [k for k in raw_kinds if k]
    unknown = [k for k in kinds if k not in SiteKind.values]
    if unknown:
        raise BadInput("未知的阵地类型。")
    minutes = _number(data.get("minutes"), DEFAULT_MINUTES, "服务圈时间（分钟）", 1, 120)
    speed = _number(data.get("speed"), DEFAULT_SPEED, "步行速度（公里/小时）", 0.5, 15)
    k = _number(data.get("k"), DEFAULT_K, "建议站点数", 1, 20)
    if k != int(k):
        raise BadInput("建议站点数须为整数。")
    return Params(kinds or [str(x) for x in DEFAULT_KINDS], minutes, speed, int(k))


def _roads(network: RoadNetwork, box: tuple[float, float, float, float]) -> dict[str, Any]:
    """The network's edges inside the box, compactly: node offsets and index pairs."""
    net = load_network(network)
    south, west, north, east = box
    inside = (
        (net.lat >= south - ROAD_MARGIN_DEG)
        & (net.lat <= north + ROAD_MARGIN_DEG)
        & (net.lon >= west - ROAD_MARGIN_DEG)
        & (net.lon <= east + ROAD_MARGIN_DEG)
    )
    u, v, _ = net.edges()
    keep = inside[u] | inside[v]
    u, v = u[keep], v[keep]
    used = np.unique(np.concatenate([u, v]))
    remap = np.full(net.node_count, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    lat0, lon0 = (round(float(south), 5), round(float(west), 5)) if len(used) else (0.0, 0.0)
    return {
        "lat0": lat0,
        "lon0": lon0,
        "scale": COORD_SCALE,
        "lat": np.rint((net.lat[used] - lat0) * COORD_SCALE).astype(int).tolist(),
        "lon": np.rint((net.lon[used] - lon0) * COORD_SCALE).astype(int).tolist(),
        "edges": np.column_stack([remap[u], remap[v]]).ravel().tolist(),
    }


def _names(result: CoverageResult) -> dict[int, str]:
    ids = {a.org_id for a in [*result.grids, *result.communities] if a.org_id is not None}
    names = Organisation.objects.outside_door("the names of the areas on a coverage figure")
    return dict(names.filter(pk__in=ids).values_list("id", "name"))


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "nearby/circle.html", context, status=status)


@login_required
def circle(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not _may_view(user):
        raise PermissionDenied("只有街道、社区和网格工作人员可以查看服务圈覆盖")
    context: dict[str, Any] = {
        "kinds": SiteKind.choices,
        "chosen": [str(x) for x in DEFAULT_KINDS],
        "minutes": DEFAULT_MINUTES,
        "speed": DEFAULT_SPEED,
        "k": DEFAULT_K,
    }
    try:
        params = _params(request)
    except BadInput as exc:
        context["error"] = exc.message
        return _render(request, context, status=400)
    context.update(chosen=params.kinds, minutes=params.minutes, speed=params.speed, k=params.k)
    network = RoadNetwork.objects.first()
    if network is None:
        context["no_network"] = True
        return _render(request, context, status=409)
    context["network"] = network
    context.update(latest_run(user, network))
    buildings = Building.objects.visible_to(user)
    sites = list(
        ServiceSite.objects.visible_to(user)
        .filter(active=True, kind__in=params.kinds, lat__isnull=False, lon__isnull=False)
        .order_by("id")
    )
    tuples = [(s.pk, float(s.lat or 0.0), float(s.lon or 0.0)) for s in sites]
    try:
        if not tuples:
            context["no_sites"] = True
            result = None
        else:
            result = coverage_for(
                network, tuples, params.minutes, params.speed, buildings=buildings
            )
        suggestions = suggest_sites(result, network, params.k) if result is not None else []
    except CircleError as exc:
        context["error"] = exc.message
        return _render(request, context, status=400)
    if result is None:
        return _render(request, context)
    names = _names(result)
    by_id = {b.building_id: b for b in result.buildings}
    site_names = {s.pk: s.name for s in sites}
    lats = [b.lat for b in result.buildings] + [t[1] for t in tuples]
    lons = [b.lon for b in result.buildings] + [t[2] for t in tuples]
    box = (min(lats), min(lons), max(lats), max(lons))
    map_data = {
        "roads": _roads(network, box),
        # [lat, lon, state (0 covered, 1 not covered, 2 far from any road), name, minutes]
        "buildings": [
            [
                round(b.lat, 6),
                round(b.lon, 6),
                2 if b.far_from_road else (0 if b.covered else 1),
                b.name,
                None if b.minutes is None else round(b.minutes, 1),
            ]
            for b in result.buildings
        ],
        "sites": [[t[1], t[2], site_names[t[0]]] for t in tuples],
        "suggestions": [[round(s.lat, 6), round(s.lon, 6), s.gain_households] for s in suggestions],
        "attribution": "© OpenStreetMap contributors",
    }
    farthest = [
        {"b": b, "grid": names.get(b.grid_id, ""), "site": site_names.get(b.site_id or 0, "")}
        for b in result.farthest[:FARTHEST_SHOWN]
    ]
    picks = [
        {
            "n": i,
            "s": s,
            "gain": int(round(s.gain_households)),
            "name": by_id[s.key].name if s.key in by_id else f"{s.lat:.5f}, {s.lon:.5f}",
        }
        for i, s in enumerate(suggestions, 1)
    ]
    context.update(
        result=result,
        sites=sites,
        farthest=farthest,
        picks=picks,
        map_data=map_data,
    )
    return _render(request, context)
