"""Who is who in the demo stories: departments, co-building units, liaisons and personas."""

from __future__ import annotations

from dataclasses import dataclass

from doorstep.accounts.models import User
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.atlas.people.models import CentralHousehold, Resident
from doorstep.atlas.places.models import Building
from doorstep.cases.models import Case

from ..common import Log
from ..logins import Login, ensure_logins

DEPARTMENTS = (
    ("城管执法队", "liaison_city", "城管执法队联络员"),
    ("房管所", "liaison_housing", "房管所联络员"),
    ("市场监管所", "liaison_market", "市场监管所联络员"),
)
CO_BUILDING = (
    ("中国农业大学东校区", "liaison_cau", "农大共建联络员"),
    ("中国石化石油化工科学研究院", "liaison_ripp", "石科院共建联络员"),
)
LIAISONS = tuple(u for _n, u, _d in DEPARTMENTS + CO_BUILDING)
# Default handlers of a few catalogue leaves (by full path) in the demo.
DEFAULT_HANDLERS = {
    "城乡建设 › 城市建设和市政管理 › 城管执法": "城管执法队",
    "城乡建设 › 城乡规划 › 违章建筑": "城管执法队",
    "城乡建设 › 住房保障与房地产 › 物业服务": "房管所",
    "城乡建设 › 住房保障与房地产 › 修缮装修": "房管所",
    "商贸旅游 › 市场监管 › 商品质量": "市场监管所",
    "商贸旅游 › 市场监管 › 物价监督": "市场监管所",
    "卫生计生 › 食品药品监管 › 食品安全": "市场监管所",
}


@dataclass
class Cast:
    street: Organisation
    officer: User
    staff: dict[int, User]  # community id → community staff
    grid_workers: dict[int, User]  # grid id → grid worker
    claimers: dict[int, list[User]]  # community id → party members and volunteers
    residents: dict[int, list[tuple[User, Building]]]  # grid id → (resident user, home)
    liaisons: dict[int, User]  # department / co-building unit id → liaison
    departments: dict[str, Organisation]
    community_of: dict[int, Organisation]  # grid id → community
    buildings: dict[int, list[Building]]  # grid id → buildings

    @property
    def city(self) -> Organisation:
        return self.departments["城管执法队"]

    def dispatcher(self, case: Case) -> User:
        """Who dispatches the case now: its owner's staff (the street officer at the top)."""
        return self.staff.get(case.owner_id, self.officer)


def _departments(street: Organisation) -> tuple[dict[str, Organisation], list[Login]]:
    orgs: dict[str, Organisation] = {}
    logins = []
    for kind, rows in ((Kind.DEPARTMENT, DEPARTMENTS), (Kind.CO_BUILDING, CO_BUILDING)):
        for name, username, display in rows:
            org = Organisation.objects.filter(parent=street, name=name).first()
            if org is None:
                org = create_organisation(name=name, kind=kind, parent=street)
            orgs[name] = org
            logins.append(Login(username, display, "department_liaison", org))
    return orgs, logins


def _resident_for(grid: Organisation, skip: set[int]) -> Resident | None:
    return (
        Resident.objects.filter(grid=grid, user__isnull=True, birth_date__year__lte=2000)
        .exclude(pk__in=skip)
        .select_related("household__unit__building")
        .order_by("id")
        .first()
    )


def build_cast(street: Organisation, log: Log) -> Cast:
    """Departments, co-building units and the extra demo personas the stories need."""
    departments, logins = _departments(street)
    communities = list(street.children.filter(kind=Kind.COMMUNITY).order_by("id"))
    grids = list(Organisation.objects.filter(kind=Kind.GRID, parent__in=communities).order_by("id"))
    taken: set[int] = set(Resident.objects.exclude(user=None).values_list("pk", flat=True))
    resident_homes: list[tuple[str, int, Resident]] = []
    for i, community in enumerate(communities[1:], 2):
        logins.append(
            Login(f"community{i}", f"社区干部（{community.name}）", "community_staff", community)
        )
        central = (
            CentralHousehold.objects.filter(organisation__path__startswith=community.path)
            .select_related("keeper__resident", "organisation")
            .order_by("id")
            .first()
        )
        if central is not None and central.keeper.resident_id not in taken:
            member = central.keeper.resident
            taken.add(member.pk)
            logins.append(
                Login(
                    f"member{i}", f"党员{member.name}", "party_member", central.organisation, member
                )
            )
    for i, grid in enumerate(grids[1:], 2):
        logins.append(Login(f"grid{i}", f"网格员（{grid.name}）", "grid_worker", grid))
    for i, grid in enumerate(grids, 1):
        for k in (1, 2):
            r = _resident_for(grid, taken)
            if r is None:
                break
            taken.add(r.pk)
            username = f"jm{i:02d}{k}"
            # Held at the grid, not the community: the community's staff list stays short.
            logins.append(Login(username, f"居民{r.name}", "resident", grid, r))
            resident_homes.append((username, grid.pk, r))
    ensure_logins(logins)
    users = {
        u.username: u
        for u in User.objects.filter(
            memberships__organisation__path__startswith=street.path
        ).distinct()
    }
    users.update({u.username: u for u in User.objects.filter(username__in=["resident"])})

    def user(name: str) -> User | None:
        return users.get(name)

    staff = {communities[0].pk: users["community"]}
    claimers: dict[int, list[User]] = {c.pk: [] for c in communities}
    claimers[communities[0].pk] = [u for u in (user("member"), user("volunteer")) if u]
    for i, community in enumerate(communities[1:], 2):
        staff[community.pk] = users[f"community{i}"]
        if user(f"member{i}"):
            claimers[community.pk].append(users[f"member{i}"])
    for c in communities:  # a community without its own claimer borrows the first one's
        claimers[c.pk] = claimers[c.pk] or claimers[communities[0].pk]
    grid_workers = {grids[0].pk: users["grid"]}
    grid_workers.update({g.pk: users[f"grid{i}"] for i, g in enumerate(grids[1:], 2)})
    residents: dict[int, list[tuple[User, Building]]] = {g.pk: [] for g in grids}
    for username, grid_id, r in resident_homes:
        residents[grid_id].append((users[username], r.household.unit.building))
    demo_resident = user("resident")
    if demo_resident is not None:
        r0 = (
            Resident.objects.filter(user=demo_resident)
            .select_related("household__unit__building")
            .first()
        )
        if r0 is not None and r0.grid_id in residents:
            residents[r0.grid_id].append((demo_resident, r0.household.unit.building))
    liaisons = {departments[name].pk: users[u] for name, u, _d in DEPARTMENTS + CO_BUILDING}
    buildings: dict[int, list[Building]] = {g.pk: [] for g in grids}
    for b in Building.objects.filter(grid__in=grids).order_by("id"):
        buildings[b.grid_id].append(b)
    log(f"  演示工单的角色：{len(logins)} 个账号（部门联络员、各社区干部、网格员、居民）")
    return Cast(
        street=street,
        officer=users["street"],
        staff=staff,
        grid_workers=grid_workers,
        claimers=claimers,
        residents=residents,
        liaisons=liaisons,
        departments=departments,
        community_of={g.pk: next(c for c in communities if c.pk == g.parent_id) for g in grids},
        buildings=buildings,
    )
