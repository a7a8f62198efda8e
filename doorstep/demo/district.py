"""A synthetic district shaped like 京口区 (镇江): for scale tests and the benchmarks.

At scale 1: 6 streets, 30 communities, 295 grids (270 with a grid branch, 25 with only a
party group), about 70,000 households and 175,000 residents, about 6,100 party members and
740 central households that between them keep in touch with nearly every household.
`scale` multiplies the counts (at least 4 grids). Places sit on a regular lattice.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.atlas.people import tallies
from doorstep.atlas.people.models import Resident
from doorstep.atlas.places import basemap
from doorstep.atlas.places.models import Building, Household, Tenure, Unit
from doorstep.atlas.places.partition import draw_grids

from . import party
from .cases import load_demo_categories
from .common import Log, Timer, bulk_insert, cached_search_text, fast_insert, spread
from .geo import centroid, convex_hull, rounded
from .logins import Login, ensure_logins
from .population import (
    PeopleMaker,
    homes_by_grid,
    household_size,
    resident_row,
    taken_id_hashes,
    tenure,
)

DISTRICT_CODE = "321102-synthetic"
REGION = "321102"
SEED = 20250701
USERNAMES = ("jk_district", "jk_street", "jk_grid")
STREETS = ("正东路街道", "健康路街道", "大市口街道", "四牌楼街道", "象山街道", "谏壁街道")
COMMUNITY_STEMS = (
    "梦溪", "宝塔山", "东门", "北府", "金山", "中山", "江滨", "花山湾", "檀山", "桃花坞",
    "丁卯", "学府", "润州", "焦山", "越河", "月湖", "雩山", "运河", "南徐", "新民",
    "京岘", "官塘", "银山门", "迎江", "解放", "千秋桥", "长江", "古城", "西津", "象山",
)  # fmt: skip
WORK_UNITS = (
    "镇江市人民医院",
    "江苏大学",
    "镇江市税务局",
    "京口区教育局",
    "镇江港务集团",
    "镇江供电公司",
)
ORIGIN = (32.19, 119.44)
CELL = 0.004  # degrees per grid cell (about 400 m)
FLOORS, UNITS, PER_FLOOR = 6, 2, 2  # 24 homes a building


@dataclass(frozen=True)
class Size:
    """How many of each thing a scale asks for."""

    streets: int
    communities: int
    grids: int
    party_groups: int
    households: int
    party_members: int
    central_households: int

    @classmethod
    def at(cls, scale: float) -> Size:
        grids = max(4, round(295 * scale))
        return cls(
            streets=max(1, round(6 * scale)),
            communities=max(2, round(30 * scale)),
            grids=grids,
            party_groups=max(1, round(grids * 25 / 295)),
            households=max(grids * 10, round(70_000 * scale)),
            party_members=max(grids, round(6_100 * scale)),
            central_households=max(grids, round(740 * scale)),
        )


@dataclass
class Built:
    """What the later steps need from the earlier ones."""

    district: Organisation
    streets: list[Organisation] = field(default_factory=list)
    grids: list[Organisation] = field(default_factory=list)
    parties: dict[int, party.GridParty] = field(default_factory=dict)
    homes: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    households: dict[int, list[int]] = field(default_factory=dict)
    candidates: dict[int, party.Candidate] = field(default_factory=dict)


def _cell(index: int, side: int) -> tuple[float, float, list[list[float]]]:
    """Centre and square outline of the index-th lattice cell."""
    row, col = divmod(index, side)
    lat0, lon0 = ORIGIN[0] + row * CELL, ORIGIN[1] + col * CELL
    ring = [[lat0, lon0], [lat0, lon0 + CELL], [lat0 + CELL, lon0 + CELL], [lat0 + CELL, lon0]]
    ring = [[round(a, 6), round(b, 6)] for a, b in [*ring, ring[0]]]
    return round(lat0 + CELL / 2, 6), round(lon0 + CELL / 2, 6), ring


def _hull(first: int, count: int, side: int) -> dict[str, Any]:
    """Centre and outline around `count` lattice cells starting at `first`."""
    points = [(a, b) for i in range(first, first + count) for a, b in _cell(i, side)[2]]
    ring = convex_hull(points)
    lat, lon = centroid(ring)
    return {"lat": round(lat, 6), "lon": round(lon, 6), "outline": rounded(ring)}


def _tree(size: Size, maker: PeopleMaker, rng: random.Random) -> Built:
    """District, streets with 党工委, communities with 社区党委, grids with party units."""
    district = create_organisation(
        name="京口区（模拟）", kind=Kind.DISTRICT, parent=None, code=DISTRICT_CODE,
        lat=ORIGIN[0], lon=ORIGIN[1],
    )  # fmt: skip
    built = Built(district)
    side = math.ceil(math.sqrt(size.grids))
    with_group = set(rng.sample(range(size.grids), k=size.party_groups))
    grid_index = 0
    communities_per_street = spread(size.communities, size.streets)
    grids_per_community = spread(size.grids, size.communities)
    c_index = 0
    for s_index, n_communities in enumerate(communities_per_street):
        name = STREETS[s_index] if s_index < len(STREETS) else f"第{s_index + 1}街道"
        n_grids = sum(grids_per_community[c_index : c_index + n_communities])
        street = create_organisation(
            name=name, kind=Kind.STREET, parent=district, **_hull(grid_index, n_grids, side)
        )
        built.streets.append(street)
        committee = create_organisation(
            name=f"{name}党工委", kind=Kind.WORKING_COMMITTEE, parent=street,
            secretary=maker.name("M"),
        )  # fmt: skip
        for _ in range(n_communities):
            stem = COMMUNITY_STEMS[c_index % len(COMMUNITY_STEMS)]
            round_no = c_index // len(COMMUNITY_STEMS)
            c_name = f"{stem}社区" if round_no == 0 else f"{stem}第{round_no + 1}社区"
            community = create_organisation(
                name=c_name, kind=Kind.COMMUNITY, parent=street,
                **_hull(grid_index, grids_per_community[c_index], side),
            )  # fmt: skip
            party_committee = create_organisation(
                name=f"{c_name}党委", kind=Kind.PARTY_COMMITTEE, parent=community,
                party_parent=committee, secretary=maker.name(rng.choice("MF")),
            )  # fmt: skip
            for g in range(1, grids_per_community[c_index] + 1):
                lat, lon, ring = _cell(grid_index, side)
                grid = create_organisation(
                    name=f"{c_name}第{g}网格", kind=Kind.GRID, parent=community,
                    lat=lat, lon=lon, outline=ring,
                )  # fmt: skip
                built.grids.append(grid)
                built.parties[grid.pk] = party.grid_party(
                    grid, committee=party_committee, community=community,
                    with_branch=grid_index not in with_group,
                    secretary=maker.name(rng.choice("MF")),
                )  # fmt: skip
                grid_index += 1
            c_index += 1
    return built


def _places(size: Size, built: Built, rng: random.Random) -> None:
    """Buildings of 24 homes on each grid's cell, then units and households."""
    per_grid = spread(size.households, size.grids)
    buildings: list[tuple[Building, int]] = []
    numbers: dict[int, int] = {}  # community → last building number used
    for grid, n in zip(built.grids, per_grid, strict=True):
        community = built.parties[grid.pk].community
        assert grid.lat is not None and grid.lon is not None  # every grid sits on a cell
        n_buildings = math.ceil(n / (FLOORS * UNITS * PER_FLOOR))
        side = math.ceil(math.sqrt(n_buildings))
        for b in range(n_buildings):
            row, col = divmod(b, side)
            numbers[community.pk] = numbers.get(community.pk, 0) + 1
            name = f"{community.name.removesuffix('社区')}{numbers[community.pk]}号楼"
            address = f"江苏省镇江市京口区{community.name}{name}"
            homes = min(FLOORS * UNITS * PER_FLOOR, n - b * FLOORS * UNITS * PER_FLOOR)
            lat = grid.lat - CELL / 2 + (row + 0.5) * CELL / side
            lon = grid.lon - CELL / 2 + (col + 0.5) * CELL / side
            building = Building(
                name=name, address=address, grid=grid, floors=FLOORS,
                lat=round(lat, 6), lon=round(lon, 6),
                search_text=cached_search_text(name, address),
            )  # fmt: skip
            buildings.append((building, homes))
    bulk_insert(Building, [b for b, _ in buildings])
    units: list[tuple[Unit, int]] = []
    for building, homes in buildings:
        built.homes.setdefault(building.grid_id, []).append((building.pk, building.name))
        for u in range(UNITS):
            share = spread(homes, UNITS)[u]
            if share:
                units.append((Unit(building=building, number=f"{u + 1}单元"), share))
    bulk_insert(Unit, [u for u, _ in units])
    households = []
    for unit, homes in units:
        for k in range(homes):
            floor, i = divmod(k, PER_FLOOR)
            households.append(
                {"unit_id": unit.pk, "room": f"{floor + 1}{i + 1:02d}",
                 "grid_id": unit.building.grid_id, "tenure": tenure(rng)}
            )  # fmt: skip
    fast_insert(Household, households)
    tallies.households((h["grid_id"], h["tenure"]) for h in households)


