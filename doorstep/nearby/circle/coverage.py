"""Coverage of residential buildings by service sites, and suggestions for new sites.

Sites come in as (site_id, lat, lon) tuples so this module does not depend on how sites
are stored. Weights: a building counts with its households (and, beside, its residents)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, QuerySet
from scipy.spatial import cKDTree

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Building, BuildingUse, Household

from . import engine
from .errors import CircleError
from .models import CoverageRun, RoadNetwork
from .store import load_network

SiteTuple = tuple[int, float, float]
FARTHEST = 20
HOME_USES = (BuildingUse.RESIDENTIAL, BuildingUse.MIXED)


@dataclass(frozen=True)
class BuildingCoverage:
    building_id: int
    name: str
    grid_id: int
    community_id: int | None
    lat: float
    lon: float
    households: int
    residents: int
    minutes: float | None  # walking minutes to the nearest site; None beyond the search
    site_id: int | None
    covered: bool
    far_from_road: bool
    snap_m: float


@dataclass
class AreaCoverage:
    """Totals for a grid, a community or everything."""

    org_id: int | None
    name: str
    buildings: int = 0
    buildings_covered: int = 0
    households: int = 0
    households_covered: int = 0
    residents: int = 0
    residents_covered: int = 0

    def add(self, b: BuildingCoverage) -> None:
        self.buildings += 1
        self.households += b.households
        self.residents += b.residents
        if b.covered:
            self.buildings_covered += 1
            self.households_covered += b.households
            self.residents_covered += b.residents

    @property
    def household_share(self) -> float | None:
        return self.households_covered / self.households if self.households else None

    @property
    def resident_share(self) -> float | None:
        return self.residents_covered / self.residents if self.residents else None

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "household_share": self.household_share,
            "resident_share": self.resident_share,
        }


@dataclass
class CoverageResult:
    network_id: int
    minutes: float
    speed_kmh: float
    buildings: list[BuildingCoverage]
    totals: AreaCoverage
    grids: list[AreaCoverage]
    communities: list[AreaCoverage]
    farthest: list[BuildingCoverage]
    far_sites: list[int] = field(default_factory=list)  # site ids more than 500 m from a road
    unlocated_buildings: int = 0  # residential buildings without coordinates (not counted)

    def summary(self) -> dict[str, Any]:
        return {
            "network_id": self.network_id,
            "minutes": self.minutes,
            "speed_kmh": self.speed_kmh,
            "totals": self.totals.as_dict(),
            "grids": [g.as_dict() for g in self.grids],
            "communities": [c.as_dict() for c in self.communities],
            "farthest": [asdict(b) for b in self.farthest],
            "far_sites": self.far_sites,
            "unlocated_buildings": self.unlocated_buildings,
        }

    def rows(self) -> dict[str, list[Any]]:
        """Per building, compactly: parallel lists."""
        bs = self.buildings
        return {
            "id": [b.building_id for b in bs],
            "minutes": [None if b.minutes is None else round(b.minutes, 2) for b in bs],
            "site": [b.site_id for b in bs],
            "covered": [b.covered for b in bs],
            "far": [b.far_from_road for b in bs],
        }


def _check_params(
    network: RoadNetwork, minutes: float | None, speed: float | None
) -> tuple[float, float]:
    m = float(network.minutes if minutes is None else minutes)
    s = float(network.walking_speed_kmh if speed is None else speed)
    if not 0 < m <= 120:
        raise CircleError("服务圈时间应在 1 到 120 分钟之间。", field="minutes")
    if not 0.5 <= s <= 15:
        raise CircleError("步行速度应在 0.5 到 15 公里/小时之间。", field="speed")
    return m, s


def _homes(buildings: QuerySet[Building] | None) -> QuerySet[Building]:
    qs = Building.objects.all() if buildings is None else buildings
    return qs.filter(use__in=HOME_USES)


def _counts(ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    households = dict(
        Household.objects.filter(unit__building_id__in=ids)
        .values("unit__building_id")
        .annotate(n=Count("id"))
        .values_list("unit__building_id", "n")
    )
    residents = dict(
        Resident.objects.filter(household__unit__building_id__in=ids)
        .values("household__unit__building_id")
        .annotate(n=Count("id"))
        .values_list("household__unit__building_id", "n")
    )
    return households, residents


def _sites_arrays(sites: Sequence[SiteTuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    for s in sites:
        if len(s) != 3 or not (-90 <= float(s[1]) <= 90 and -180 <= float(s[2]) <= 180):
            raise CircleError(f"站点坐标无效：{s!r}", field="sites")
    ids = np.asarray([int(s[0]) for s in sites], dtype=np.int64)
    lat = np.asarray([float(s[1]) for s in sites], dtype=np.float64)
    lon = np.asarray([float(s[2]) for s in sites], dtype=np.float64)
    return ids, lat, lon


def coverage_for(
    network: RoadNetwork,
    sites: Sequence[SiteTuple],
    minutes: float | None = None,
    speed: float | None = None,
    *,
    buildings: QuerySet[Building] | None = None,
    farthest: int = FARTHEST,
) -> CoverageResult:
    """Walking time from every residential building (with coordinates) to the nearest site.

    `buildings` narrows the buildings (pass `Building.objects.visible_to(user)` for a
    user's view); by default every residential building. The search reaches twice the
    budget so the farthest buildings still get a time when they have one."""
    m, s = _check_params(network, minutes, speed)
    site_ids, site_lat, site_lon = _sites_arrays(sites)
    homes = _homes(buildings)
    unlocated = (
        homes.filter(lat__isnull=True).count()
        + homes.filter(lat__isnull=False, lon__isnull=True).count()
    )
    rows = list(
        homes.filter(lat__isnull=False, lon__isnull=False)
        .order_by("id")
        .values_list("id", "name", "grid_id", "grid__parent_id", "lat", "lon")
    )
    ids = [r[0] for r in rows]
    households, residents = _counts(ids)
    net = load_network(network)
    b_lat = np.asarray([r[4] for r in rows], dtype=np.float64)
    b_lon = np.asarray([r[5] for r in rows], dtype=np.float64)
    budget = engine.budget_m(m, s)
    times = engine.walking_times(
        net, site_lat, site_lon, b_lat, b_lon, minutes=m, speed_kmh=s, limit_m=2 * budget
    )
    per_min = engine.metres_per_minute(s)
    result_buildings: list[BuildingCoverage] = []
    for i, (bid, name, grid_id, community_id, lat, lon) in enumerate(rows):
        metres = float(times.metres[i])
        reachable = bool(np.isfinite(metres))
        result_buildings.append(
            BuildingCoverage(
                building_id=bid,
                name=name,
                grid_id=grid_id,
                community_id=community_id,
                lat=float(lat or 0.0),  # never None: filtered above
                lon=float(lon or 0.0),
                households=households.get(bid, 0),
                residents=residents.get(bid, 0),
                minutes=metres / per_min if reachable else None,
                site_id=int(site_ids[times.site[i]]) if reachable else None,
                covered=bool(times.covered[i]),
                far_from_road=bool(times.far[i]),
                snap_m=float(times.snap_m[i]),
            )
        )
    totals = AreaCoverage(None, "全部")
    grids: dict[int, AreaCoverage] = {}
    communities: dict[int, AreaCoverage] = {}
    org_ids = {b.grid_id for b in result_buildings} | {
        b.community_id for b in result_buildings if b.community_id is not None
    }
    names = dict(Organisation.objects.filter(pk__in=org_ids).values_list("id", "name"))
    for b in result_buildings:
        totals.add(b)
        grids.setdefault(b.grid_id, AreaCoverage(b.grid_id, names.get(b.grid_id, ""))).add(b)
        if b.community_id is not None:
            cid = b.community_id
            communities.setdefault(cid, AreaCoverage(cid, names.get(cid, ""))).add(b)
    return CoverageResult(
        network_id=network.pk,
        minutes=m,
        speed_kmh=s,
        buildings=result_buildings,
        totals=totals,
        grids=sorted(grids.values(), key=lambda a: (a.name, a.org_id or 0)),
        communities=sorted(communities.values(), key=lambda a: (a.name, a.org_id or 0)),
        farthest=_farthest(
            net, result_buildings, site_lat[~times.site_far], site_lon[~times.site_far], farthest
        ),
        far_sites=[int(x) for x in site_ids[times.site_far]],
        unlocated_buildings=unlocated,
    )


def _farthest(
    net: engine.Network,
    buildings: list[BuildingCoverage],
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    n: int,
) -> list[BuildingCoverage]:
    """The n buildings farthest from a site: those beyond the search first (farthest in a
    straight line first), then by walking minutes."""
    if not buildings or n <= 0:
        return []
    if len(site_lat):
        tree = cKDTree(net.project(site_lat, site_lon))
        crow, _ = tree.query(net.project([b.lat for b in buildings], [b.lon for b in buildings]))
    else:
        crow = np.zeros(len(buildings))
    order = sorted(
        range(len(buildings)),
        key=lambda i: (
            buildings[i].minutes is not None,
            -(buildings[i].minutes or 0.0),
            -float(crow[i]),
            buildings[i].building_id,
        ),
    )
    return [buildings[i] for i in order[:n]]


@dataclass(frozen=True)
class Suggestion:
    """A suggested new site and what it would newly cover."""

    key: int  # the candidate's key (a building id, or an index for free points)
    lat: float
    lon: float
    gain_households: float
    gain_residents: int
    building_ids: tuple[int, ...]


def suggest_sites(
    result: CoverageResult,
    network: RoadNetwork,
    k: int,
    candidates: Iterable[tuple[int, float, float]] | None = None,
) -> list[Suggestion]:
    """Choose up to k new sites covering the most households not yet covered (greedy).

    Candidates default to the uncovered residential buildings themselves."""
    if not 1 <= k <= 100:
        raise CircleError("建议站点数应在 1 到 100 之间。", field="k")
    bs = result.buildings
    if candidates is None:
        candidates = [(b.building_id, b.lat, b.lon) for b in bs if not b.covered]
    cands = list(candidates)
    if not cands or not bs:
        return []
    net = load_network(network)
    budget = engine.budget_m(result.minutes, result.speed_kmh)
    b_node, b_snap = net.snap([b.lat for b in bs], [b.lon for b in bs])
    covers = engine.candidate_coverage(
        net,
        [c[1] for c in cands],
        [c[2] for c in cands],
        b_node,
        b_snap,
        b_snap > engine.MAX_SNAP_M,
        budget,
    )
    weights = np.asarray([b.households for b in bs], dtype=np.float64)
    already = np.asarray([b.covered for b in bs], dtype=bool)
    picks = engine.greedy_max_coverage(covers, weights, k, already)
    return [
        Suggestion(
            key=int(cands[p.candidate][0]),
            lat=float(cands[p.candidate][1]),
            lon=float(cands[p.candidate][2]),
            gain_households=p.gain,
            gain_residents=sum(bs[i].residents for i in p.buildings),
            building_ids=tuple(bs[i].building_id for i in p.buildings),
        )
        for p in picks
    ]


def store_run(
    network: RoadNetwork,
    sites: Sequence[SiteTuple],
    minutes: float | None = None,
    speed: float | None = None,
    label: str = "",
) -> CoverageRun:
    """Compute coverage for every residential building and store it."""
    started = time.perf_counter()
    result = coverage_for(network, sites, minutes, speed)
    return CoverageRun.objects.create(
        network=network,
        minutes=result.minutes,
        walking_speed_kmh=result.speed_kmh,
        label=label,
        sites=[[int(s[0]), float(s[1]), float(s[2])] for s in sites],
        summary=result.summary(),
        buildings=result.rows(),
        elapsed_ms=int((time.perf_counter() - started) * 1000),
    )
