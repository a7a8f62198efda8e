"""The cockpit map: each grid under a node drawn by its stored boundary (derived from the
buildings so that grids never overlap, `places.partition`), or the convex hull of its
buildings while it has none, shaded by a chosen measure — case density (cases received per
100 households in the period), overdue cases now, or the 15-minute coverage share. A click
on a grid opens the grid's own cockpit."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from django.db.models import Count, Sum
from django.urls import reverse
from scipy.spatial import ConvexHull, QhullError

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.counters import Dimension, PopulationTally
from doorstep.atlas.places.models import Building
from doorstep.atlas.places.partition import polygons
from doorstep.cases.models import Case, Rollup
from doorstep.core.figure_cache import remembered

from .panels import Period, latest_run_rows


def _hull(points: list[tuple[float, float]]) -> list[list[float]]:
    if len(points) < 3:
        return [[round(a, 6), round(b, 6)] for a, b in points]
    arr = np.asarray(points)
    try:
        hull = ConvexHull(arr)
    except QhullError:  # all on a line
        return [[round(a, 6), round(b, 6)] for a, b in points]
    return [[round(float(a), 6), round(float(b), 6)] for a, b in arr[hull.vertices]]


def _shapes(org: Organisation) -> list[dict[str, Any]]:
    """Each grid under the node: id, name, link, shapes and households."""
    grids = list(
        Organisation.objects.filter(path__startswith=org.path, kind=Kind.GRID).order_by("name")
    )
    ids = [g.pk for g in grids]
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    unbounded = [g.pk for g in grids if not polygons(g.outline)]
    for grid_id, lat, lon in Building.objects.filter(
        grid_id__in=unbounded, lat__isnull=False, lon__isnull=False
    ).values_list("grid_id", "lat", "lon"):
        points[grid_id].append((float(lat or 0.0), float(lon or 0.0)))
    # households per grid from the population counters (by tenure, which every household
    # has), as the cockpit's housing panel reads them, not a count of the rows
    households = dict(
        PopulationTally.objects.filter(organisation_id__in=ids, dimension=Dimension.TENURE)
        .values_list("organisation_id")
        .annotate(n=Sum("n"))
        .order_by()
    )
    rows = []
    for grid in grids:
        hull = _hull(points.get(grid.pk, []))
        rows.append(
            {
                "id": grid.pk,
                "name": grid.name,
                "shapes": polygons(grid.outline) or ([[hull]] if hull else []),
                "url": reverse("cockpit:node", args=[grid.pk]),
                "households": households.get(grid.pk, 0),
            }
        )
    return rows


def _case_measures(ids: list[int], period: Period) -> dict[str, dict[int, int]]:
    received = (
        Rollup.objects.filter(organisation_id__in=ids, day__gte=period.start, day__lte=period.end)
        .values_list("organisation_id")
        .annotate(n=Sum("received"))
        .order_by()
    )
    overdue = (
        Case.objects.overdue()
        .filter(territory_id__in=ids)
        .values_list("territory_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {"received": dict(received), "overdue": dict(overdue)}


def grid_map(org: Organisation, period: Period) -> dict[str, Any]:
    """The grids' shapes and measures. The shapes, the case measures and the coverage are
    kept apart in the figure cache (core/figure_cache.py): a filed case renews the second
    alone."""
    key = (org.pk, org.path)
    shapes = remembered("cockpit:map_shapes", key, lambda: _shapes(org))
    ids = [row["id"] for row in shapes]
    measures = remembered(
        "cockpit:map_cases",
        (tuple(ids), period.start, period.end),
        lambda: _case_measures(ids, period),
    )
    coverage = remembered(
        "cockpit:map_coverage",
        key,
        lambda: {
            row["org_id"]: row.get("household_share") for row in latest_run_rows().get("grids", [])
        },
    )
    rows = []
    for shape in shapes:
        homes = shape["households"]
        cases = int(measures["received"].get(shape["id"]) or 0)
        rows.append(
            {
                **shape,
                "density": round(cases * 100 / homes, 1) if homes else None,
                "received": cases,
                "overdue": measures["overdue"].get(shape["id"], 0),
                "coverage": coverage.get(shape["id"]),
            }
        )
    return {"grids": rows, "attribution": "© OpenStreetMap contributors"}