def _basemap(size: Size, built: Built) -> int:
    """The district's basemap drawn like an imported one: a road on every lattice line
    (every third a main road, named), each building a small block; then the grid and
    community boundaries derived from the buildings, as for a real street."""
    side = math.ceil(math.sqrt(size.grids))
    rows = math.ceil(size.grids / side)
    shapes: list[basemap.Shape] = []
    south, west = ORIGIN
    north, east = south + rows * CELL, west + side * CELL
    for i in range(rows + 1):
        lat = round(south + i * CELL, 6)
        main = i % 3 == 0
        name = f"纬{i + 1}路" if main else ""
        shapes.append(
            basemap.Shape("road", 1 if main else 2, name, False, ((lat, west), (lat, east)))
        )
    for j in range(side + 1):
        lon = round(west + j * CELL, 6)
        main = j % 3 == 0
        name = f"经{j + 1}路" if main else ""
        shapes.append(
            basemap.Shape("road", 1 if main else 2, name, False, ((south, lon), (north, lon)))
        )
    half = CELL / 12
    for b_lat, b_lon in Building.objects.filter(grid__in=built.grids).values_list("lat", "lon"):
        lat, lon = float(b_lat or 0.0), float(b_lon or 0.0)  # every building sits on a cell
        ring = ((lat - half, lon - half), (lat - half, lon + half), (lat + half, lon + half),
                (lat + half, lon - half), (lat - half, lon - half))  # fmt: skip
        shapes.append(
            basemap.Shape(
                "building", 2, "", True, tuple((round(a, 6), round(b, 6)) for a, b in ring)
            )
        )
    count = basemap.store(f"synthetic:{DISTRICT_CODE}", shapes)
    for street in built.streets:
        draw_grids(street)
    return count


