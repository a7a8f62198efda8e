"""Where a case is: from a building, a point on the map, or an address, to its grid."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Building
from doorstep.core.search import normalise_query

from .errors import CaseError

# A point further than this from every mapped building is outside every grid.
MAX_POINT_DISTANCE_M = 300.0


class OutsideGrids(CaseError):
    pass


@dataclass(frozen=True)
class Location:
    territory: Organisation
    building: Building | None = None
    address: str = ""
    lat: float | None = None
    lon: float | None = None


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lat2 - lat1) * 111_320, (lon2 - lon1) * 111_320 * k)


def nearest_building(lat: float, lon: float) -> Building | None:
    """The mapped building nearest to a point, if it is within MAX_POINT_DISTANCE_M."""
    box = MAX_POINT_DISTANCE_M / 111_320 * 1.5
    candidates = Building.objects.filter(
        lat__range=(lat - box, lat + box), lon__range=(lon - box * 1.4, lon + box * 1.4)
    ).select_related("grid__parent")
    best, best_d = None, MAX_POINT_DISTANCE_M
    for b in candidates:
        if b.lat is None or b.lon is None:
            continue
        d = _metres(lat, lon, b.lat, b.lon)
        if d <= best_d:
            best, best_d = b, d
    return best


def building_by_address(text: str) -> Building | None:
    q = normalise_query(text)
    if not q or len(q) < 2:
        return None
    for b in Building.objects.select_related("grid__parent").order_by("-name"):
        if b.name and b.name in text:
            return b
    return None


def locate(
    *,
    building: Building | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    fallback: Organisation | None = None,
) -> Location:
    """Resolve to a territory or raise OutsideGrids with a message for the user."""
    address = (address or "").strip()
    if (lat is not None or lon is not None) and (
        lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        raise OutsideGrids("坐标无效")
    if building is not None:
        return Location(
            building.grid,
            building,
            address or building.address or building.name,
            lat if lat is not None else building.lat,
            lon if lon is not None else building.lon,
        )
    if lat is not None and lon is not None:
        found = nearest_building(lat, lon)
        if found is None:
            raise OutsideGrids("该位置不在任何网格内，请在地图上重新选择或填写楼栋")
        return Location(found.grid, found, address or found.address or found.name, lat, lon)
    if address:
        found = building_by_address(address)
        if found is not None:
            return Location(found.grid, found, address, found.lat, found.lon)
    if fallback is not None and fallback.kind in (Kind.GRID, Kind.COMMUNITY, Kind.STREET):
        return Location(fallback, None, address)
    raise OutsideGrids("无法确定位置所在网格，请选择楼栋或在地图上标出位置")


def home_building(user: Any) -> Building | None:
    """The building of the resident record linked to this user, if any."""
    from doorstep.atlas.people.models import Resident

    if not getattr(user, "is_authenticated", False):
        return None
    r = (
        Resident.objects.filter(user=user)
        .select_related("household__unit__building__grid__parent")
        .first()
    )
    return r.household.unit.building if r and r.household_id else None
