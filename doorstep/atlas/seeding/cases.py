"""Demo cases (演示工单) for the 学院路 street: departments, co-building units, ~300 cases.

Every case is filed with `services.create_case` and moved with `services.perform` by the
demo personas (residents, grid workers, community staff, party members, volunteers, the
street officer, department liaisons), so events, assignments, whistles and rollups are
the real thing. The cases are spread over the last 60 days and told as stories that run
side by side in time order: a story's steps are spaced out in hours, each made at its own
moment, with the deadline sweep running every few simulated hours in between (it flags,
reminds, escalates overdue urgent cases, closes unrated ones and archives old ones).

Making a move "at" a past moment: `services` read the clock through
`django.utils.timezone.now`; `at_moment` points that at the story's moment for the length
of one move (the seed is a single-threaded management command). Everything the move
writes (event times, assignment and whistle times, rollup days) then carries that
moment, as if it had been made then. Notifications keep the real time they are sent;
those about finished cases are marked read.

Besides the printed demo logins the stories use (all with the demo password): `community2`
… `community4` (the other communities' staff), `grid2` … `grid10` (one grid worker per
grid), `member2` … (a party member keeping a central household in each other community)
and `jm011` … `jm102` (two residents per grid, `jm` + grid number + 1/2), plus the
liaisons of 城管执法队, 房管所, 市场监管所 and the two co-building units.
"""

from __future__ import annotations

import datetime as dt
import heapq
import io
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from doorstep.accounts.models import User
from doorstep.cases import services
from doorstep.cases.catalogue import load_catalogue, load_community_categories
from doorstep.cases.errors import CaseError
from doorstep.cases.hotline import import_rows
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseKind, Category, Source
from doorstep.cases.sweep import sweep
from doorstep.cases.workflow import S
from doorstep.organisations.models import Kind, Organisation
from doorstep.organisations.services import create_organisation
from doorstep.people.models import CentralHousehold, Resident
from doorstep.places.models import Building

from .common import Log
from .logins import Login, ensure_logins

SEED = 20250702
DAYS = 60
SWEEP_EVERY = dt.timedelta(hours=6)
TZ = dt.timezone(dt.timedelta(hours=8))

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

