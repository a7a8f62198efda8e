"""Grid boundaries derived from the buildings: on the demo street (what `make demo` loads)
no two grids overlap, every building lies inside its own grid, and each community is the
union of its grids; the basemap of the street was imported with it."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import Point

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Building, MapFeature
from doorstep.atlas.places.partition import draw_grids, shape_of

pytestmark = pytest.mark.django_db


def _shape(org):
    return shape_of(org.outline)


@pytest.fixture(scope="module")
def street(demo_module):
    return demo_module


def test_grids_do_not_overlap_and_hold_their_buildings(street):
    grids = list(Organisation.objects.filter(path__startswith=street.path, kind=Kind.GRID))
    shapes = {g.pk: _shape(g) for g in grids}
    assert len(grids) >= 10 and all(s.area > 0 for s in shapes.values())
    ids = sorted(shapes)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            # neighbours share an edge; no more than rounding may overlap
            assert shapes[a].intersection(shapes[b]).area < shapes[a].area * 1e-4, (a, b)
    for grid_id, lat, lon in Building.objects.filter(grid__in=grids).values_list(
        "grid_id", "lat", "lon"
    ):
        # every building is in its own grid (within the 6-digit rounding of the store)
        assert shapes[grid_id].distance(Point(lon, lat)) < 1e-5
    community = Organisation.objects.filter(path__startswith=street.path, kind=Kind.COMMUNITY)[0]
    own = shapely.union_all([shapes[g.pk] for g in grids if g.parent_id == community.pk])
    assert own.symmetric_difference(_shape(community)).area < own.area * 1e-3


def test_deriving_again_gives_the_same_boundaries(street):
    grid = Organisation.objects.filter(path__startswith=street.path, kind=Kind.GRID)[0]
    before = grid.outline
    Organisation.objects.filter(pk=grid.pk).update(outline=None)
    assert draw_grids(street) > 0
    grid.refresh_from_db()
    assert grid.outline == before


def test_the_street_has_its_basemap(street):
    assert MapFeature.objects.filter(source="osm:beijing-xueyuanlu.osm", kind="road").exists()
    assert MapFeature.objects.filter(name="学院路").exists()
