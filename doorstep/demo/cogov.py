"""Co-governance on the 学院路 demo: the needs and resources lists of every community, and
matches in every state — waiting for the unit to confirm, confirmed, done and rated,
declined, cancelled — with needs still open (some for weeks), met and closed.

Everything goes through `doorstep.cogov` (services and matching), as the street officer
and the units' liaisons; only the dates are set back afterwards, to spread the lists over
the last two months."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Building
from doorstep.cogov import matching, services
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import Match, MatchStatus, Need

from .common import Log

# (provider name, liaison username, title, kind, fields, capacity, unit, reach metres)
UNIT_RESOURCES = (
    ("中国农业大学东校区", "liaison_cau", "农大报告厅", "venue", ["culture", "employment"], 12, "sessions", 3000),
    ("中国农业大学东校区", "liaison_cau", "阳台种植科普讲座", "skills", ["environment", "culture", "elderly"], 40, "hours", 3000),
    ("中国农业大学东校区", "liaison_cau", "大学生课后托管志愿服务", "service", ["children"], 200, "hours", 3000),
    ("中国石化石油化工科学研究院", "liaison_ripp", "共建帮扶资金", "funds", ["elderly", "disability"], 50000, "yuan", 5000),
    ("中国石化石油化工科学研究院", "liaison_ripp", "石科院党员志愿服务队", "service", ["elderly", "safety", "property"], 120, "hours", 3000),
    ("中国石化石油化工科学研究院", "liaison_ripp", "燃气安全专家入户讲解", "skills", ["safety"], 30, "hours", 3000),
    ("城管执法队", "liaison_city", "环境整治联合行动", "service", ["environment"], 10, "sessions", 5000),
    ("房管所", "liaison_housing", "加装电梯政策咨询", "service", ["property"], 20, "sessions", 5000),
    ("市场监管所", "liaison_market", "食品安全进社区", "skills", ["health", "elderly"], 8, "sessions", 5000),
    ("中国农业大学东校区", "liaison_cau", "骑手爱心驿站（农大东门）", "venue", ["new_workers"], 300, "people", 3000),
)  # fmt: skip

# (title, group, field, wants, people, amount, unit)
NEEDS = (
    ("外卖骑手歇脚、充电和饮水", "外卖骑手", "new_workers", "venue", 60, 40, "people"),
    ("独居老人助餐补贴", "独居老人", "elderly", "funds", 25, 6000, "yuan"),
    ("双职工家庭课后托管", "双职工家庭儿童", "children", "service", 18, 60, "hours"),
    ("老旧小区加装电梯政策讲解", "高层老年住户", "property", "service", 80, 1, "sessions"),
    ("楼道堆物和飞线充电整治", "", "safety", "skills", 120, 4, "hours"),
    ("残疾人家庭帮扶", "残疾人家庭", "disability", "funds", 6, 3000, "yuan"),
    ("高校毕业生就业指导", "待业青年", "employment", "venue", 30, 1, "sessions"),
    ("老年人防诈骗与食品安全宣传", "老年居民", "health", "skills", 150, 1, "sessions"),
    ("阳台种植与垃圾分类示范", "", "environment", "skills", 40, 6, "hours"),
)


def seed_cogov(street: Organisation, log: Log) -> None:
    if Need.objects.filter(path__startswith=street.path).exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    officer = users.get("street")
    if officer is None:
        return
    rng = random.Random(16)
    units = {
        o.name: o
        for o in Organisation.objects.filter(
            parent=street, kind__in=[Kind.CO_BUILDING, Kind.DEPARTMENT]
        )
    }
    _place_units(list(units.values()), street, rng)
    offered = 0
    for name, liaison, title, kind, fields, capacity, unit, reach in UNIT_RESOURCES:
        provider = units.get(name)
        if provider is None:
            continue
        services.offer_resource(
            actor=users.get(liaison) or officer,
            provider=provider,
            title=title,
            kind=kind,
            fields=fields,
            capacity=capacity,
            unit=unit,
            reach_m=reach,
        )
        offered += 1
    communities = list(street.children.filter(kind=Kind.COMMUNITY).order_by("id"))
    needs: list[Need] = []
    for community in communities:
        services.offer_resource(
            actor=officer,
            provider=community,
            title=f"{community.name}党群服务站活动室",
            kind="venue",
            fields=["culture", "children", "elderly", "new_workers"],
            capacity=30,
            unit="sessions",
        )
        offered += 1
        grids = list(community.children.filter(kind=Kind.GRID).order_by("id"))
        for title, group, field, wants, people, amount, unit in rng.sample(NEEDS, 5):
            grid = rng.choice(grids) if grids else community
            building = Building.objects.filter(grid=grid, lat__isnull=False).order_by("?").first()
            needs.append(
                services.record_need(
                    actor=officer,
                    node=grid,
                    title=title,
                    group=group,
                    field=field,
                    wants=wants,
                    people=people,
                    amount=amount,
                    unit=unit,
                    urgency=rng.choice([1, 1, 2, 3]),
                    building=building,
                    source=rng.choice(["visit", "staff", "resident", "visit"]),
                )
            )
    staff = _community_staff(communities)
    states = _match(needs, users, staff, officer, rng)
    _backdate(needs, rng)
    log(
        f"  资源 {offered} 项、需求 {len(needs)} 条；对接："
        + "、".join(f"{label} {n}" for label, n in states.items())
    )


def _place_units(units: list[Organisation], street: Organisation, rng: random.Random) -> None:
    """Units and departments without a place stand at one of the street's buildings."""
    spots = list(
        Building.objects.filter(grid__path__startswith=street.path, lat__isnull=False)
        .order_by("id")
        .values_list("lat", "lon")
    )
    for unit in units:
        if unit.lat is None and spots:
            unit.lat, unit.lon = rng.choice(spots)
            Organisation.objects.filter(pk=unit.pk).update(lat=unit.lat, lon=unit.lon)


