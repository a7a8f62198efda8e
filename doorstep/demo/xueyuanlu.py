"""The 学院路 demo street (海淀区), built from the real OpenStreetMap extract."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.atlas.people import tallies
from doorstep.atlas.people.models import CentralHousehold, Resident
from doorstep.atlas.places import basemap
from doorstep.atlas.places.models import Building, Compound, Household, Tenure, Unit
from doorstep.atlas.places.partition import draw_grids
from doorstep.service import credits

from . import (
    activities,
    alliances,
    ballots,
    campaigns,
    cases,
    cogov,
    councils,
    pairings,
    party,
    places,
    proposals,
    receptions,
    service,
    surveys,
    topics,
)
from .common import Log, Timer, bulk_insert, cached_search_text, fast_insert
from .geo import centroid, rounded
from .layout import BuildingPlan, StreetPlan, hull_of, plan_street
from .logins import Login, ensure_logins
from .osm import read_extract
from .population import (
    PeopleMaker,
    homes_by_grid,
    household_size,
    resident_row,
    taken_id_hashes,
    tenure,
)

DISTRICT_CODE = "110108"
STREET_CODE = "110108-xueyuanlu"
SEED = 20250630
OSM_FILE = "data/osm/beijing-xueyuanlu.osm"
USERNAMES = (
    "admin", "street", "community", "grid", "gridleader", "member", "resident",
    "volunteer", "liaison", "cadre", "owner", "sysadmin", "secadmin", "auditor", "street2",
) + cases.LIAISONS  # fmt: skip
WORK_UNITS = (
    "中国农业大学", "中国矿业大学（北京）", "北京航空航天大学", "北京林业大学", "北京科技大学",
    "中国石化石油化工科学研究院", "中国舰船研究院", "海淀区教育委员会", "北京市海淀区卫生健康委员会",
)  # fmt: skip
PARTY_SHARE = 0.07  # of adult residents
CENTRAL_SHARE = 0.10  # of party members


@dataclass
class Built:
    """Ids the later steps need, gathered while writing."""

    street: Organisation
    communities: list[Organisation] = field(default_factory=list)
    grids: list[Organisation] = field(default_factory=list)
    parties: dict[int, party.GridParty] = field(default_factory=dict)
    buildings: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # grid → homes
    households: dict[int, list[int]] = field(default_factory=dict)  # grid → walking order
    candidates: dict[int, party.Candidate] = field(default_factory=dict)


def _outline(plans: list[BuildingPlan]) -> dict[str, Any]:
    ring = hull_of(plans)
    lat, lon = centroid(ring)
    return {"lat": round(lat, 6), "lon": round(lon, 6), "outline": rounded(ring)}


def _tree(plan: StreetPlan, maker: PeopleMaker, rng: random.Random) -> Built:
    """District, street, 党工委, communities with 社区党委, grids with their party units."""
    district = Organisation.objects.filter(code=DISTRICT_CODE).first() or create_organisation(
        name="海淀区", kind=Kind.DISTRICT, parent=None, code=DISTRICT_CODE
    )
    every = [b for c in plan.communities for g in c.grids for b in g.buildings]
    street = create_organisation(
        name="学院路街道", kind=Kind.STREET, parent=district, code=STREET_CODE, **_outline(every)
    )
    built = Built(street)
    committee = create_organisation(
        name="学院路街道党工委", kind=Kind.WORKING_COMMITTEE, parent=street,
        secretary=maker.name("M"),
    )  # fmt: skip
    create_organisation(name="学院路街道城市管理办公室", kind=Kind.DEPARTMENT, parent=street)
    grid_plans = [g for c in plan.communities for g in c.grids]
    with_group = set(rng.sample(range(len(grid_plans)), k=max(1, round(len(grid_plans) / 10))))
    k = 0
    for cp in plan.communities:
        homes = [b for g in cp.grids for b in g.buildings]
        community = create_organisation(
            name=cp.name, kind=Kind.COMMUNITY, parent=street, **_outline(homes)
        )
        built.communities.append(community)
        party_committee = create_organisation(
            name=f"{cp.name}党委", kind=Kind.PARTY_COMMITTEE, parent=community,
            party_parent=committee, secretary=maker.name(rng.choice("MF")),
        )  # fmt: skip
        for gp in cp.grids:
            grid = create_organisation(
                name=gp.name, kind=Kind.GRID, parent=community, **_outline(gp.buildings)
            )
            built.grids.append(grid)
            built.parties[grid.pk] = party.grid_party(
                grid, committee=party_committee, community=community,
                with_branch=k not in with_group, secretary=maker.name(rng.choice("MF")),
            )  # fmt: skip
            k += 1
    return built


def _places(plan: StreetPlan, built: Built, rng: random.Random) -> None:
    """Compounds, buildings, units and households, then the people living there."""
    compounds = {}
    for area in plan.compounds:
        community = built.communities[plan.compound_community[area.osm_id]]
        address = f"北京市海淀区学院路街道{area.name}"
        compounds[area.osm_id] = Compound(
            name=area.name, community=community, address=address, osm_id=area.osm_id,
            lat=round(area.centre[0], 6), lon=round(area.centre[1], 6),
            outline=rounded(area.outline), search_text=cached_search_text(area.name, address),
        )  # fmt: skip
    bulk_insert(Compound, list(compounds.values()))
    # 小区党支部: each named compound gets a branch under its community's party committee.
    for area in plan.compounds:
        community = built.communities[plan.compound_community[area.osm_id]]
        committee = community.children.get(kind=Kind.PARTY_COMMITTEE)
        create_organisation(
            name=f"{area.name}小区党支部", kind=Kind.COMPOUND_BRANCH, parent=community,
            party_parent=committee,
        )  # fmt: skip
    rows: list[tuple[Building, BuildingPlan]] = []
    grids = iter(built.grids)
    for cp in plan.communities:
        for gp in cp.grids:
            grid = next(grids)
            for b in gp.buildings:
                row = Building(
                    name=b.name, address=b.address, grid=grid, use=b.use, floors=b.floors,
                    compound=compounds[b.compound.osm_id] if b.compound else None,
                    osm_id=b.osm.osm_id, lat=round(b.osm.centre[0], 6),
                    lon=round(b.osm.centre[1], 6), outline=rounded(b.osm.outline),
                    search_text=cached_search_text(b.name, b.address),
                )  # fmt: skip
                rows.append((row, b))
    bulk_insert(Building, [r for r, _ in rows])
    units: list[tuple[Unit, BuildingPlan]] = []
    for row, b in rows:
        if not b.home:
            continue
        built.buildings.setdefault(row.grid_id, []).append((row.pk, row.name))
        n_units = 1 if b.osm.building == "house" else rng.randint(2, 4)
        units.extend((Unit(building=row, number=f"{i}单元"), b) for i in range(1, n_units + 1))
    bulk_insert(Unit, [u for u, _ in units])
    households = []
    for unit, b in units:
        house = b.osm.building == "house"
        per_floor = 1 if house else rng.randint(2, 4)
        floors = 1 if house else b.floors
        for floor in range(1, floors + 1):
            for i in range(1, per_floor + 1):
                households.append(
                    {"unit_id": unit.pk, "room": f"{floor}{i:02d}",
                     "grid_id": unit.building.grid_id, "tenure": tenure(rng)}
                )  # fmt: skip
    fast_insert(Household, households)
    tallies.households((h["grid_id"], h["tenure"]) for h in households)
    homes = homes_by_grid(built.grids)
    built.households = {g: [hid for hid, _ in pairs] for g, pairs in homes.items()}
    _people(built, homes, rng)


def _people(built: Built, homes: dict[int, list[tuple[int, str]]], rng: random.Random) -> None:
    """Residents of every occupied household; adults become party-member candidates."""
    maker = PeopleMaker(rng, DISTRICT_CODE, taken_id_hashes())
    rows = [
        resident_row(person, household_id=hid, grid_id=grid_id)
        for grid_id, households in homes.items()
        for hid, kind in households
        if kind != Tenure.VACANT
        for person in maker.household(kind, household_size(rng))
    ]
    fast_insert(Resident, rows)
    tallies.added(tallies.facts_from_row(r) for r in rows)
    built.candidates = party.adult_candidates(built.grids)


def _party(built: Built, rng: random.Random) -> list[CentralHousehold]:
    """Members, building party groups and central households with their links."""
    chosen = [c for c in built.candidates.values() if rng.random() < PARTY_SHARE]
    members = party.make_members(rng, chosen, parties=built.parties, work_units=WORK_UNITS)
    for grid_id, homes in built.buildings.items():
        if rng.random() < 0.5:
            for building_id, group in party.building_groups(
                rng, built.parties[grid_id], homes
            ).items():
                Building.objects.filter(pk=building_id).update(party_group=group)
    per_grid: dict[int, int] = defaultdict(int)
    for m in members:
        per_grid[built.candidates[m.resident_id].grid_id] += 1
    wanted = {g: max(1, round(n * CENTRAL_SHARE)) for g, n in per_grid.items()}
    return party.central_households(
        rng, members, candidates=built.candidates, parties=built.parties,
        per_grid=wanted, households=built.households, links=(5, 15),
    )  # fmt: skip


def _first(residents: QuerySet[Resident]) -> Resident:
    found = residents.order_by("id").first()
    if found is None:
        raise LookupError("no resident fits this demo login")
    return found


def _logins(built: Built, centrals: list[CentralHousehold]) -> None:
    """The demo accounts, placed where the demo story starts (the first grid)."""
    grid = built.grids[0]
    community = built.communities[0]
    central = next((c for c in centrals if c.organisation.parent_id == grid.pk), centrals[0])
    member = Resident.objects.get(pk=central.keeper.resident_id)
    linked = central.links.order_by("household_id").first()
    resident = _first(
        Resident.objects.filter(household_id=linked.household_id)
        if linked
        else Resident.objects.filter(grid=grid).exclude(pk=member.pk)
    )
    volunteer = _first(Resident.objects.filter(grid=grid).exclude(pk__in=[member.pk, resident.pk]))
    department = built.street.children.get(kind=Kind.DEPARTMENT)
    ensure_logins(
        [
            Login("admin", "超级管理员", None),
            Login("street", "街道干部", "street_officer", built.street),
            Login("community", "社区干部", "community_staff", community),
            Login("grid", "网格员", "grid_worker", grid),
            Login("gridleader", "网格长", "grid_leader", grid),
            Login("member", f"党员{member.name}", "party_member", central.organisation, member),
            Login("resident", f"居民{resident.name}", "resident", community, resident),
            Login("volunteer", f"志愿者{volunteer.name}", "volunteer", community, volunteer),
            Login("liaison", "部门联络员", "department_liaison", department),
            Login("sysadmin", "系统管理员", "system_admin", built.street),
            Login("secadmin", "安全管理员", "security_admin", built.street),
            Login("auditor", "审计管理员", "audit_admin", built.street),
        ]
    )


def seed_xueyuanlu(
    log: Log, osm_path: Path | None = None, *, with_cases: bool = True
) -> Organisation:
    """Build the whole street (and its demo cases); call inside a transaction."""
    rng = random.Random(SEED)
    timer = Timer(log)
    with timer.step("读取 OpenStreetMap 数据"):
        extract = read_extract(osm_path or settings.SHARED_DIR / OSM_FILE)
        plan = plan_street(extract, rng)
    maker = PeopleMaker(rng, DISTRICT_CODE)
    with timer.step("组织树（社区、网格、党组织）"):
        built = _tree(plan, maker, rng)
    with timer.step("小区、楼栋、单元、户、居民"):
        _places(plan, built, rng)
    with timer.step("党员、楼栋党小组、党员中心户"):
        centrals = _party(built, rng)
    with timer.step("演示账号"):
        _logins(built, centrals)
    with timer.step("诉求分类"):
        cases.load_demo_categories(log)
    if with_cases:
        with timer.step("职能部门、共建单位和演示工单"):
            cases.seed_cases(built.street, log)
            credits.credit_cases()  # hours and points of the closed demo cases (eventual)
    with timer.step("底图与网格边界"):
        basemap.import_osm(osm_path or settings.SHARED_DIR / OSM_FILE)
        draw_grids(built.street)
    with timer.step("路网、服务阵地和15分钟服务圈"):
        places.seed_places(built.street, osm_path or settings.SHARED_DIR / OSM_FILE, log)
    with timer.step("活动、报名和签到"):
        activities.seed_activities(built.street, log)
        credits.credit_activities()
    with timer.step("志愿服务队、岗位、联户走访和积分"):
        service.seed_service(built.street, log)
    if with_cases:
        with timer.step("需求清单、资源清单与供需对接"):
            cogov.seed_cogov(built.street, log)
            cogov.seed_projects_and_fund(built.street, log)
        with timer.step("党建联盟、共建单位和兼职委员"):
            alliances.seed_alliances(built.street, log)
        with timer.step("部门结对、联系干部和三结三问"):
            pairings.seed_pairings(built.street, log)
        with timer.step("居民提议与参与式治理项目"):
            proposals.seed_proposals(built.street, log)
    with timer.step("房屋登记与业主表决"):
        ballots.seed_register(built.street, log)
        if with_cases:
            ballots.seed_ballots(built.street, log)
    if with_cases:
        with timer.step("议事会、议题与决议"):
            councils.seed_councils(built.street, log)
            topics.seed_topics(built.street, log)
            councils.seed_meetings(built.street, log)
        with timer.step("两代表一委员接待"):
            receptions.seed_receptions(built.street, log)
        with timer.step("敲门行动"):
            campaigns.seed_campaigns(built.street, log)
        with timer.step("问卷调查"):
            surveys.seed_surveys(built.street, log)
    log(f"  合计：{timer.total():.2f} 秒")
    return built.street
