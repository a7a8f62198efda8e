"""A co-governance world for tests: the persona world placed on a small road network, with
two co-building units (904医院, 锡剧院) and their liaisons.

Roads: a street running east along latitude 40.0 from 116.350 to 116.370 (nodes every
0.001°, about 85 m) and a lane north from its west end to 40.010. Grid A's building stands
at the west end, grid B's 850 m east, grid C's at the north end of the lane (1.1 km from A).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.core.testing import World, build_world, make_user
from doorstep.nearby.circle.engine import Network
from doorstep.nearby.circle.osm import RoadImport
from doorstep.nearby.circle.store import save_network

A = (40.0, 116.35)
B = (40.0, 116.36)
C = (40.01, 116.35)


@dataclass
class CoWorld:
    world: World
    hospital: Organisation
    theatre: Organisation
    p: dict[str, Any]


def lay_roads() -> None:
    east = [(40.0, 116.35 + 0.001 * i) for i in range(21)]
    north = [(40.0 + 0.001 * i, 116.35) for i in range(1, 11)]
    points = east + north
    u = list(range(20)) + [0] + list(range(21, 30))
    v = list(range(1, 21)) + [21] + list(range(22, 31))
    net = Network.from_edges([p[0] for p in points], [p[1] for p in points], u, v)
    save_network(RoadImport(net, 0, len(u)), name="测试路网")


def place(org: Organisation, point: tuple[float, float]) -> None:
    Organisation.objects.filter(pk=org.pk).update(lat=point[0], lon=point[1])
    org.lat, org.lon = point


def build_co_world(world: World | None = None, *, roads: bool = True) -> CoWorld:
    world = world or build_world()
    for building, point in ((world.building_a, A), (world.building_b, B), (world.building_c, C)):
        building.lat, building.lon = point
        building.save(update_fields=["lat", "lon"])
    for org, point in (
        (world.street, A),
        (world.community_1, A),
        (world.grid_a, A),
        (world.grid_b, B),
        (world.community_2, C),
        (world.grid_c, C),
    ):
        place(org, point)
    hospital = create_organisation(name="904医院", kind=Kind.CO_BUILDING, parent=world.street)
    theatre = create_organisation(name="无锡市锡剧院", kind=Kind.CO_BUILDING, parent=world.street)
    place(hospital, (40.0, 116.352))
    place(theatre, (40.0, 116.368))
    p = dict(world.personas)
    p["liaison_904"] = make_user("liaison904", "904医院联络员", ("department_liaison", hospital))
    p["liaison_theatre"] = make_user("liaisonxj", "锡剧院联络员", ("department_liaison", theatre))
    if roads:
        lay_roads()
    return CoWorld(world, hospital, theatre, p)