def _liaison_for(match: Match, users: dict[str, Any]) -> Any:
    for name, liaison, *_ in UNIT_RESOURCES:
        if name == match.resource.provider.name:
            return users.get(liaison)
    return None


def _community_staff(communities: list[Organisation]) -> dict[str, Any]:
    """Path of each community → a staff member of it (who matches its needs)."""
    rows = (
        Membership.objects.active()
        .filter(organisation__in=communities, role__code="community_staff")
        .select_related("user", "organisation")
        .order_by("id")
    )
    found: dict[str, Any] = {}
    for m in rows:
        found.setdefault(m.organisation.path, m.user)
    return found


def _match(
    needs: list[Need],
    users: dict[str, Any],
    staff: dict[str, Any],
    officer: Any,
    rng: random.Random,
) -> dict[str, int]:
    """Take the top suggestion for most needs and move the matches into every state."""
    plan = ["done", "done", "confirmed", "accepted", "declined", "cancelled", "closed"]
    states = {label: 0 for label in ("待认领", "已认领", "已完成", "已婉拒", "已取消", "需求关闭")}
    for i, need in enumerate(needs):
        if i % 4 == 3:
            continue  # left open: no match taken yet
        found = matching.suggest(need, limit=3)
        if not found:
            continue
        best = found[0]
        amount = need.amount if need.amount is not None and need.unit == best.resource.unit else 1
        amount = min(amount, best.resource.remaining)
        keeper = next((u for p, u in staff.items() if need.path.startswith(p)), officer)
        try:
            match = matching.accept(actor=keeper, need=need, resource=best.resource, amount=amount)
        except CogovError:
            continue
        target = plan[i % len(plan)]
        liaison = _liaison_for(match, users)
        if match.status == MatchStatus.ACCEPTED and target != "accepted":
            if target == "declined" and liaison is not None:
                matching.decline(actor=liaison, match=match, reason="本月人手已排满，下月可再联系")
                states["已婉拒"] += 1
                continue
            if liaison is None:
                continue
            matching.confirm(actor=liaison, match=match)
        if target == "accepted":
            states["待认领" if match.status == MatchStatus.ACCEPTED else "已认领"] += 1
        elif target == "cancelled":
            matching.cancel(actor=keeper, match=match, reason="居民需求有变，改期再议")
            states["已取消"] += 1
        elif target == "closed":
            services.close_need(actor=keeper, need=need, reason="居民已自行解决")
            states["需求关闭"] += 1
        elif target == "done":
            matching.complete(actor=keeper, match=match, rating=rng.choice([5, 5, 4, 3]))
            states["已完成"] += 1
        else:
            states["已认领"] += 1
    return states


