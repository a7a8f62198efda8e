"""The offline basemap (底图): roads, buildings, water, green and residential areas read
from an OpenStreetMap extract once, stored as `MapFeature` rows and served by the project
itself (`atlas:basemap`), so no map ever asks a tile server outside the intranet.

Names are shown in Chinese only: `name:zh-Hans`, `name:zh`, or a `name` that is written in
Chinese (traditional forms converted); an English-only name ("Teaching Building 3") is left
out rather than shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import osmium
from django.db import transaction

from doorstep.core.errors import DomainError
from doorstep.core.search import simplified

from .models import FeatureKind, MapFeature

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
CJK = re.compile(r"[\u3400-\u9fff]")
# highway value -> rank (0 main road … 3 footpath); unlisted values are not drawn
ROAD_RANK = {
    **dict.fromkeys(("motorway", "trunk", "primary", "motorway_link", "trunk_link"), 0),
    **dict.fromkeys(("primary_link", "secondary", "secondary_link", "tertiary"), 1),
    **dict.fromkeys(("tertiary_link", "unclassified", "residential", "living_street"), 2),
    **dict.fromkeys(("service", "pedestrian", "footway", "path", "cycleway", "steps"), 3),
    **dict.fromkeys(("track", "road"), 3),
}
WATER_LANDUSE = frozenset({"reservoir", "basin"})
GREEN_LANDUSE = frozenset(
    {"grass", "forest", "meadow", "park", "recreation_ground", "village_green"}
)
GREEN_LEISURE = frozenset({"park", "garden", "pitch", "playground", "nature_reserve"})
GREEN_NATURAL = frozenset({"wood", "grassland", "scrub", "heath"})
CAMPUS_AMENITY = frozenset(
    {"university", "college", "school", "hospital", "kindergarten", "research_institute"}
)


class BasemapError(DomainError):
    """A file that cannot be read as OpenStreetMap data (the message is for people)."""


@dataclass(frozen=True)
class Shape:
    kind: str
    rank: int
    name: str
    closed: bool
    points: tuple[tuple[float, float], ...]


def chinese_name(tags: Any) -> str:
    """The feature's name in simplified Chinese, or "" when the data has none."""
    for key in ("name:zh-Hans", "name:zh-CN", "name:zh", "name"):
        value = (tags.get(key) or "").strip()
        if value and CJK.search(value):
            return simplified(value)[:200]
    return ""


def _area_kind(tags: dict[str, str]) -> tuple[str, int] | None:
    if "building" in tags:
        return FeatureKind.BUILDING, 2
    if tags.get("natural") == "water" or tags.get("landuse") in WATER_LANDUSE:
        return FeatureKind.WATER, 1
    if "waterway" in tags and tags.get("waterway") in ("riverbank", "dock"):
        return FeatureKind.WATER, 1
    if (
        tags.get("landuse") in GREEN_LANDUSE
        or tags.get("leisure") in GREEN_LEISURE
        or tags.get("natural") in GREEN_NATURAL
    ):
        return FeatureKind.GREEN, 1
    if tags.get("landuse") == "residential":
        return FeatureKind.RESIDENTIAL, 0
    if tags.get("amenity") in CAMPUS_AMENITY:
        return FeatureKind.CAMPUS, 0
    return None


def _line_kind(tags: dict[str, str]) -> tuple[str, int] | None:
    highway = tags.get("highway")
    if highway in ROAD_RANK and tags.get("area") != "yes":
        return FeatureKind.ROAD, ROAD_RANK[highway]
    if tags.get("waterway") in ("river", "stream", "canal", "drain", "ditch"):
        return FeatureKind.WATER, 2
    if tags.get("railway") in ("rail", "light_rail", "subway", "tram") and not tags.get("tunnel"):
        return FeatureKind.RAIL, 1
    return None


def read_shapes(path: Path | str) -> list[Shape]:
    """Every drawable shape of an .osm / .osm.pbf file (ways with locations, and areas
    assembled from closed ways and multipolygons)."""
    path = Path(path)
    try:
        return list(_shapes(path))
    except (osmium.InvalidLocationError, RuntimeError, OSError, ValueError) as exc:
        raise BasemapError(
            f"无法读取OSM文件“{path.name}”，请确认是完整的 .osm 或 .osm.pbf 文件。"
        ) from exc


def _shapes(path: Path) -> Iterator[Shape]:
    processor = osmium.FileProcessor(str(path)).with_locations().with_areas()
    for obj in processor:
        if isinstance(obj, osmium.osm.Way):
            tags = {t.k: t.v for t in obj.tags}
            line = _line_kind(tags)
            if line is None:
                continue
            points = tuple(
                (round(n.location.lat, 6), round(n.location.lon, 6))
                for n in obj.nodes
                if n.location.valid()
            )
            if len(points) >= 2:
                yield Shape(line[0], line[1], chinese_name(tags), False, points)
        elif isinstance(obj, osmium.osm.Area):
            tags = {t.k: t.v for t in obj.tags}
            area = _area_kind(tags)
            if area is None:
                continue
            for ring in obj.outer_rings():
                points = tuple((round(n.lat, 6), round(n.lon, 6)) for n in ring)
                if len(points) >= 4:
                    yield Shape(area[0], area[1], chinese_name(tags), True, points)


def _row(source: str, shape: Shape) -> MapFeature:
    lats = [p[0] for p in shape.points]
    lons = [p[1] for p in shape.points]
    return MapFeature(
        source=source,
        kind=shape.kind,
        rank=shape.rank,
        name=shape.name,
        closed=shape.closed,
        points=[list(p) for p in shape.points],
        south=min(lats),
        west=min(lons),
        north=max(lats),
        east=max(lons),
    )


@transaction.atomic
def store(source: str, shapes: Iterable[Shape]) -> int:
    """Replace the basemap of one source with these shapes; returns how many."""
    MapFeature.objects.filter(source=source).delete()
    rows = [_row(source, s) for s in shapes]
    MapFeature.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def import_osm(path: Path | str) -> int:
    """Read an OpenStreetMap extract into the basemap (its file name is the source)."""
    path = Path(path)
    return store(f"osm:{path.name}", read_shapes(path))


def attribution(sources: Iterable[str]) -> str:
    """What the map must credit for the sources it drew."""
    names = []
    for source in sorted(set(sources)):
        if source.startswith("osm:") and OSM_ATTRIBUTION not in names:
            names.append(OSM_ATTRIBUTION)
        elif source.startswith("synthetic:") and "模拟底图" not in names:
            names.append("模拟底图")
    return " | ".join(names)


def within(
    rows: Any, box: Sequence[float], *, buildings: bool = True, limit: int = 20000
) -> Iterator[tuple[str, int, str, bool, list[list[float]], str]]:
    """The shapes of a queryset that touch a (south, west, north, east) box, largest
    kinds first so buildings and roads are drawn over areas."""
    south, west, north, east = box
    rows = rows.filter(north__gte=south, south__lte=north, east__gte=west, west__lte=east)
    if not buildings:
        rows = rows.exclude(kind=FeatureKind.BUILDING)
    yield from rows.order_by("kind", "-rank", "pk").values_list(
        "kind", "rank", "name", "closed", "points", "source"
    )[:limit]
