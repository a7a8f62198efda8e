"""A small world of service sites for the tests: the persona world plus a station in
清华东路社区 with a bookable room, a station in 二里庄社区, a co-building unit with a member,
and the site permissions granted to the staff roles (the lead grants them in roles.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission

from doorstep.accounts.models import Role
from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cases.calendar import TZ
from doorstep.core.testing import World, build_world, make_user
from doorstep.nearby.sites.models import OpeningHours, Room, ServiceKind, ServiceSite, SiteKind

# "Now" for the services in these tests: Tuesday 2026-09-01, 09:00 in Beijing.
NOW = dt.datetime(2026, 9, 1, 9, 0, tzinfo=TZ)

SITE_PERMS = {
    "community_staff": ["manage_site", "approve_booking"],
    "street_officer": ["manage_site", "approve_booking"],
}


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


@dataclass
class SiteWorld:
    world: World
    site: ServiceSite
    room: Room
    other_site: ServiceSite
    unit: Any  # a co-building unit (共建单位)
    unit_member: Any
    other_staff: Any  # community staff of 二里庄社区

    @property
    def p(self) -> dict[str, Any]:
        return self.world.personas


def grant_site_perms() -> None:
    for code, perms in SITE_PERMS.items():
        role = Role.objects.get(code=code)
        role.permissions.add(
            *Permission.objects.filter(content_type__app_label="sites", codename__in=perms)
        )


def weekly(site: ServiceSite | None = None, room: Room | None = None, opens=8, closes=21) -> None:
    OpeningHours.objects.bulk_create(
        OpeningHours(site=site, room=room, weekday=d, opens=dt.time(opens), closes=dt.time(closes))
        for d in range(7)
    )


def build_site_world(world: World | None = None) -> SiteWorld:
    world = world or build_world()
    grant_site_perms()
    water, _ = ServiceKind.objects.get_or_create(code="water", defaults={"name": "饮水"})
    site = ServiceSite.objects.create(
        name="清华东路社区党群服务站",
        kind=SiteKind.STATION,
        organisation=world.community_1,
        territory=world.community_1,
        building=world.building_a,
        address="北京市海淀区清华东路1号",
        lat=40.0,
        lon=116.35,
        contact_name="刘站长",
        contact_phone="13811112222",
    )
    site.services.add(water)
    weekly(site=site)
    room = Room.objects.create(
        site=site, name="多功能厅", capacity=20, needs_approval=True, buffer_minutes=15
    )
    other_site = ServiceSite.objects.create(
        name="二里庄小蜜蜂驿站",
        kind=SiteKind.RIDER_STATION,
        organisation=world.community_2,
        territory=world.grid_c,
    )
    weekly(site=other_site, opens=0, closes=23)
    unit = create_organisation(
        name="学院路某科技公司", kind=Kind.CO_BUILDING, parent=world.community_1
    )
    unit_member = make_user("unit1", "共建单位联络员", ("department_liaison", unit))
    other_staff = make_user("community2", "二里庄社区干部", ("community_staff", world.community_2))
    return SiteWorld(world, site, room, other_site, unit, unit_member, other_staff)
