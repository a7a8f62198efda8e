"""Grid boundaries that do not overlap, derived from the buildings (网格边界).

Each building's point gets its Voronoi cell (the ground nearer to it than to any other
building); a grid is the union of its buildings' cells, a community the union of its grids,
all clipped to the street's outline widened a little. Neighbouring grids therefore share an
edge and never overlap, so a click on the map lands in exactly one grid. Staff redraw a
boundary in the admin (the organisation's 边界); `draw_grids` derives them again.

Outlines are stored on `Organisation.outline` as one ring `[[lat, lon], …]` when the shape
is one piece without holes, else as polygons `[[outer, hole, …], …]` (a grid in pieces, or
one around another's enclave); `polygons()` reads either form, as Leaflet draws it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import shapely
from django.db import transaction
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

from doorstep.atlas.organisations.models import Kind, Organisation

from .models import Building

MARGIN = 0.0006  # degrees (about 60 m) beyond the outermost buildings


def polygons(outline: Any) -> list[list[list[list[float]]]]:
    """The polygons of a stored outline, each a list of rings (outer first, then holes)."""
    if not outline or not outline[0]:
        return []
    if isinstance(outline[0][0], int | float):  # one ring
        return [[outline]]
    if isinstance(outline[0][0][0], int | float):  # rings, each its own piece
        return [[ring] for ring in outline]
    return list(outline)


def shape_of(outline: Any) -> BaseGeometry:
    """A stored outline as a shapely geometry in (lon, lat)."""
    return shapely.union_all(
        [
            Polygon([(lon, lat) for lat, lon in p[0]], [[(x, y) for y, x in h] for h in p[1:]])
            for p in polygons(outline)
        ]
    )


def _ring(coords: Any) -> list[list[float]]:
    return [[round(y, 6), round(x, 6)] for x, y in coords]


def _stored(geometry: BaseGeometry) -> Any:
    parts = [g for g in getattr(geometry, "geoms", [geometry]) if isinstance(g, Polygon) and g.area]
    parts.sort(key=lambda g: -g.area)
    if len(parts) == 1 and not parts[0].interiors:
        return _ring(parts[0].exterior.coords)
    return [[_ring(p.exterior.coords), *(_ring(h.coords) for h in p.interiors)] for p in parts]


def _street_shape(street: Organisation, points: list[tuple[float, float]]) -> BaseGeometry:
    if any(len(p[0]) >= 4 for p in polygons(street.outline)):
        shape = shape_of(street.outline)
    else:
        shape = MultiPoint(points).convex_hull
    return shape.buffer(MARGIN, join_style="mitre")


def derive(street: Organisation) -> dict[int, BaseGeometry]:
    """Each grid's and community's shape under the street (not stored)."""
    grids = {
        g.pk: g for g in Organisation.objects.filter(path__startswith=street.path, kind=Kind.GRID)
    }
    first: dict[tuple[float, float], int] = {}
    for grid_id, lat, lon in (
        Building.objects.filter(grid_id__in=grids, lat__isnull=False, lon__isnull=False)
        .order_by("pk")
        .values_list("grid_id", "lat", "lon")
    ):
        first.setdefault((round(lon or 0.0, 7), round(lat or 0.0, 7)), grid_id)  # one per point
    if not first:
        return {}
    points = list(first)
    boundary = _street_shape(street, [(y, x) for x, y in points])
    if len(points) == 1:
        cells = [boundary]
    else:
        cells = list(
            shapely.voronoi_polygons(MultiPoint(points), extend_to=boundary, ordered=True).geoms
        )
    by_grid: dict[int, list[BaseGeometry]] = defaultdict(list)
    for point, cell in zip(points, cells, strict=True):
        by_grid[first[point]].append(cell)
    shapes: dict[int, BaseGeometry] = {}
    by_community: dict[int, list[BaseGeometry]] = defaultdict(list)
    for grid_id, parts in by_grid.items():
        shape = shapely.union_all(parts).intersection(boundary)
        shapes[grid_id] = shape
        parent = grids[grid_id].parent_id
        if parent is not None:
            by_community[parent].append(shape)
    communities = set(
        Organisation.objects.filter(pk__in=by_community, kind=Kind.COMMUNITY).values_list(
            "pk", flat=True
        )
    )
    for community_id, parts in by_community.items():
        if community_id not in communities:
            continue
        shapes[community_id] = shapely.union_all(parts)
    return shapes


@transaction.atomic
def draw_grids(street: Organisation) -> int:
    """Store the derived outlines of the street's grids and communities; returns how many."""
    shapes = derive(street)
    orgs = list(Organisation.objects.filter(pk__in=shapes))
    for org in orgs:
        org.outline = _stored(shapes[org.pk])
        centre = shapes[org.pk].representative_point()
        if org.lat is None or org.lon is None:
            org.lat, org.lon = round(centre.y, 6), round(centre.x, 6)
    Organisation.objects.bulk_update(orgs, ["outline", "lat", "lon"], batch_size=500)
    return len(orgs)
