"""Reading an OpenStreetMap extract (pyosmium): buildings, residential compounds, campuses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import osmium

from doorstep.atlas.places.basemap import chinese_name

from .geo import Point, centroid

# Building tags whose buildings people live in (residential unless something says otherwise).
HOME_TAGS = frozenset({"residential", "apartments", "house", "dormitory", "yes"})
# Areas whose buildings are not homes, even when tagged only building=yes.
CAMPUS_AMENITIES = frozenset(
    {"university", "college", "school", "hospital", "kindergarten", "research_institute"}
)
CAMPUS_LANDUSE = frozenset({"commercial", "retail", "industrial", "construction"})
# Names that mark a building=yes as a place of work or study, not of living.
NON_HOME_NAME = re.compile(r"教学|图书馆|食堂|大厦|中心|学院|医院|浴室|招待所|研究|园区|产业园|楼$")
HOME_NAME = re.compile(r"^\d+号楼$|宿舍|公寓|住宅")


@dataclass(frozen=True)
class OsmBuilding:
    """One building outline from the extract."""

    osm_id: int  # way id; relation ids are stored negated so the two never collide
    name: str
    building: str
    levels: int | None
    street: str
    housenumber: str
    other_use: bool  # tagged with an amenity/shop/office: not a home
    centre: Point
    outline: tuple[Point, ...]


@dataclass(frozen=True)
class OsmArea:
    """A named area: a residential compound (小区) or a campus."""

    osm_id: int
    name: str
    kind: str
    centre: Point
    outline: tuple[Point, ...]


@dataclass(frozen=True)
class Extract:
    """What the seeder needs from an extract."""

    buildings: list[OsmBuilding]
    compounds: list[OsmArea]
    campuses: list[OsmArea]


def _levels(value: str | None) -> int | None:
    if not value:
        return None
    match = re.match(r"\d+", value)
    return int(match.group()) if match and 0 < int(match.group()) < 100 else None


def _outer_ring(area: osmium.osm.Area) -> tuple[Point, ...]:
    rings = [tuple((n.lat, n.lon) for n in ring) for ring in area.outer_rings()]
    return max(rings, key=len) if rings else ()


def read_extract(path: Path) -> Extract:
    """Parse the extract once; areas are assembled from closed ways and multipolygons."""
    buildings: list[OsmBuilding] = []
    compounds: list[OsmArea] = []
    campuses: list[OsmArea] = []
    processor = (
        osmium.FileProcessor(str(path))
        .with_areas()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA))
    )
    for area in processor:
        if not isinstance(area, osmium.osm.Area):  # the filter passes areas only
            continue
        tags = {t.k: t.v for t in area.tags}
        ring = _outer_ring(area)
        if len(ring) < 4:
            continue
        osm_id = area.orig_id() if area.from_way() else -area.orig_id()
        name = chinese_name(tags)
        if "building" in tags:
            buildings.append(
                OsmBuilding(
                    osm_id=osm_id,
                    name=name,
                    building=tags["building"],
                    levels=_levels(tags.get("building:levels")),
                    street=tags.get("addr:street", ""),
                    housenumber=tags.get("addr:housenumber", ""),
                    other_use=any(k in tags for k in ("amenity", "shop", "office", "tourism")),
                    centre=centroid(ring),
                    outline=ring,
                )
            )
        elif tags.get("landuse") == "residential" and name:
            compounds.append(OsmArea(osm_id, name, "residential", centroid(ring), ring))
        elif tags.get("amenity") in CAMPUS_AMENITIES or tags.get("landuse") in CAMPUS_LANDUSE:
            kind = tags.get("amenity") or tags["landuse"]
            campuses.append(OsmArea(osm_id, name, kind, centroid(ring), ring))
    buildings.sort(key=lambda b: b.osm_id)
    compounds.sort(key=lambda c: c.osm_id)
    campuses.sort(key=lambda c: c.osm_id)
    return Extract(buildings, compounds, campuses)


def is_home(building: OsmBuilding, in_campus: bool) -> bool:
    """Whether people live in this building (so it gets units and households)."""
    if building.building not in HOME_TAGS or building.other_use:
        return False
    if building.building == "yes":
        if HOME_NAME.search(building.name):
            return True
        return not in_campus and not NON_HOME_NAME.search(building.name)
    return True
