"""Reading the walkable road network from an OpenStreetMap file (.osm or .osm.pbf)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium

from .engine import Network
from .errors import BadOsmFile, NoRoads

# Roads a pedestrian may walk along.
WALKABLE = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "corridor",
        "cycleway",
        "bridleway",
        "residential",
        "service",
        "living_street",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "track",
        "road",
    }
)
# Never walkable (listed for the reader; anything not in WALKABLE is skipped anyway).
NOT_WALKABLE = frozenset(
    {"motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed"}
)


@dataclass(frozen=True)
class RoadImport:
    """A network read from a file: the largest connected component, and what was dropped."""

    network: Network
    dropped_nodes: int  # nodes outside the largest connected component
    ways: int  # walkable ways read
    references: int = 0  # node references of the walkable ways
    missing: int = 0  # of them, nodes the file does not hold (the way is cut there)


def _walkable(tags: osmium.osm.TagList) -> bool:
    highway = tags.get("highway")
    if highway not in WALKABLE:
        return False
    if tags.get("foot") == "no" or tags.get("access") == "no" and tags.get("foot") is None:
        return False
    return tags.get("area") != "yes" or highway == "pedestrian"


def read_roads(path: Path | str) -> RoadImport:
    """Read the walkable ways of the file into a network (largest component only).

    Raises BadOsmFile for an unreadable file and NoRoads when no walkable road is left."""
    path = Path(path)
    ids: list[int] = []  # one entry per node occurrence in a way
    lats: list[float] = []
    lons: list[float] = []
    pairs: list[int] = []  # occurrence indices, two per edge
    ways = references = missing = 0
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way) or not _walkable(obj.tags):
                continue
            ways += 1
            previous = -1
            for ref in obj.nodes:
                references += 1
                loc = ref.location
                if not loc.valid():  # a node outside the extract: the way is cut here
                    missing += 1
                    previous = -1
                    continue
                here = len(ids)
                ids.append(ref.ref)
                lats.append(loc.lat)
                lons.append(loc.lon)
                if previous >= 0:
                    pairs.extend((previous, here))
                previous = here
    except osmium.InvalidLocationError as exc:
        # osmium's message names the bad value: "wrong format for coordinate: '391.99'"
        value = str(exc).rpartition(":")[2].strip().strip("'") or "?"
        raise BadOsmFile(
            f"OSM文件“{path.name}”中有无效的坐标 {value}（纬度应在 ±90、经度在 ±180 之间），未导入。"
        ) from exc
    except (RuntimeError, OSError, ValueError) as exc:
        raise BadOsmFile(f"无法读取OSM文件“{path.name}”，请确认是 .osm 或 .osm.pbf 文件。") from exc
    if not pairs:
        raise NoRoads(f"文件“{path.name}”中没有可步行的道路，无法建立路网。")
    osm_ids, first, inverse = np.unique(
        np.asarray(ids, dtype=np.int64), return_index=True, return_inverse=True
    )
    lat = np.asarray(lats, dtype=np.float64)[first]
    lon = np.asarray(lons, dtype=np.float64)[first]
    edge = inverse[np.asarray(pairs, dtype=np.int64)].reshape(-1, 2)
    full = Network.from_edges(lat, lon, edge[:, 0], edge[:, 1], osm_ids=osm_ids)
    if full.edge_count == 0:
        raise NoRoads(f"文件“{path.name}”中没有可步行的道路，无法建立路网。")
    network, dropped = full.largest_component()
    return RoadImport(network, dropped, ways, references=references, missing=missing)