# What residents and grid workers write, per leaf category (community codes and a few
# catalogue leaves by full path).
TEXTS: dict[str, tuple[str, ...]] = {
    "物业报修 › 水电维修": (
        "厨房水管接口漏水，楼下邻居天花板已经渗水",
        "楼道总闸跳闸，整层楼没电",
        "卫生间墙内水管爆裂，请尽快派人维修",
    ),
    "物业报修 › 楼道照明": (
        "3单元楼道灯坏了一周，晚上老人上下楼不安全",
        "楼道声控灯不亮，已经半个多月",
    ),
    "物业报修 › 电梯故障": ("电梯运行时异响并晃动，住户不敢乘坐", "电梯按钮失灵，停在5层不动"),
    "物业报修 › 管道疏通": ("一楼下水道返水，屋里全是污水", "单元化粪池堵塞，气味很大"),
    "物业报修 › 门禁与公共设施": ("单元门禁坏了，门一直关不上", "小区健身器材螺丝松动，存在隐患"),
    "矛盾调解 › 邻里纠纷": (
        "楼上住户深夜经常拖动家具，多次沟通无果",
        "邻居在公共楼道放置鞋柜，双方发生争执",
        "楼上卫生间漏水到我家，对方不愿维修",
    ),
    "矛盾调解 › 物业纠纷": ("物业费上涨没有公示，业主有意见", "物业擅自占用小区绿地做停车位"),
    "施工管理 › 装修扰民": ("隔壁装修每天早上7点就开始电钻施工", "周末中午装修噪音很大，影响休息"),
    "施工管理 › 违规施工": ("楼下住户装修拆除承重墙，担心楼体安全", "有住户在楼顶私搭阳光房"),
    "施工管理 › 施工安全隐患": (
        "小区外墙施工脚手架没有防护网，有东西掉下来",
        "施工围挡倒伏，占用人行道",
    ),
    "环境卫生 › 垃圾清运": (
        "小区东门垃圾桶满溢，两天没人清运",
        "垃圾分类站厨余垃圾桶破损，污水横流",
        "楼后堆放的建筑垃圾一直没有清走",
    ),
    "环境卫生 › 楼道堆物": (
        "楼道里堆满纸箱和旧家具，影响通行",
        "住户在楼梯间堆放杂物，存在消防隐患",
    ),
    "环境卫生 › 绿化养护": ("小区树木枝条伸进窗户，需要修剪", "绿地被踩出大片裸土，雨天泥泞"),
    "环境卫生 › 乱停乱放": ("共享单车堆在单元门口，挡住出入", "有车辆长期占用消防车道停放"),
    "环境卫生 › 宠物管理": ("有人遛狗不牵绳，吓到小孩", "草坪上狗粪便无人清理"),
    "为老服务 › 助餐助浴": ("独居老人行动不便，希望社区提供送餐服务", "老人想预约助浴上门服务"),
    "为老服务 › 独居老人探访": (
        "对门独居老人两天没出门，敲门没人应，请社区上门看看",
        "我父亲独居，最近身体不好，希望网格员定期探访",
    ),
    "为老服务 › 适老化改造": ("老人家卫生间需要加装扶手", "希望单元门口的台阶加装坡道"),
    "安全隐患 › 消防通道堵塞": ("消防通道被私家车堵死", "楼道防火门被住户用杂物顶住常开"),
    "安全隐患 › 飞线充电": ("有人从三楼窗户拉电线给电动车充电", "楼道里有电动车在充电"),
    "安全隐患 › 高空坠物隐患": ("5号楼外墙瓷砖有松动，已经掉下来一块", "空调外机支架锈蚀严重"),
    "微心愿 › 助学心愿": (
        "孩子上小学三年级，希望有一套课外读物",
        "想请志愿者周末帮孩子辅导数学",
    ),
    "微心愿 › 助老心愿": (
        "独居老人希望有一台收音机",
        "老人腿脚不便，希望有人陪同去医院复查",
        "想要一副老花镜和一个放大镜",
    ),
    "微心愿 › 助困心愿": ("低保家庭冬天缺一床厚棉被", "希望得到一台二手洗衣机"),
    "城乡建设 › 城市建设和市政管理 › 城管执法": (
        "小区门口早点摊占道经营，油烟很大",
        "商户在人行道上摆放货架",
    ),
    "城乡建设 › 城乡规划 › 违章建筑": ("一楼住户私自扩建院子，占用公共绿地",),
    "城乡建设 › 住房保障与房地产 › 物业服务": (
        "物业对报修一直拖延，不到现场",
        "小区保安不在岗，外来人员随意进出",
    ),
    "城乡建设 › 住房保障与房地产 › 修缮装修": ("老楼屋顶防水层老化，顶层漏雨",),
    "商贸旅游 › 市场监管 › 商品质量": ("底商超市出售过期牛奶", "菜市场摊位电子秤缺斤少两"),
    "商贸旅游 › 市场监管 › 物价监督": ("小区周边停车场收费不明码标价",),
    "卫生计生 › 食品药品监管 › 食品安全": ("路边小吃店卫生条件差，后厨有老鼠",),
}
RESOLUTIONS = {
    "物业报修": ("已协调物业维修人员上门，现已修复", "已更换损坏部件，恢复正常使用"),
    "矛盾调解": ("已组织双方面对面调解，达成一致意见", "已上门沟通，对方承诺整改"),
    "施工管理": ("已约谈施工方，要求按规定时间施工", "已责令停工整改，现场已恢复"),
    "环境卫生": ("已安排保洁人员清理完毕", "已协调物业清理并加强巡查"),
    "为老服务": ("已上门探访并对接助老服务", "已联系服务商，服务已开始"),
    "安全隐患": ("已现场处置，隐患已消除", "已通知责任单位整改，复查合格"),
    "微心愿": ("心愿已圆梦，物品已送到居民家中", "已陪同完成，居民很满意"),
}
DEFAULT_RESOLUTIONS = ("已现场核实并处置完毕", "已联系责任单位整改完成，经回访问题已解决")


# ---------------------------------------------------------------- the clock


@contextmanager
def at_moment(moment: dt.datetime) -> Iterator[None]:
    """Let the services read `moment` as "now" (see the module docstring)."""
    real = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real  # type: ignore[assignment]