def _backdate(needs: list[Need], rng: random.Random) -> None:
    """Spread the needs over the last 60 days (some open ones wait for weeks) and put each
    match a few days after its need."""
    now = timezone.now()
    for need in needs:
        created = now - dt.timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 8))
        Need.objects.filter(pk=need.pk).update(created_at=created)
        for match in Match.objects.filter(need=need):
            accepted = created + dt.timedelta(days=rng.randint(1, 4))
            Match.objects.filter(pk=match.pk).update(
                accepted_at=accepted,
                due_on=(accepted + dt.timedelta(days=matching.CONFIRM_DAYS)).date(),
            )


# -- projects and the fund ----------------------------------------------------------------

# (title, kind, where it ends, budget from the fund, volunteers, 人次 served)
PROJECTS = (
    ("骑手爱心驿站", "service", "rated", 6000, 12, 126),
    ("楼道微更新", "participatory", "public", 12000, 20, 340),
    ("老年助餐点", "service", "inspection", 15000, 8, 210),
    ("口袋公园共建", "participatory", "running", 18000, 15, 0),
    ("加装电梯协商", "consultative", "approved", 3000, 0, 0),
    ("垃圾分类积分", "participatory", "review", 5000, 0, 0),
    ("社区睦邻节", "service", "proposed", 4000, 0, 0),
    ("屋顶花园", "participatory", "rejected", 9000, 0, 0),
    ("停车秩序议事", "consultative", "stopped", 2000, 0, 0),
)
PATH_TO = {
    "proposed": [],
    "review": ["submit"],
    "approved": ["submit", "approve"],
    "running": ["submit", "approve", "start"],
    "inspection": ["submit", "approve", "start", "finish"],
    "public": ["submit", "approve", "start", "finish", "pass"],
    "rated": ["submit", "approve", "start", "finish", "pass", "close"],
    "rejected": ["submit", "reject"],
    "stopped": ["submit", "approve", "stop"],
}
NOTES = {"reject": "与已有项目重复，建议并入口袋公园共建", "stop": "业主意见分歧较大，转入议事协商"}