def _people(built: Built, rng: random.Random) -> int:
    """Residents, written grid by grid so memory stays flat; returns how many."""
    maker = PeopleMaker(rng, REGION, taken_id_hashes())
    homes = homes_by_grid(built.grids)
    built.households = {g: [hid for hid, _ in pairs] for g, pairs in homes.items()}
    total = 0
    for grid in built.grids:
        rows = [
            resident_row(person, household_id=hid, grid_id=grid.pk)
            for hid, kind in homes.get(grid.pk, [])
            if kind != Tenure.VACANT
            for person in maker.household(kind, household_size(rng))
        ]
        fast_insert(Resident, rows)
        tallies.added(tallies.facts_from_row(r) for r in rows)
        total += len(rows)
    built.candidates = party.adult_candidates(built.grids)
    return total


def _party(size: Size, built: Built, rng: random.Random) -> int:
    """Party members, a few building party groups, central households linking all homes."""
    pool = sorted(built.candidates)
    chosen = [
        built.candidates[i] for i in sorted(rng.sample(pool, k=min(len(pool), size.party_members)))
    ]
    members = party.make_members(rng, chosen, parties=built.parties, work_units=WORK_UNITS)
    for grid in built.grids:
        if rng.random() < 0.2:
            covered = party.building_groups(
                rng, built.parties[grid.pk], built.homes.get(grid.pk, [])
            )
            for building_id, group in covered.items():
                Building.objects.filter(pk=building_id).update(party_group=group)
    per_grid = dict(
        zip((g.pk for g in built.grids), spread(size.central_households, size.grids), strict=True)
    )
    centrals = party.central_households(
        rng, members, candidates=built.candidates, parties=built.parties,
        per_grid=per_grid, households=built.households, links=None,
    )  # fmt: skip
    return len(centrals)


def seed_district(log: Log, scale: float) -> Organisation:
    """Build the synthetic district at `scale`; call inside a transaction."""
    rng = random.Random(SEED)
    size = Size.at(scale)
    log(
        f"  规模 {scale}：{size.streets} 个街道、{size.communities} 个社区、{size.grids} 个网格、"
        f"约 {size.households} 户"
    )
    timer = Timer(log)
    maker = PeopleMaker(rng, REGION)
    with timer.step("组织树（街道、社区、网格、党组织）"):
        built = _tree(size, maker, rng)
    with timer.step("楼栋、单元、户"):
        _places(size, built, rng)
    with timer.step("底图与网格边界"):
        _basemap(size, built)
    with timer.step("居民（含加密与查找哈希）"):
        n = _people(built, rng)
    with timer.step("党员、党员中心户、联户"):
        n_central = _party(size, built, rng)
    with timer.step("演示账号"):
        ensure_logins(
            [
                Login("jk_district", "区级干部", "street_officer", built.district),
                Login("jk_street", "街道干部", "street_officer", built.streets[0]),
                Login("jk_grid", "网格员", "grid_worker", built.grids[0]),
            ]
        )
    with timer.step("诉求分类"):
        load_demo_categories(log)
    log(f"  居民 {n} 人，党员中心户 {n_central} 户；合计：{timer.total():.2f} 秒")
    return built.district
