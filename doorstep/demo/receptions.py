"""两代表一委员 on the 学院路 demo: six deputies (人大代表, 党代表, 政协委员 of the district
and city) linked to the street, one of them with a login (`deputy`); a 社区工作室 in every
community; the 社情民意日 of the past half year with walk-ins the deputies recorded —
answered on the spot, turned into cases (the older ones closed, the visitor told) or into
topics — and the coming months' 社情民意日, the `resident` login booked on the next one.
Written through `doorstep.deliberation.receptions`; times are the services' "now" moved
into the past (`at_moment`)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.cases import services as cases
from doorstep.cases.models import Category
from doorstep.deliberation import follow, receptions
from doorstep.deliberation.models import Deputy, ReceptionSlot
from doorstep.nearby.sites.models import ServiceSite

from .cases.clock import at_moment
from .common import Log
from .logins import Login, ensure_logins

DEPUTIES = (
    ("李建华", "npc", "district", "学院路第三选区"), ("周明", "npc", "district", "学院路第五选区"),
    ("陈立新", "npc", "city", "海淀区代表团"), ("王丽", "party", "district", "学院路街道党工委"),
    ("赵刚", "party", "district", "学院路街道党工委"), ("孙慧", "cppcc", "district", "社会福利界"),
)  # fmt: skip
ISSUES = (
    ("小区东门路灯坏了两周，老人晚上出门不安全", "case"),
    ("楼道里电动车充电，担心起火", "topic"),
    ("社区卫生站周末能否开门", "reply"),
    ("学校门口早高峰拥堵，希望增派协管员", "case"),
    ("老旧小区加装电梯的政策怎么申请", "reply"),
    ("垃圾分类桶站离单元门太近，夏天有异味", "case"),
)  # fmt: skip
VISITORS = ("赵大爷", "钱阿姨", "孙师傅", "李奶奶", "周女士", "吴先生", "郑大姐", "王老师")


def _staff(community: Organisation) -> Any:
    held = (
        Membership.objects.filter(organisation=community, role__code="community_staff")
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return held.user if held is not None else None


def _handler(community: Organisation) -> Any:
    held = (
        Membership.objects.filter(
            organisation__path__startswith=community.path, role__code="grid_worker"
        )
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return held.user if held is not None else None


def _close(case: Any, staff: Any, handler: Any, reporter: Any, when: dt.datetime) -> None:
    steps = [("dispatch", staff, {"lead": handler}), ("sign", handler, {}), ("start", handler, {}),
             ("resolve", handler, {"note": "已协调有关部门处理完毕"}), ("verify", staff, {}),
             ("rate", reporter, {"rating": "satisfied", "solved": True})]  # fmt: skip
    for n, (code, who, params) in enumerate(steps):
        with at_moment(when + dt.timedelta(days=1 + n)):
            case = cases.perform(case, code, actor=who, **params)


def seed_receptions(street: Organisation, log: Log) -> None:
    if Deputy.objects.filter(path__startswith=street.path).exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    officer = users.get("street")
    if officer is None:
        return
    ensure_logins([Login("deputy", "区人大代表李建华", "resident", street)])
    deputy_user = get_user_model().objects.get(username="deputy")
    deputies = [
        receptions.add_deputy(
            actor=officer,
            name=name,
            kind=kind,
            level=level,
            node=street,
            constituency=where,
            user=deputy_user if n == 0 else None,
        )  # fmt: skip
        for n, (name, kind, level, where) in enumerate(DEPUTIES)
    ]
    communities = list(street.children.filter(kind=Kind.COMMUNITY).order_by("pk"))
    category = (
        Category.objects.filter(active=True, children__isnull=True, name__contains="路灯")
        .order_by("code")
        .first()
        or Category.objects.filter(active=True, children__isnull=True).order_by("code").first()
    )
    rng = random.Random(41)
    now = timezone.now()
    first_20th = receptions.public_days((now - dt.timedelta(days=190)).date(), 1)[0]
    visits = cases_made = 0
    for c, community in enumerate(communities):
        staff, handler = _staff(community), _handler(community)
        studio = ServiceSite.objects.create(
            name=f"{community.name}代表委员工作室", kind=receptions.STUDIO, organisation=community,
            territory=community, territory_path=community.path,
            address=f"{community.name}党群服务中心二层",
        )  # fmt: skip
        team = [
            deputies[c % 3],
            deputies[3 + c % 3],
        ]  # a deputy of the NPC, one of the party or CPPCC
        for month in range(6):
            day = receptions.public_days(first_20th + dt.timedelta(days=31 * month), 1)[0]
            start = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
            if start > now:
                break
            with at_moment(start - dt.timedelta(days=10)):
                slot = receptions.schedule(
                    actor=officer, site=studio, deputies=team, starts_at=start,
                    ends_at=start + dt.timedelta(hours=2, minutes=30), capacity=20, public_day=True,
                )  # fmt: skip
            for v in range(rng.choice([1, 2])):
                issue, then = ISSUES[(c + month + v) % len(ISSUES)]
                receiver = team[v % 2]
                who = receiver.user or officer  # staff note it for a deputy without a login
                with at_moment(start + dt.timedelta(minutes=20 + 30 * v)):
                    visit = receptions.walk_in(actor=who, slot=slot, visitor=rng.choice(VISITORS))
                    visit = receptions.record(actor=who, visit=visit, issue=issue, deputy=receiver,
                                              reply="已记录，将督促相关部门尽快办理" if then == "case" else "已当面解答")  # fmt: skip
                    visits += 1
                    if then == "case" and staff is not None and handler is not None:
                        case = receptions.to_case(actor=who, visit=visit, category=category)
                        cases_made += 1
                        if month < 4:  # the older ones are done
                            _close(case, staff, handler, who, start)
                    elif then == "topic":
                        receptions.to_topic(actor=who, visit=visit)
        with at_moment(now - dt.timedelta(days=1)):
            receptions.schedule_public_days(actor=officer, site=studio, deputies=team, months=3)
    follow.follow_cases()
    resident = users.get("resident")
    nearest = ReceptionSlot.objects.filter(
        public_day=True, starts_at__gt=now, path__startswith=street.path
    ).order_by("starts_at", "pk")
    booked = 0
    for slot in nearest:
        if resident is not None and receptions.lives_near(resident, slot):
            receptions.book(actor=resident, slot=slot, at=slot.starts_at + dt.timedelta(minutes=30),
                            issue="想问问小区加装电梯的补贴政策")  # fmt: skip
            booked = 1
            break
    log(
        f"  两代表一委员 {len(deputies)} 名，社区工作室 {len(communities)} 个，接待 {visits} 人次（转工单 {cases_made} 件），居民预约 {booked} 人，代表账号 deputy"
    )