def seed_projects_and_fund(street: Organisation, log: Log) -> None:
    """Projects in every stage (two from the demo's matches) and a year of the street's
    共治基金: income from units and the district, allocations, spending with receipts,
    refunds, one reversal, one large line waiting for its second person."""
    from doorstep.accounts.models import Approval
    from doorstep.cogov import funds, projects
    from doorstep.cogov.models import Fund, FundLine, Project

    from .cases.clock import at_moment
    from .logins import Login, ensure_logins

    if Fund.objects.filter(path__startswith=street.path).exists():
        return
    ensure_logins([Login("street2", "街道干部（基金复核）", "street_officer", street)])
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    officer = users["street"]
    communities = list(street.children.filter(kind=Kind.COMMUNITY).order_by("id"))
    staff = _community_staff(communities)
    rng = random.Random(17)
    now = timezone.now()
    year_ago = now - dt.timedelta(days=360)
    with at_moment(year_ago):
        fund = funds.create_fund(
            actor=officer, owner=street, name="学院路街道区域化共治基金", threshold=20000
        )
    donors = ["中国农业大学东校区", "中国石化石油化工科学研究院", "海淀区财政局"]
    for month in range(12):
        with at_moment(year_ago + dt.timedelta(days=30 * month + 2)):
            funds.submit(
                actor=officer, fund=fund, kind="income", amount=rng.choice([8000, 10000, 15000]),
                counterpart=donors[month % 3], memo=f"第{month // 3 + 1}季度共建资金",
            )  # fmt: skip
    matches = list(
        Match.objects.filter(
            need__path__startswith=street.path, status__in=["confirmed", "done"]
        ).order_by("id")
    )
    made: list[Project] = []
    for i, (title, kind, goal, budget, volunteers, served) in enumerate(PROJECTS):
        community = communities[i % len(communities)]
        keeper = staff.get(community.path, officer)
        grid = community.children.filter(kind=Kind.GRID).order_by("id").first() or community
        start = (now - dt.timedelta(days=300 - 30 * i)).date()
        match = (
            matches.pop(0)
            if matches and i < 2 and matches[0].need.path.startswith(community.path)
            else None
        )
        with at_moment(now - dt.timedelta(days=310 - 30 * i)):
            p = projects.propose(
                actor=keeper, node=None if match else grid, match=match, title=title, kind=kind,
                starts_on=start, ends_on=start + dt.timedelta(days=120),
                summary=f"{community.name}{title}，由社区党委牵头、共建单位参与。",
            )  # fmt: skip
            projects.add_budget_line(
                actor=keeper, project=p, item="物资与设施", amount=budget, source="fund"
            )
            projects.add_budget_line(
                actor=keeper, project=p, item="宣传与活动", amount=800, source="self"
            )
            projects.add_milestone(
                actor=keeper, project=p, title="动员与方案", due_on=start + dt.timedelta(days=20)
            )
            projects.add_milestone(
                actor=keeper, project=p, title="实施完成", due_on=start + dt.timedelta(days=100)
            )
        moment = now - dt.timedelta(days=300 - 30 * i)
        for step, code in enumerate(PATH_TO[goal]):
            at = moment + dt.timedelta(days=3 + 9 * step)
            with at_moment(min(at, now)):
                who = officer if code in ("approve", "reject", "pass", "stop") else keeper
                if code == "start":
                    projects.perform(p, code, actor=who)
                    funds.submit(
                        actor=officer,
                        fund=fund,
                        kind="allocate",
                        amount=budget,
                        project=p,
                        memo=f"拨付{title}",
                    )
                    continue
                if code == "finish":
                    for m in p.milestones.filter(done_on__isnull=True):
                        projects.complete_milestone(
                            actor=keeper, milestone=m, done_on=min(at, now).date(), note="按期完成"
                        )
                    projects.record_served(
                        actor=keeper, project=p, volunteers=volunteers, served=served
                    )
                    spent = budget - rng.choice([0, 300, 500])
                    funds.submit(
                        actor=officer, fund=fund, kind="expense", amount=spent, project=p,
                        memo=f"{title}物资采购", counterpart="学院路便民超市", receipt=_receipt(),
                    )  # fmt: skip
                    if spent < budget:
                        funds.submit(
                            actor=officer,
                            fund=fund,
                            kind="refund",
                            amount=budget - spent,
                            project=p,
                            memo="结余退回",
                        )
                if code == "close":
                    _ratings(p, rng)
                p = projects.perform(p, code, actor=who, note=NOTES.get(code, ""))
        if goal == "public":
            _ratings(p, rng)
        made.append(p)
    # One mistake undone, and one large income waiting for its second person.
    wrong = funds.submit(
        actor=officer, fund=fund, kind="income", amount=1200, counterpart="某单位", memo="误录"
    )
    assert isinstance(wrong, FundLine)  # under the threshold: posted at once
    funds.reverse(actor=officer, line=wrong, memo="对方单位录错，冲正后重录")
    funds.submit(
        actor=officer,
        fund=fund,
        kind="income",
        amount=60000,
        counterpart="海淀区财政局",
        memo="区级共治专项资金",
    )
    fund.refresh_from_db()
    waiting = Approval.objects.filter(kind="fund_line", status="pending").count()
    log(
        f"  项目 {len(made)} 个（各阶段）；共治基金余额 {fund.balance} 元，"
        f"明细 {fund.lines.count()} 笔，待复核 {waiting} 笔（复核人 street2）"
    )


def _receipt() -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (60, 40), (245, 245, 240)).save(buf, "JPEG")
    return SimpleUploadedFile("发票.jpg", buf.getvalue(), content_type="image/jpeg")


def _ratings(project: Any, rng: random.Random) -> None:
    """Residents of the project's place rate it (those with demo accounts there)."""
    from doorstep.atlas.people.models import Resident
    from doorstep.cogov import projects

    raters = (
        Resident.objects.filter(grid__path__startswith=project.path, user__isnull=False)
        .select_related("user")
        .order_by("id")[:6]
    )
    for r in raters:
        if r.user is None:
            continue
        projects.rate(actor=r.user, project=project, stars=rng.choice([5, 5, 4, 4, 3]), comment="")
