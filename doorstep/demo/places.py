"""Service sites of the 学院路 demo on real buildings, the road network, a first coverage.

Sites are placed on the street's real (OSM) buildings, nearest to deterministic targets
(the centre of the street or of a community, between two communities). Everything goes
through `sites.services.create_site`; running it again adds nothing."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Building, BuildingUse
from doorstep.nearby.circle.coverage import store_run
from doorstep.nearby.circle.models import RoadNetwork
from doorstep.nearby.circle.store import import_roads
from doorstep.nearby.sites.models import OpeningHours, Room, ServiceKind, ServiceSite, SiteKind
from doorstep.nearby.sites.services import create_site

from .common import Log

NETWORK_NAME = "学院路街道步行路网"
ALL_DAY = (dt.time(0, 0), dt.time(23, 59, 59))
OFFICE = (dt.time(8, 30), dt.time(20, 0))
DAYTIME = (dt.time(9, 0), dt.time(17, 30))
MEALS = (dt.time(10, 30), dt.time(19, 0))
EVENING = (dt.time(9, 0), dt.time(21, 0))


@dataclass(frozen=True)
class SitePlan:
    name: str
    kind: str
    target: str  # "street", "c0".."c3" (a community's centre) or "c0-c1" (between two)
    services: tuple[str, ...]
    hours: tuple[dt.time, dt.time]
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    holidays: bool = False
    public: bool = False  # on a public building (the co-building unit's venue)
    rooms: tuple[tuple[str, int, str, bool], ...] = ()  # name, capacity, equipment, approval


ROOMS_CENTRE = (
    ("书画室", 20, "书画桌、文房四宝", False),
    ("舞蹈室", 30, "镜墙、把杆、音响", True),
    ("电子阅览室", 16, "电脑16台、打印机", False),
)
STATION_ROOMS = (
    (("乒乓球室", 8, "乒乓球台2张", False),),
    (("多功能活动室", 40, "投影、音响、折叠桌椅", True),),
    (("电子阅览室", 8, "电脑8台", False), ("书画室", 12, "书画桌", False)),
    (("舞蹈室", 20, "镜墙、音响", True),),
)
STATION_SERVICES = ("water", "rest", "reading", "legal", "medicine", "umbrella", "wifi")
# The services the demo uses (normally there from the sites migration; a flushed test
# database has lost them, so they are made again when missing).
SERVICE_NAMES = {
    "water": "饮水", "charging": "充电", "rest": "休息", "meals": "就餐", "heating": "热饭",
    "toilet": "如厕", "reading": "阅读", "legal": "法律咨询", "medicine": "应急药箱",
    "repair": "便民维修", "umbrella": "雨伞借用", "wifi": "无线网络", "psychology": "心理咨询",
    "elderly_care": "助老服务", "activity": "文体活动",
}  # fmt: skip
RIDER_SERVICES = ("water", "charging", "rest", "heating", "toilet", "medicine", "repair")
# Riders' stations keep a small room for 骑手议事会, training and rest (staff approve).
RIDER_ROOM = (("骑手议事室", 10, "桌椅、饮水机、充电柜", True),)


def _plans(communities: list[Organisation]) -> list[SitePlan]:
    plans = [
        SitePlan(
            "学院路街道党群服务中心",
            SiteKind.CENTRE,
            "street",
            ("water", "rest", "reading", "legal", "psychology", "activity", "wifi"),
            OFFICE,
            holidays=True,
            rooms=ROOMS_CENTRE,
        ),  # fmt: skip
    ]
    for i, community in enumerate(communities[:4]):
        plans.append(
            SitePlan(
                f"{community.name}党群服务站",
                SiteKind.STATION,
                f"c{i}",
                STATION_SERVICES,
                DAYTIME,
                weekdays=(0, 1, 2, 3, 4, 5),
                rooms=STATION_ROOMS[i],
            )  # fmt: skip
        )
    n = len(communities)
    between = [f"c0-c{min(1, n - 1)}", f"c{min(2, n - 1)}-c{n - 1}"]
    plans += [
        SitePlan("学院路小蜜蜂驿站（北）", SiteKind.RIDER_STATION, between[0], RIDER_SERVICES,
                 ALL_DAY, holidays=True, rooms=RIDER_ROOM),
        SitePlan("学院路小蜜蜂驿站（南）", SiteKind.RIDER_STATION, between[1], RIDER_SERVICES,
                 ALL_DAY, holidays=True, rooms=RIDER_ROOM),
        SitePlan("学院路暖新驿站", SiteKind.RIDER_STATION, "street",
                 ("water", "charging", "rest", "heating", "toilet"), ALL_DAY, holidays=True,
                 rooms=RIDER_ROOM),
        SitePlan("学院路幸福食堂", SiteKind.CANTEEN, f"c{min(1, n - 1)}",
                 ("meals", "heating", "elderly_care", "water"), MEALS, holidays=True),
        SitePlan(f"{communities[min(2, n - 1)].name}邻里之家", SiteKind.NEIGHBOURHOOD,
                 f"c{min(2, n - 1)}", ("rest", "activity", "elderly_care", "reading"), EVENING,
                 rooms=(("棋牌室", 12, "棋牌桌4张", False),)),
        SitePlan(f"{communities[n - 1].name}邻里之家", SiteKind.NEIGHBOURHOOD, f"c{n - 1}",
                 ("rest", "activity", "repair", "umbrella"), EVENING),
        SitePlan("共建单位开放场地（操场与报告厅）", SiteKind.OPEN_VENUE, "c0",
                 ("activity", "toilet", "water"), (dt.time(6, 0), dt.time(21, 0)),
                 weekdays=(5, 6), holidays=True, public=True,
                 rooms=(("报告厅", 200, "投影、音响、讲台", True),)),
    ]  # fmt: skip
    return plans


def _centre(org: Organisation) -> tuple[float, float]:
    if org.lat is not None and org.lon is not None:
        return float(org.lat), float(org.lon)
    return 0.0, 0.0


def _target(plan: SitePlan, street: Organisation, communities: list[Organisation]) -> tuple:
    if plan.target == "street":
        return _centre(street)
    parts = [communities[int(p[1:])] for p in plan.target.split("-")]
    points = [_centre(c) for c in parts]
    return (
        sum(p[0] for p in points) / len(points),
        sum(p[1] for p in points) / len(points),
    )


def _nearest(
    candidates: list[tuple[int, float, float, str, int, str]],
    lat: float,
    lon: float,
    taken: set[int],
    public: bool,
) -> tuple[int, float, float, str, int, str] | None:
    scale = math.cos(math.radians(lat))
    best = None
    best_d = math.inf
    for row in candidates:
        if row[0] in taken or (public and row[5] != BuildingUse.PUBLIC):
            continue
        d = (row[1] - lat) ** 2 + ((row[2] - lon) * scale) ** 2
        if d < best_d:
            best, best_d = row, d
    return best


def _network(osm_path: Path, log: Log) -> RoadNetwork:
    found = RoadNetwork.objects.filter(source_name=osm_path.name).first()
    if found is not None:
        return found
    network, imported = import_roads(osm_path, name=NETWORK_NAME)
    log(
        f"  路网：{network.node_count} 个节点，{network.edge_count} 条路段（{imported.ways} 条道路）"
    )
    return network


def seed_places(street: Organisation, osm_path: Path, log: Log) -> RoadNetwork:
    """Road network, ~12 service sites with hours and rooms, and a first coverage run."""
    network = _network(osm_path, log)
    existing = ServiceSite.objects.filter(territory_path__startswith=street.path)
    if existing.exists():
        return network
    communities = list(street.children.filter(kind=Kind.COMMUNITY).order_by("id"))
    if not communities:
        return network
    for order, (code, name) in enumerate(SERVICE_NAMES.items(), 1):
        if not ServiceKind.objects.filter(code=code).exists():
            ServiceKind.objects.get_or_create(name=name, defaults={"code": code, "order": order})
    co_building = (
        Organisation.objects.filter(parent=street, kind=Kind.CO_BUILDING).order_by("id").first()
    )
    candidates = [
        (b.pk, float(b.lat), float(b.lon), b.name, b.grid_id, b.use)
        for b in Building.objects.filter(
            grid__path__startswith=street.path, lat__isnull=False, lon__isnull=False
        )
        .select_related("grid")
        .order_by("id")
        if b.lat is not None and b.lon is not None
    ]
    grid_community = dict(
        Organisation.objects.filter(path__startswith=street.path, kind=Kind.GRID).values_list(
            "id", "parent_id"
        )
    )
    by_id = {c.pk: c for c in communities}
    taken: set[int] = set()
    hours: list[OpeningHours] = []
    rooms: list[Room] = []
    sites: list[tuple[int, float, float]] = []
    for plan in _plans(communities):
        lat, lon = _target(plan, street, communities)
        row = _nearest(candidates, lat, lon, taken, plan.public) or _nearest(
            candidates, lat, lon, taken, False
        )
        if row is None:
            continue
        taken.add(row[0])
        bid, b_lat, b_lon, b_name, grid_id, _use = row
        community = by_id.get(grid_community.get(grid_id, 0), communities[0])
        territory = street if plan.kind in (SiteKind.CENTRE, SiteKind.RIDER_STATION) else community
        organisation = (
            co_building if plan.kind == SiteKind.OPEN_VENUE and co_building else territory
        )
        site = create_site(
            actor=None,
            name=plan.name,
            kind=plan.kind,
            organisation=organisation,
            territory=territory,
            building=Building.objects.get(pk=bid),
            address=f"北京市海淀区学院路街道{b_name}",
            lat=round(b_lat, 6),
            lon=round(b_lon, 6),
            contact_name="值班人员",
            contact_phone="010-6233" + f"{1000 + len(sites):04d}",
            open_on_holidays=plan.holidays,
            description=f"位于{b_name}。",
            services=list(plan.services),
        )
        sites.append((site.pk, float(site.lat or 0.0), float(site.lon or 0.0)))
        opens, closes = plan.hours
        hours += [
            OpeningHours(site=site, weekday=d, opens=opens, closes=closes) for d in plan.weekdays
        ]
        rooms += [
            Room(
                site=site,
                name=name,
                capacity=capacity,
                equipment=equipment,
                needs_approval=approval,
                buffer_minutes=15 if approval else 0,
            )  # fmt: skip
            for name, capacity, equipment, approval in plan.rooms
        ]
    OpeningHours.objects.bulk_create(hours)
    Room.objects.bulk_create(rooms)
    if sites:
        run = store_run(network, sites, label="演示：全部服务阵地")
        share = run.summary["totals"]["household_share"]
        log(f"  服务阵地 {len(sites)} 个、房间 {len(rooms)} 间；15分钟覆盖户数比例 {share:.1%}")
    return network