def office_hours(t: dt.datetime, rng: random.Random) -> dt.datetime:
    """Move a moment into 08:30–18:30 local time (staff do not work at night)."""
    local = t.astimezone(TZ)
    if local.hour < 8 or (local.hour == 8 and local.minute < 30):
        local = local.replace(hour=8, minute=30 + rng.randint(0, 29))
    elif local.hour >= 19 or (local.hour == 18 and local.minute >= 30):
        local = (local + dt.timedelta(days=1)).replace(hour=8, minute=30 + rng.randint(0, 29))
    return local


# ---------------------------------------------------------------- who is who


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


# ---------------------------------------------------------------- stories


Step = Callable[["Story"], None]


@dataclass
class Story:
    """One case from filing to wherever it has got by now."""

    kind: str
    grid: Organisation
    category: Category
    steps: list[tuple[float, Step]]  # (hours after the previous step, what happens)
    case: Case | None = None
    handler: User | None = None
    rater: User | None = None
    departments: list[Organisation] = field(default_factory=list)
    index: int = 0


class Storyteller:
    """Writes and plays the demo stories."""

    def __init__(self, cast: Cast, rng: random.Random, now: dt.datetime) -> None:
        self.cast = cast
        self.rng = rng
        self.now = now
        self.cats = self._categories()
        self.png = _png()
        self.counter = 0
        self.stats: dict[str, int] = {}

    # -------------------------------------------------------- material

    def _categories(self) -> dict[str, Category]:
        leaves = Category.objects.filter(active=True, children__isnull=True)
        return {c.full_name: c for c in leaves if c.full_name in TEXTS}

    def pick(self, *groups: str) -> Category:
        names = [n for n in self.cats if n.split(" › ")[0] in groups or n in groups]
        return self.cats[self.rng.choice(sorted(names))]

    def text(self, category: Category) -> str:
        return self.rng.choice(TEXTS[category.full_name])

    def resolution(self, category: Category) -> str:
        group = category.full_name.split(" › ")[0]
        return self.rng.choice(RESOLUTIONS.get(group, DEFAULT_RESOLUTIONS))

    def photo(self) -> SimpleUploadedFile:
        return SimpleUploadedFile("现场照片.png", self.png, content_type="image/png")

    def resident(self, grid: Organisation) -> tuple[User, Building] | None:
        options = self.cast.residents.get(grid.pk) or []
        return self.rng.choice(options) if options else None

    def hours(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def work_hours(self, category: Category, slow: bool) -> float:
        """How long the handler takes, by urgency; a slow one overruns the limit."""
        if category.urgency == "urgent":
            return self.hours(20, 40) if slow else self.hours(1, 16)
        if category.urgency == "pressing":
            return self.hours(80, 140) if slow else self.hours(4, 60)
        return self.hours(200, 300) if slow else self.hours(8, 150)

    # -------------------------------------------------------- moves

    def move(self, code: str, who: Callable[[Story], User | None], **params: Any) -> Step:
        def step(story: Story) -> None:
            assert story.case is not None
            actor = who(story)
            story.case = services.perform(story.case, code, actor, **params)

        return step

    def noted(
        self, code: str, who: Callable[[Story], User | None], note: str, **params: Any
    ) -> Step:
        return self.move(code, who, note=note, **params)

    def dispatcher(self, story: Story) -> User:
        assert story.case is not None
        return self.cast.dispatcher(story.case)

    def handler(self, story: Story) -> User | None:
        return story.handler

    def rater(self, story: Story) -> User | None:
        return story.rater

    def officer(self, story: Story) -> User:
        return self.cast.officer

    # -------------------------------------------------------- building blocks

    def handling(
        self, story: Story, *, rate: bool, slow: bool | None = None
    ) -> list[tuple[float, Step]]:
        """start → (suspend/resume | extension) → resolve → verify → rate or reopen."""
        rng = self.rng
        slow = rng.random() < 0.12 if slow is None else slow
        cat = story.category
        steps: list[tuple[float, Step]] = [(self.hours(0.1, 3), self.move("start", self.handler))]
        work = self.work_hours(cat, slow)
        roll = rng.random()
        if roll < 0.06:
            steps.append((work * 0.3, self.noted("suspend", self.handler, "等待业主提供维修配件")))
            steps.append((self.hours(12, 48), self.move("resume", self.handler)))
            work *= 0.7
        elif roll < 0.12 and cat.urgency != "urgent":
            steps.append(
                (
                    work * 0.4,
                    self.noted(
                        "request_extension",
                        self.handler,
                        "需协调产权单位，申请延期",
                        amount=3,
                        unit="workdays",
                    ),
                )
            )
            steps.append((self.hours(1, 8), self.move("approve_extension", self.dispatcher)))
            work *= 0.6
        resolution = self.resolution(cat)
        steps.append((work, self.noted("resolve", self.handler, resolution)))
        if story.kind == CaseKind.PATROL:
            steps.append((self.hours(1, 20), self.move("verify_close", self.dispatcher)))
            return steps
        steps.append((self.hours(1, 20), self.move("verify", self.dispatcher)))
        if not rate or rng.random() < 0.08:
            return steps  # nobody rates: the sweep closes it when the window ends
        r = rng.random()
        if r < 0.05:
            steps.append(
                (
                    self.hours(2, 48),
                    self.move(
                        "reopen",
                        self.rater,
                        rating="unsatisfied",
                        solved=False,
                        comment="问题没有彻底解决",
                    ),
                )
            )
            steps.append(
                (self.hours(8, 48), self.noted("resolve", self.handler, "已再次上门，彻底解决"))
            )
            steps.append((self.hours(1, 10), self.move("verify", self.dispatcher)))
            r = 0.5
        rating = "satisfied" if r < 0.82 else "basic"
        steps.append(
            (
                self.hours(2, 60),
                self.move("rate", self.rater, rating=rating, solved=True, comment=""),
            )
        )
        return steps

    def filed_by_resident(self, story: Story, kind: str = CaseKind.REQUEST) -> Step:
        def step(s: Story) -> None:
            found = self.resident(s.grid)
            if found is None:
                raise CaseError("该网格没有演示居民")
            user, home = found
            s.rater = user
            s.case = services.create_case(
                actor=user,
                category=s.category,
                description=self.text(s.category),
                location=locate(building=home),
                kind=kind,
                source=Source.WEB,
                anonymous=self.rng.random() < 0.15,
                created_at=timezone.now(),
            )

        return step

    def reported_on_patrol(self, story: Story) -> Step:
        def step(s: Story) -> None:
            building = self.rng.choice(self.cast.buildings[s.grid.pk])
            s.case = services.create_case(
                actor=self.cast.grid_workers[s.grid.pk],
                category=s.category,
                description=self.text(s.category),
                location=locate(building=building),
                kind=CaseKind.PATROL,
                source=Source.PATROL,
                draft=True,
                created_at=timezone.now(),
            )

        return step

    def dispatch_to(self, story: Story, target: str) -> Step:
        """Dispatch to the grid, the category's default handler or a given department."""

        def step(s: Story) -> None:
            assert s.case is not None
            if target == "grid":
                lead: Organisation = s.grid
                s.handler = self.cast.grid_workers[s.grid.pk]
            else:
                found = s.category.default_handler
                lead = found if found and found.pk in self.cast.liaisons else self.cast.city
                s.handler = self.cast.liaisons[lead.pk]
            s.case = services.perform(s.case, "dispatch", self.cast.dispatcher(s.case), lead=lead)

        return step

    def claim(self, story: Story) -> Step:
        def step(s: Story) -> None:
            assert s.case is not None
            community = self.cast.community_of[s.grid.pk]
            s.handler = self.rng.choice(self.cast.claimers[community.pk])
            s.case = services.perform(s.case, "claim", s.handler)

        return step

    # -------------------------------------------------------- the stories

    def story(self, kind: str, grid: Organisation) -> Story:
        rng = self.rng
        h = self.hours
        if kind == "pool":
            s = Story(CaseKind.REQUEST, grid, self.pick("物业报修", "为老服务", "环境卫生"), [])
            s.steps = [
                (0, self.filed_by_resident(s)),
                (h(0.3, 5), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.move("publish", self.dispatcher)),
                (h(0.5, 20), self.claim(s)),
                *self.handling(s, rate=True),
            ]
        elif kind == "grid":
            s = Story(
                CaseKind.REQUEST,
                grid,
                self.pick("物业报修", "矛盾调解", "环境卫生", "施工管理", "安全隐患"),
                [],
            )
            s.steps = [
                (0, self.filed_by_resident(s)),
                (h(0.3, 5), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.dispatch_to(s, "grid")),
                (h(0.2, 6), self.move("sign", self.handler)),
                *self.handling(s, rate=True),
            ]
        elif kind == "department":
            s = Story(CaseKind.REQUEST, grid, self.pick(*DEFAULT_HANDLERS), [])
            steps: list[tuple[float, Step]] = [
                (0, self.filed_by_resident(s)),
                (h(0.3, 5), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.dispatch_to(s, "department")),
            ]
            if rng.random() < 0.15:  # returned as not theirs, then sent to the grid
                steps += [
                    (
                        h(1, 10),
                        self.noted(
                            "return", self.handler, "不属于本单位职责范围，请社区协调物业处理"
                        ),
                    ),
                    (h(0.5, 4), self.dispatch_to(s, "grid")),
                ]
            steps += [(h(0.5, 8), self.move("sign", self.handler)), *self.handling(s, rate=True)]
            s.steps = steps
        elif kind == "self_handle":
            s = Story(CaseKind.PATROL, grid, self.pick("环境卫生", "安全隐患", "物业报修"), [])

            def self_handle(st: Story) -> None:
                assert st.case is not None
                st.case = services.perform(
                    st.case,
                    "self_handle",
                    self.cast.grid_workers[st.grid.pk],
                    note=self.resolution(st.category),
                    photos=[self.photo()],
                )

            s.steps = [(0, self.reported_on_patrol(s)), (h(0.2, 2), self_handle)]
        elif kind == "patrol":
            s = Story(CaseKind.PATROL, grid, self.pick("环境卫生", "施工管理", "安全隐患"), [])
            worker = self.cast.grid_workers[grid.pk]
            s.steps = [
                (0, self.reported_on_patrol(s)),
                (h(0.1, 3), self.move("submit", lambda st: worker)),
                (h(0.3, 5), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.dispatch_to(s, "grid")),
                (h(0.2, 6), self.move("sign", self.handler)),
                *self.handling(s, rate=False),
            ]
        elif kind == "whistle":
            s = Story(
                CaseKind.PATROL,
                grid,
                self.pick("施工管理 › 施工安全隐患", "安全隐患", "城乡建设 › 城乡规划 › 违章建筑"),
                [],
            )
            worker = self.cast.grid_workers[grid.pk]
            depts = list(self.cast.departments.values())
            chosen = [self.cast.departments["城管执法队"]] + rng.sample(
                [d for d in depts if d.name != "城管执法队"], k=rng.choice((1, 1, 2))
            )
            s.departments = chosen
            s.handler = self.cast.liaisons[chosen[0].pk]

            def report(dept: Organisation) -> Step:
                return self.move("report_in", lambda st: self.cast.liaisons[dept.pk])

            def evaluate(st: Story) -> None:
                assert st.case is not None
                from doorstep.cases.models import Summons

                pending = Summons.objects.filter(whistle__case=st.case, score__isnull=True)
                scores = {
                    x.pk: (rng.choice((5, 5, 4, 4, 3)), "响应及时，配合到位") for x in pending
                }
                st.case = services.perform(st.case, "evaluate", self.cast.officer, scores=scores)

            s.steps = [
                (0, self.reported_on_patrol(s)),
                (h(0.1, 2), self.move("submit", lambda st: worker)),
                (h(0.2, 2), self.move("accept", self.dispatcher)),
                (
                    h(0.2, 3),
                    self.noted(
                        "escalate",
                        self.dispatcher,
                        "涉及多个职能部门，社区无法单独处置，请街道协调",
                    ),
                ),
                (
                    h(0.2, 3),
                    self.noted(
                        "whistle", self.officer, "请相关部门到场联合处置", departments=chosen
                    ),
                ),
                *[(h(0.1, 0.7), report(d)) for d in chosen],
                (
                    h(6, 40),
                    self.noted("resolve", self.handler, "多部门联合执法，隐患已消除，现场已恢复"),
                ),
                (h(1, 8), self.move("verify_close", self.officer)),
                (h(2, 48), evaluate),
            ]
        elif kind == "hotline":
            s = Story(
                CaseKind.HOTLINE,
                grid,
                self.pick(*DEFAULT_HANDLERS, "城乡建设 › 城市建设和市政管理 › 城管执法"),
                [],
            )

            def imported(st: Story) -> None:
                staff = self.cast.staff[self.cast.community_of[st.grid.pk].pk]
                building = rng.choice(self.cast.buildings[st.grid.pk])
                self.counter += 1
                called = timezone.now() - dt.timedelta(minutes=rng.randint(30, 180))
                record = {
                    "工单编号": f"BJ12345{called.astimezone(TZ):%y%m%d}{self.counter:04d}",
                    "诉求类型": rng.choice(("投诉", "求助", "投诉", "建议")),
                    "问题分类": st.category.full_name,
                    "诉求内容": self.text(st.category),
                    "地址": f"北京市海淀区学院路街道{building.name}",
                    "来电时间": called.astimezone(TZ).replace(tzinfo=None),
                    "办结时限": "",
                    "来电人": rng.choice(("张先生", "王女士", "李女士", "刘先生")),
                    "联系电话": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                }
                result = import_rows(
                    [(2, record)], actor=staff, fallback=self.cast.community_of[st.grid.pk]
                )
                if result.errors:
                    raise CaseError(result.errors[0][1])
                st.case = Case.objects.get(number=result.numbers[0])
                st.rater = staff  # the callback (回访) is made by the importing staff

            target = "grid" if rng.random() < 0.4 else "department"
            s.steps = [
                (0, imported),
                (h(0.2, 3), self.dispatch_to(s, target)),
                (h(0.3, 6), self.move("sign", self.handler)),
                *self.handling(s, rate=True),
            ]
        elif kind == "wish":
            s = Story(CaseKind.MICRO_WISH, grid, self.pick("微心愿"), [])
            s.steps = [
                (0, self.filed_by_resident(s, CaseKind.MICRO_WISH)),
                (h(1, 24), self.move("accept", self.dispatcher)),
                (h(0.1, 4), self.move("publish", self.dispatcher)),
                (h(2, 72), self.claim(s)),
                *self.handling(s, rate=True),
            ]
        elif kind == "info":
            s = Story(CaseKind.REQUEST, grid, self.pick("矛盾调解", "物业报修"), [])
            s.steps = [
                (0, self.filed_by_resident(s)),
                (
                    h(0.5, 6),
                    self.noted("request_info", self.dispatcher, "请补充具体楼号、单元和现场照片"),
                ),
                (h(2, 30), self.noted("supplement", self.rater, "是3单元2层东户，晚上8点后最明显")),
                (h(0.5, 6), self.move("accept", self.dispatcher)),
                (h(0.1, 2), self.dispatch_to(s, "grid")),
                (h(0.2, 6), self.move("sign", self.handler)),
                *self.handling(s, rate=True),
            ]
        elif kind == "cancelled":
            s = Story(CaseKind.REQUEST, grid, self.pick("环境卫生", "物业报修"), [])
            end: Step = (
                self.noted("withdraw", self.rater, "问题已自行解决，撤回申请")
                if rng.random() < 0.5
                else self.noted("cancel", self.dispatcher, "经核实为重复诉求，已在其他工单中办理")
            )
            s.steps = [(0, self.filed_by_resident(s)), (h(0.5, 8), end)]
        else:  # pragma: no cover - a typo in MIX
            raise ValueError(kind)
        return s

    # -------------------------------------------------------- playing them

    def play(self, mix: dict[str, int], grids: list[Organisation], log: Log) -> dict[str, int]:
        rng = self.rng
        start = self.now - dt.timedelta(days=DAYS)
        queue: list[tuple[dt.datetime, int, Story | None]] = []
        n = 0
        kinds = [k for k, count in mix.items() for _ in range(count)]
        rng.shuffle(kinds)
        for kind in kinds:
            grid = rng.choice(grids)
            story = self.story(kind, grid)
            # More recent days are busier (the service grew); filed 07:00–22:00.
            age = DAYS * (rng.random() ** 1.3)
            filed = (self.now - dt.timedelta(days=age)).astimezone(TZ)
            filed = filed.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59))
            if filed >= self.now - dt.timedelta(minutes=30):
                filed = self.now - dt.timedelta(hours=rng.uniform(1, 6))
            n += 1
            heapq.heappush(queue, (filed, n, story))
        t = start
        while t < self.now:
            n += 1
            heapq.heappush(queue, (t, n, None))
            t += SWEEP_EVERY
        done: dict[str, int] = {"moves": 0, "stopped": 0, "sweeps": 0}
        while queue:
            moment, _n, item = heapq.heappop(queue)
            if moment >= self.now:
                continue
            if item is None:
                with at_moment(moment):
                    sweep(moment)
                done["sweeps"] += 1
                continue
            story = item
            _delay, step = story.steps[story.index]
            try:
                with at_moment(moment):
                    step(story)
            except CaseError as exc:
                # The sweep escalated it, or it closed by itself: the story ends here.
                done["stopped"] += 1
                self.stats[exc.message] = self.stats.get(exc.message, 0) + 1
                if story.case is None:
                    log(f"  跳过一件演示工单：{exc.message}")
                continue
            done["moves"] += 1
            story.index += 1
            if story.index < len(story.steps):
                delay = story.steps[story.index][0]
                following = moment + dt.timedelta(hours=delay)
                if delay >= 0.5:
                    following = office_hours(following, rng)
                n += 1
                heapq.heappush(queue, (max(following, moment + dt.timedelta(minutes=1)), n, story))
        return done


