"""An estate for owners' votes: 静淑苑 in community 1, grid A, with its housing register.

Parts (101–108, areas in 0.01 m²): 王业主 owns 101, 102 and 103 (one owner); 104–106 have
one owner each with a login; 107 and 108 are the developer's, unsold; 104 is let to a
tenant (张租户, a login too), and 105's owner has registered a proxy (刘代理)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from doorstep.atlas.people import holdings
from doorstep.atlas.people.models import Resident
from doorstep.atlas.people.services import create_resident
from doorstep.atlas.places.models import Building, Compound, Household, Unit
from doorstep.core.testing import make_user

AREAS = {"101": 9_000, "102": 9_000, "103": 9_000, "104": 12_000, "105": 11_000,
         "106": 10_000, "107": 8_000, "108": 8_000}  # fmt: skip


@dataclass
class Estate:
    compound: Compound
    parts: dict[str, Household]
    people: dict[str, object] = field(default_factory=dict)  # login → user


def _person(household: Household, name: str, username: str, rtype: str = "registered"):
    resident = create_resident(
        household=household, name=name, residence_type=rtype, relation="head", actor=None
    )
    user = make_user(username, name, ("resident", household.grid.parent))
    Resident.objects.filter(pk=resident.pk).update(user=user)
    resident.user = user
    return resident, user


@pytest.fixture
def estate(world) -> Estate:
    return build_estate(world)


def build_estate(world) -> Estate:
    compound = Compound.objects.create(name="静淑苑", community=world.community_1)
    building = Building.objects.create(
        name="静淑苑5号楼", grid=world.grid_a, compound=compound, address="北京市海淀区静淑苑5号楼"
    )
    unit = Unit.objects.create(building=building, number="1单元")
    from doorstep.atlas.people import households

    parts = {
        room: households.save_household(
            household=Household(
                unit=unit,
                room=room,
                area=area,
                area_source="registered",
                developer_held=room in ("107", "108"),
            )
        )  # fmt: skip
        for room, area in AREAS.items()
    }
    estate = Estate(compound, parts)
    officer = world.personas["community_officer"]
    wang, estate.people["owner_wang"] = _person(parts["101"], "王业主", "owner_wang")
    for room in ("101", "102", "103"):
        holdings.register(actor=officer, household=parts[room], resident=wang)
    for room, name, login in (("104", "陈业主", "owner_chen"), ("105", "林业主", "owner_lin"),
                              ("106", "周业主", "owner_zhou")):  # fmt: skip
        owner, estate.people[login] = _person(parts[room], name, login)
        holdings.register(actor=officer, household=parts[room], resident=owner)
    _tenant, estate.people["tenant"] = _person(parts["104"], "张租户", "tenant_zhang", "tenant")
    proxy, estate.people["proxy"] = _person(parts["106"], "刘代理", "proxy_liu")
    holdings.register(actor=officer, household=parts["105"], resident=proxy, role="proxy")
    return estate
