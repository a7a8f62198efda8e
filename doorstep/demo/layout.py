"""Laying out the 学院路 street from the OSM extract: communities, grids, building names.

Pure computation, no database: the extract in, a plan of communities → grids → buildings
out. Communities are a balanced split of the homes into quadrants (north/south by median
latitude, then each half east/west by its median longitude); a compound's buildings stay
together because they are placed at the compound's centre. Each community is cut into
grids of about a dozen homes, walking north to south.
"""

from __future__ import annotations

import random
import re
import statistics
from dataclasses import dataclass, field

from doorstep.atlas.places.models import BuildingUse

from .common import chunks
from .geo import Point, contains, convex_hull, metres
from .osm import Extract, OsmArea, OsmBuilding, is_home

# Quadrant → (community name, locality that names its buildings outside compounds).
COMMUNITIES = {
    ("N", "W"): ("静淑苑社区", "静淑东里"),
    ("N", "E"): ("学院路社区", "学院路"),
    ("S", "W"): ("清华东路社区", "清华东路"),
    ("S", "E"): ("二里庄社区", "二里庄"),
}
HOMES_PER_GRID = 12
PUBLIC_TAGS = frozenset(
    {"school", "university", "college", "hospital", "kindergarten", "transportation",
     "train_station", "public", "civic", "dormitory"}
)  # fmt: skip
NUMBERED = re.compile(r"^(\d+)号楼$")


@dataclass
class BuildingPlan:
    """One building as it will be written."""

    osm: OsmBuilding
    home: bool
    compound: OsmArea | None
    campus: OsmArea | None
    name: str = ""
    address: str = ""
    use: str = BuildingUse.RESIDENTIAL
    floors: int = 6

    @property
    def anchor(self) -> Point:
        """Where the building counts as being when splitting: its compound's centre."""
        return self.compound.centre if self.compound else self.osm.centre


@dataclass
class GridPlan:
    name: str
    buildings: list[BuildingPlan] = field(default_factory=list)


@dataclass
class CommunityPlan:
    name: str
    locality: str
    grids: list[GridPlan] = field(default_factory=list)


@dataclass
class StreetPlan:
    communities: list[CommunityPlan]
    compound_community: dict[int, int]  # compound osm id → index into communities
    compounds: list[OsmArea]


def _halves(items: list[BuildingPlan], axis: int) -> tuple[list[BuildingPlan], list[BuildingPlan]]:
    """Split at the median of the anchor coordinate; ties go to the upper half."""
    median = statistics.median(b.anchor[axis] for b in items)
    upper = [b for b in items if b.anchor[axis] >= median]
    lower = [b for b in items if b.anchor[axis] < median]
    return upper, lower


def _walk_order(b: BuildingPlan) -> tuple[float, float, float, float]:
    return (-round(b.anchor[0], 3), b.anchor[1], -b.osm.centre[0], b.osm.centre[1])


def _name_buildings(plans: list[BuildingPlan], prefix_of: dict[int, str]) -> None:
    """Give every building a unique name: 静淑苑3号楼, 二里庄12号楼, or its OSM name."""
    used: set[str] = set()
    counters: dict[str, int] = {}
    taken_numbers: dict[str, set[int]] = {}
    for b in plans:
        match = NUMBERED.match(b.osm.name)
        if match:
            prefix = prefix_of[id(b)]
            taken_numbers.setdefault(prefix, set()).add(int(match.group(1)))
    for b in sorted(plans, key=_walk_order):
        prefix = prefix_of[id(b)]
        if NUMBERED.match(b.osm.name):
            name = f"{prefix}{b.osm.name}"
        elif b.osm.name and not b.home:
            name = b.osm.name
        else:
            n = counters.get(prefix, 0) + 1
            while n in taken_numbers.get(prefix, set()):
                n += 1
            counters[prefix] = n
            name = f"{prefix}{n}号楼"
        base, k = name, 2
        while name in used:
            name, k = f"{base}（{k}）", k + 1
        used.add(name)
        b.name = name
        if b.osm.street and b.osm.housenumber:
            b.address = f"北京市海淀区{b.osm.street}{b.osm.housenumber}{b.osm.name or ''}"
        else:
            b.address = f"北京市海淀区学院路街道{name}"


def plan_street(extract: Extract, rng: random.Random) -> StreetPlan:
    """Communities, grids and named buildings for the street (deterministic for a seed)."""
    plans: list[BuildingPlan] = []
    for osm in extract.buildings:
        compound = next((c for c in extract.compounds if contains(c.outline, osm.centre)), None)
        campus = next((c for c in extract.campuses if contains(c.outline, osm.centre)), None)
        plan = BuildingPlan(osm, is_home(osm, campus is not None), compound, campus)
        if plan.home:
            plan.floors = osm.levels or (
                rng.randint(2, 3) if osm.building == "house" else rng.randint(6, 18)
            )
        else:
            plan.floors = osm.levels or rng.randint(2, 8)
            public = osm.building in PUBLIC_TAGS or campus is not None
            plan.use = BuildingUse.PUBLIC if public else BuildingUse.OTHER
        plans.append(plan)
    homes = [b for b in plans if b.home]

    north, south = _halves(homes, 0)
    quadrants: dict[tuple[str, str], list[BuildingPlan]] = {}
    for ns, half in (("N", north), ("S", south)):
        east, west = _halves(half, 1)
        quadrants[(ns, "E")], quadrants[(ns, "W")] = east, west
    communities: list[CommunityPlan] = []
    for key in (("N", "W"), ("N", "E"), ("S", "W"), ("S", "E")):
        community = CommunityPlan(*COMMUNITIES[key])
        members = sorted(quadrants[key], key=_walk_order)
        n_grids = max(1, round(len(members) / HOMES_PER_GRID))
        for i, run in enumerate(chunks(members, n_grids), start=1):
            community.grids.append(GridPlan(f"{community.name}第{i}网格", run))
        communities.append(community)

    # Buildings nobody lives in join the grid of the nearest home.
    home_grid = {id(b): g for c in communities for g in c.grids for b in g.buildings}
    for b in plans:
        if not b.home:
            nearest = min(homes, key=lambda h: metres(h.osm.centre, b.osm.centre))
            home_grid[id(nearest)].buildings.append(b)

    compound_community: dict[int, int] = {}
    for compound in extract.compounds:
        votes = [
            i
            for i, c in enumerate(communities)
            for g in c.grids
            for b in g.buildings
            if b.compound is compound
        ]
        if votes:
            compound_community[compound.osm_id] = max(set(votes), key=votes.count)

    prefix_of: dict[int, str] = {}
    for c in communities:
        for g in c.grids:
            for b in g.buildings:
                area = b.compound or (b.campus if not b.home else None)
                prefix_of[id(b)] = area.name if area and area.name else c.locality
    _name_buildings(plans, prefix_of)
    compounds = [c for c in extract.compounds if c.osm_id in compound_community]
    return StreetPlan(communities, compound_community, compounds)


def hull_of(buildings: list[BuildingPlan]) -> list[Point]:
    """The convex hull around the outlines of some buildings."""
    return convex_hull([p for b in buildings for p in b.osm.outline])