def _png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 48), (214, 224, 232))
    ImageDraw.Draw(img).rectangle((8, 8, 56, 40), outline=(40, 90, 140), width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


MIX = {
    "pool": 55,
    "grid": 55,
    "department": 30,
    "self_handle": 36,
    "patrol": 24,
    "whistle": 12,
    "hotline": 36,
    "wish": 30,
    "info": 10,
    "cancelled": 12,
}


def load_demo_categories(log: Log) -> None:
    catalogue = load_catalogue()
    community = load_community_categories()
    log(f"  诉求分类：政务目录{catalogue}；社区自定义{community}")


def seed_cases(street: Organisation, log: Log, mix: dict[str, int] | None = None) -> dict[str, int]:
    """Departments, co-building units, their liaisons, and the demo cases. Call in a transaction."""
    rng = random.Random(SEED)
    cast = build_cast(street, log)
    by_name = {
        c.full_name: c for c in Category.objects.filter(full_name__in=list(DEFAULT_HANDLERS))
    }
    for full_name, dept in DEFAULT_HANDLERS.items():
        cat = by_name.get(full_name)
        if cat is not None and cat.default_handler_id is None:
            cat.default_handler = cast.departments[dept]
            cat.save(update_fields=["default_handler"])
    grids = [g for g in Organisation.objects.filter(pk__in=list(cast.grid_workers)).order_by("id")]
    teller = Storyteller(cast, rng, timezone.now())
    done = teller.play(mix or MIX, grids, log)
    final = sweep()
    _history_read(street)
    done["cases"] = Case.objects.filter(territory_path__startswith=street.path).count()
    open_ = Case.objects.filter(
        territory_path__startswith=street.path, status__in=list(_open())
    ).count()
    log(
        f"  演示工单 {done['cases']} 件（在办 {open_} 件），操作 {done['moves']} 步，"
        f"时限巡检 {done['sweeps']} 次；最后一次巡检：{final}"
    )
    return done


def _history_read(street: Organisation) -> None:
    """After commit, mark the personas' notifications about finished cases as read.

    Sixty days of history would otherwise greet each demo login with hundreds of unread
    messages; what is still open stays unread. (With eager Celery the notifications are
    written by earlier on-commit callbacks; with a broker they may come later, unread.)
    """
    from django.db import transaction

    from doorstep.inbox.models import Notification

    done = [
        f"/cases/{number}/"
        for number in Case.objects.filter(territory_path__startswith=street.path)
        .exclude(status__in=list(_open()))
        .values_list("number", flat=True)
    ]

    def mark() -> None:
        for i in range(0, len(done), 500):
            Notification.objects.filter(url__in=done[i : i + 500], read_at__isnull=True).update(
                read_at=timezone.now()
            )

    transaction.on_commit(mark)


def _open() -> frozenset[str]:
    from doorstep.cases.workflow import OPEN

    return OPEN | {S.DRAFT, S.PENDING_RATING}
