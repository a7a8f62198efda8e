"""Coverage of the persona world's buildings on the real xueyuanlu network."""

from __future__ import annotations

import math

import pytest
from django.conf import settings
from scipy.sparse.csgraph import dijkstra

from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Building, Household
from doorstep.nearby.circle import engine
from doorstep.nearby.circle.coverage import coverage_for, suggest_sites
from doorstep.nearby.circle.errors import CircleError
from doorstep.nearby.circle.models import CoverageRun, RoadNetwork
from doorstep.nearby.circle.store import import_roads, load_network
from doorstep.nearby.circle.tasks import recompute

XUEYUANLU = settings.SHARED_DIR / "data/osm/beijing-xueyuanlu.osm"


@pytest.fixture
def placed(world):
    """The network, and the world's three buildings placed on it: A on a road node, B
    about 1.5 km of road away, C 2 km north of every road."""
    rn, _ = import_roads(XUEYUANLU, name="学院路")
    net = load_network(rn)
    site_node = 0
    # the node nearest (by road) to 1,500 m from node 0, for building B
    dist = dijkstra(net.graph, indices=site_node)
    b_node = int(abs(dist - 1500).argmin())
    s, _w, north, _e = net.bbox()
    coords = {
        world.building_a.pk: (float(net.lat[site_node]), float(net.lon[site_node])),
        world.building_b.pk: (float(net.lat[b_node]), float(net.lon[b_node])),
        world.building_c.pk: (north + 0.018, float(net.lon[site_node])),
    }
    for pk, (lat, lon) in coords.items():
        Building.objects.filter(pk=pk).update(lat=lat, lon=lon)
    site = (901, float(net.lat[site_node]), float(net.lon[site_node]))
    return rn, net, site, float(dist[b_node])


def households_of(building: Building) -> int:
    return Household.objects.filter(unit__building=building).count()


def residents_of(building: Building) -> int:
    return Resident.objects.filter(household__unit__building=building).count()


def test_coverage_for_the_world(world, placed) -> None:
    rn, _net, site, b_metres = placed
    result = coverage_for(rn, [site])
    by_id = {b.building_id: b for b in result.buildings}
    a, b, c = (by_id[x.pk] for x in (world.building_a, world.building_b, world.building_c))
    assert a.covered and a.site_id == 901 and a.minutes == pytest.approx(0.0, abs=1e-6)
    # B: 1.5 km is 20 minutes at 4.5 km/h: not covered, but the time is known (search
    # reaches twice the budget)
    assert not b.covered and b.site_id == 901
    assert b.minutes == pytest.approx(b_metres / engine.metres_per_minute(4.5), rel=1e-9)
    assert c.far_from_road and not c.covered and c.minutes is None and c.snap_m > 1900
    total_h = sum(households_of(x) for x in (world.building_a, world.building_b, world.building_c))
    assert result.totals.households == total_h
    assert result.totals.households_covered == households_of(world.building_a)
    assert result.totals.residents_covered == residents_of(world.building_a)
    grids = {g.org_id: g for g in result.grids}
    assert grids[world.grid_a.pk].household_share == 1.0
    assert grids[world.grid_b.pk].household_share == 0.0
    communities = {g.org_id: g for g in result.communities}
    assert set(communities) == {world.community_1.pk, world.community_2.pk}
    assert communities[world.community_1.pk].households_covered == households_of(world.building_a)
    assert [f.building_id for f in result.farthest] == [c.building_id, b.building_id, a.building_id]
    # a longer walk covers B too
    slow = coverage_for(rn, [site], minutes=25)
    assert {x.building_id for x in slow.buildings if x.covered} == {a.building_id, b.building_id}


def test_suggest_sites_covers_the_uncovered(world, placed) -> None:
    rn, _net, site, _ = placed
    result = coverage_for(rn, [site])
    picks = suggest_sites(result, rn, k=2)
    # only B can be covered by a new site (C is far from any road); one pick, at B
    assert [p.key for p in picks] == [world.building_b.pk]
    assert picks[0].gain_households == households_of(world.building_b)
    assert picks[0].building_ids == (world.building_b.pk,)


def test_recompute_task_stores_a_run(world, placed) -> None:
    rn, _net, site, _ = placed
    run_id = recompute.delay(rn.pk, [list(site)]).get()
    run = CoverageRun.objects.get(pk=run_id)
    assert run.network == rn and run.minutes == 15 and run.walking_speed_kmh == 4.5
    assert run.summary["totals"]["households_covered"] == households_of(world.building_a)
    rows = dict(zip(run.buildings["id"], run.buildings["covered"], strict=True))
    assert rows == {
        world.building_a.pk: True,
        world.building_b.pk: False,
        world.building_c.pk: False,
    }
    assert run.sites == [list(site)]


def test_bad_parameters_are_refused(world, placed) -> None:
    rn, _net, site, _ = placed
    with pytest.raises(CircleError, match="分钟"):
        coverage_for(rn, [site], minutes=0)
    with pytest.raises(CircleError, match="步行速度"):
        coverage_for(rn, [site], speed=100)
    with pytest.raises(CircleError, match="坐标"):
        coverage_for(rn, [(1, 200.0, 0.0)])
    assert not CoverageRun.objects.exists()


def test_site_far_from_roads_is_reported(world, placed) -> None:
    rn, _net, site, _ = placed
    s, w, n, _e = rn.bbox
    result = coverage_for(rn, [site, (902, n + 0.05, w)])
    assert result.far_sites == [902]
    assert not math.isnan(result.totals.households)
    assert RoadNetwork.objects.count() == 1


def test_no_buildings_and_no_sites(world, placed) -> None:
    rn, _net, _site, _ = placed
    empty = coverage_for(rn, [], buildings=Building.objects.none())
    assert empty.buildings == [] and empty.farthest == [] and empty.totals.households == 0
    nobody = coverage_for(rn, [])
    assert nobody.totals.buildings == 3 and nobody.totals.households_covered == 0
    assert all(b.site_id is None for b in nobody.buildings)
