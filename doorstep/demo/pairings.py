"""结对 on the 学院路 demo: the district's and the street's departments paired with the
communities, each with its 结对服务清单; district and street cadres linked to communities
and grids (the `cadre` login among them), and their 三结三问 visits over the last weeks:
needs put on the list (one met), a case filed, some visits with
nothing to follow up. Everything goes through `doorstep.cogov.pairings` and the services
the pages use, as the street officer, the departments' liaisons and the cadres, except the
first visit's need, set met as the demo's state (the demo's matches are seeded earlier)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cogov import pairings
from doorstep.cogov.models import Pairing

from .common import Log
from .logins import Login, ensure_logins

# The district's departments that pair with the street's communities (seed 002).
DISTRICT_DEPARTMENTS = ("海淀区民政局", "海淀区卫生健康委员会", "海淀区住房和城乡建设委员会")
# department → its 结对服务清单 lines (title, detail, frequency)
OFFERS = {
    "海淀区民政局": (
        ("政策宣讲进社区", "低保、临时救助、高龄津贴政策解读", "每季度一次"),
        ("困难家庭走访", "与社区一起走访低保、低收入家庭", "每半年一次"),
    ),
    "海淀区卫生健康委员会": (
        ("家庭医生签约服务", "组织社区卫生服务中心上门签约、随访", "每月一次"),
        ("健康讲座", "慢病管理、急救常识", "每季度一次"),
    ),
    "海淀区住房和城乡建设委员会": (
        ("老旧小区改造咨询", "加装电梯、管线改造政策和流程", "每季度一次"),
    ),
    "城管执法队": (("环境整治联合行动", "背街小巷、占道经营整治", "每月一次"),),
    "房管所": (("物业服务协调", "物业纠纷调解、维修资金使用指导", "每月一次"),),
    "市场监管所": (("食品安全进社区", "小餐饮、菜市场食品安全检查与宣传", "每季度一次"),),
}
# username, display, level, post (the first is the demo's `cadre` login)
CADRES = (
    ("cadre", "周建华", "district", "海淀区民政局副局长"),
    ("cadre_s1", "吴晓燕", "street", "学院路街道社区建设办科长"),
    ("cadre_s2", "郑磊", "street", "学院路街道平安建设办副主任"),
    ("cadre_d2", "冯涛", "district", "海淀区卫生健康委员会处长"),
)
VISITS = (  # days ago, asks, what was found, a need (title, field, wants, people) or None
    (48, ["need"], "与社区书记座谈，了解到外卖骑手午间无处歇脚", ("骑手驿站歇脚点", "new_workers", "venue", 30)),
    (33, ["need", "advice"], "走访独居老人，反映助餐点太远", ("老年助餐配送", "elderly", "service", 12)),
    (20, ["effect"], "回访上月协调的楼道照明，居民满意", None),
    (12, ["advice"], "与网格员商量雨季积水点排查办法", None),
    (4, ["need", "effect"], "居民反映单元门禁损坏，已转办", None),
)  # fmt: skip


def seed_pairings(street: Organisation, log: Log) -> None:
    if Pairing.objects.filter(path__startswith=street.path).exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    officer = users.get("street")
    if officer is None:
        return
    today = timezone.localdate()
    year_start = today.replace(month=1, day=1)
    term_end = year_start.replace(year=year_start.year + 2)
    communities = list(street.children.filter(kind=Kind.COMMUNITY).order_by("id"))
    grids = list(Organisation.objects.filter(kind=Kind.GRID, parent__in=communities).order_by("id"))
    departments = _departments(street)
    liaisons = _liaisons(departments)
    offers = 0
    for n, community in enumerate(communities):
        department = departments[n % len(departments)]
        pairing = pairings.pair_department(
            actor=officer, department=department, node=community,
            starts_on=year_start, ends_on=term_end,
        )  # fmt: skip
        for title, detail, frequency in OFFERS.get(department.name, ()):
            pairings.add_offer(
                actor=liaisons.get(department.pk, officer), pairing=pairing, title=title,
                detail=detail, frequency=frequency,
            )  # fmt: skip
            offers += 1
    first_community = communities[0]
    # The demo login (its role at the community is then bounded by the link's term).
    ensure_logins([Login("cadre", f"联系干部{CADRES[0][1]}", "cadre", first_community)])
    _plain_users(CADRES[1:])
    cadres = {u.username: u for u in get_user_model().objects.filter(username__startswith="cadre")}
    pairings.link_cadre(
        actor=officer, cadre=cadres["cadre"], node=first_community, level="district",
        post=CADRES[0][3], starts_on=year_start, ends_on=term_end,
    )  # fmt: skip
    for (username, _name, level, post), node in zip(
        CADRES[1:], [grids[0], grids[len(grids) // 2], communities[-1]], strict=True
    ):
        pairings.link_cadre(
            actor=officer, cadre=cadres[username], node=node, level=level, post=post,
            starts_on=year_start, ends_on=term_end,
        )  # fmt: skip
    visits = _visits(cadres["cadre"], first_community, today)
    log(
        f"  结对：部门结对社区 {len(communities)} 对，结对服务项目 {offers} 项；"
        f"联系干部 {len(CADRES)} 名，三结三问走访 {visits} 次"
    )


def _departments(street: Organisation) -> list[Organisation]:
    district = street.parent
    found = []
    for name in DISTRICT_DEPARTMENTS:
        org = Organisation.objects.filter(parent=district, name=name).first()
        found.append(org or create_organisation(name=name, kind=Kind.DEPARTMENT, parent=district))
    found += list(street.children.filter(kind=Kind.DEPARTMENT, name__in=list(OFFERS)))
    return found


def _liaisons(departments: list[Organisation]) -> dict[int, Any]:
    from doorstep.accounts.models import Membership

    rows = Membership.objects.filter(
        organisation__in=departments, role__code="department_liaison"
    ).select_related("user")
    return {m.organisation_id: m.user for m in rows}


def _plain_users(rows: tuple[tuple[str, str, str, str], ...]) -> None:
    """Cadres who are not demo logins: accounts without a usable password."""
    model = get_user_model()
    for username, name, _level, _post in rows:
        if not model.objects.filter(username=username).exists():
            user = model(username=username, display_name=f"联系干部{name}")
            user.set_unusable_password()
            user.save()


def _visits(cadre: Any, community: Organisation, today: dt.date) -> int:
    """The `cadre` login's visits to the grids of its community, from seven weeks ago."""
    from doorstep.cases.models import Category
    from doorstep.cogov.models import Need

    grids = list(community.children.filter(kind=Kind.GRID).order_by("id"))
    category = Category.objects.filter(active=True, children__isnull=True).order_by("code").first()
    count = 0
    for n, (ago, asks, found, need) in enumerate(VISITS):
        node = grids[n % len(grids)] if grids else community
        fields = None
        if need is not None:
            title, field, wants, people = need
            fields = {"title": title, "field": field, "wants": wants, "people": people}
        case = None
        if n == len(VISITS) - 1 and category is not None:
            case = {"category": category, "description": f"{node.name}：居民反映单元门禁损坏"}
        visit = pairings.record_cadre_visit(
            actor=cadre, node=node, visited_on=today - dt.timedelta(days=ago), asks=asks,
            found=found, need=fields, case=case,
        )  # fmt: skip
        count += 1
        if n == 0:  # the riders' rest stop: met through the street's matching (demo state)
            Need.objects.filter(visit=visit).update(status="met")
    return count
