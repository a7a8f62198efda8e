"""党建联盟 on the 学院路 demo: every co-building unit's and department's profile, the street's
own list of items (八共八联, as a street would word it), the street's alliance with all of
them, a community's and a 小区党支部's alliance under 四联 (one member left early, one term
renewed), and unit members as 兼职委员 in the 大工委, a 大党委 and a 大支部.

Everything goes through `doorstep.cogov.alliances`, as the street officer, the community's
staff and the units' liaisons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from doorstep.accounts.models import Membership
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.cogov import alliances
from doorstep.cogov.models import Alliance, Scheme

from .common import Log

# name → (sector, its party organisation, address, intro)
PROFILES = {
    "中国农业大学东校区": ("school", "中国农业大学党委", "清华东路17号", "开放报告厅、实验田和学生志愿者，服务周边社区"),
    "中国石化石油化工科学研究院": ("soe", "石科院党委", "学院路18号", "在职党员双报到，设共建帮扶资金"),
    "城管执法队": ("organ", "街道城管执法队党支部", "", "环境整治与占道经营治理"),
    "房管所": ("organ", "房管所党支部", "", "老旧小区改造、加装电梯政策"),
    "市场监管所": ("organ", "市场监管所党支部", "", "食品安全、价格监督进社区"),
}  # fmt: skip
# The street's own wording of its 八共八联 (an example: each street words its list itself).
EIGHT = (
    "组织共建",
    "阵地共享",
    "活动共办",
    "资源共用",
    "难题共解",
    "人才共育",
    "文明共创",
    "成果共享",
)


def seed_alliances(street: Organisation, log: Log) -> None:
    if Alliance.objects.filter(path__startswith=street.path).exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    officer = users.get("street")
    if officer is None:
        return
    today = timezone.localdate()
    units = list(
        Organisation.objects.filter(
            parent=street, kind__in=[Kind.CO_BUILDING, Kind.DEPARTMENT]
        ).order_by("id")
    )
    for unit in units:
        sector, party, address, intro = PROFILES.get(unit.name, ("other", "", "", ""))
        alliances.save_profile(
            actor=officer, unit=unit, sector=sector, party_org=party, address=address, intro=intro
        )
    eight = Scheme.objects.filter(name="八共八联").first() or alliances.create_scheme(
        actor=officer, name="八共八联", items=list(EIGHT), note="学院路街道共建机制（示例）"
    )
    four = alliances.four_links()
    year_start = today.replace(month=1, day=1)
    big = alliances.found_alliance(
        actor=officer, lead=street, name=f"{street.name}区域化党建联盟", scheme=eight,
        founded_on=year_start - dt.timedelta(days=700), motto="八共八联，红色朋友圈",
    )  # fmt: skip
    for n, unit in enumerate(units):
        alliances.sign_agreement(
            actor=officer, alliance=big, unit=unit, starts_on=year_start,
            ends_on=year_start.replace(year=year_start.year + 3),
            items=_ids(eight, 3 + n % 4), signed_on=year_start - dt.timedelta(days=10),
            pledge=PROFILES.get(unit.name, ("", "", "", ""))[3][:40],
        )  # fmt: skip
    community = street.children.filter(kind=Kind.COMMUNITY).order_by("id").first()
    staff = _staff_of(community) if community else None
    seats = 0
    if community is not None and staff is not None:
        seats += _community_alliance(community, staff, four, units, today)
    committee = street.children.filter(kind=Kind.WORKING_COMMITTEE).first()
    if committee is not None and units:
        alliances.seat_member(
            actor=officer, node=committee, unit=units[1 % len(units)], name="周晓明",
            starts_on=year_start, ends_on=year_start.replace(year=year_start.year + 3),
        )  # fmt: skip
        seats += 1
    log(f"  党建联盟 {Alliance.objects.count()} 个、成员单位 {len(units)} 家、兼职委员 {seats} 名")


def _community_alliance(
    community: Organisation, staff: Any, four: Scheme, units: list[Organisation], today: dt.date
) -> int:
    lead = community.children.filter(kind=Kind.COMPOUND_BRANCH).order_by("id").first() or community
    alliance = alliances.found_alliance(
        actor=staff, lead=lead, name=f"{lead.name}党建联盟", scheme=four,
        founded_on=today - dt.timedelta(days=400), motto="组织联建、资源联用、事务联治、成果联享",
    )  # fmt: skip
    seats = 0
    for n, unit in enumerate(units[:3]):
        first = today - dt.timedelta(days=380)
        old = alliances.sign_agreement(
            actor=staff, alliance=alliance, unit=unit, starts_on=first,
            ends_on=first + dt.timedelta(days=365), items=_ids(four, 4 - n),
            signed_on=first - dt.timedelta(days=5),
        )  # fmt: skip
        if n == 2:  # this one left before its term ended
            alliances.end_agreement(actor=staff, agreement=old, on=first + dt.timedelta(days=200))
            continue
        renewed = old.ends_on
        alliances.sign_agreement(
            actor=staff, alliance=alliance, unit=unit, starts_on=renewed,
            ends_on=renewed + dt.timedelta(days=730), items=_ids(four, 4),
            signed_on=renewed - dt.timedelta(days=3),
        )  # fmt: skip
    party = community.children.filter(kind=Kind.PARTY_COMMITTEE).first()
    if party is not None and units:
        alliances.seat_member(
            actor=staff, node=party, unit=units[0], name="刘建华",
            starts_on=today - dt.timedelta(days=300), ends_on=today + dt.timedelta(days=800),
        )  # fmt: skip
        seats += 1
    branch = (
        Organisation.objects.filter(kind=Kind.GRID_BRANCH, path__startswith=community.path)
        .order_by("id")
        .first()
    )
    if branch is not None and len(units) > 1:
        alliances.seat_member(
            actor=staff, node=branch, unit=units[1], name="陈静",
            starts_on=today - dt.timedelta(days=100), ends_on=today + dt.timedelta(days=600),
        )  # fmt: skip
        seats += 1
    return seats


def _ids(scheme: Scheme, n: int) -> list[int]:
    return list(scheme.items.order_by("order").values_list("pk", flat=True)[:n])


def _staff_of(community: Organisation) -> Any:
    found = (
        Membership.objects.active()
        .filter(organisation=community, role__code="community_staff")
        .select_related("user")
        .order_by("id")
        .first()
    )
    return found.user if found else None
