"""The cards of the workbench: what needs the user today.

A card with a count asks the page it opens for that number, through the same function
the page uses (`queue`, `pool_cases`, `my_cases`, `pending_bookings`, `pending_records`,
the approvals and conflicts the pages list), so the count and the list cannot differ. Its
rows are the first few of that list, the nearest deadline first. A card the user may not
open is not shown: each builder returns None when the page would refuse the user.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.db.models import Count, F, Window
from django.urls import reverse
from django.utils import timezone

from doorstep.core.access import held_key
from doorstep.core.figure_cache import remembered

T = TypeVar("T")

ROWS = 5  # rows shown under a count
NEAREST = (F("due_at").asc(nulls_last=True), F("id").asc())  # the list's order by deadline


@dataclass
class Row:
    title: str
    url: str
    note: str = ""
    tone: str = ""  # "overdue" | "soon" | ""


@dataclass
class Card:
    key: str
    title: str
    url: str
    count: int | None = None  # None: a link or a notice, not a queue
    rows: list[Row] = field(default_factory=list)
    hint: str = ""
    big: bool = False  # an action, shown as a big button (点单, 微心愿, 网格发现)


Builder = Callable[[Any], "Card | list[Card] | None"]


# ---------------------------------------------------------------- cases


def case_row(case: Any) -> Row:
    note = f"期限 {timezone.localtime(case.due_at):%m-%d %H:%M}" if case.due_at else ""
    tone = case.flag if case.flag in ("overdue", "soon") else ""
    return Row(f"{case.title}", reverse("desk:case", args=[case.number]), note, tone)


def kept(name: str, user: Any, key: Any, compute: Callable[[], T]) -> T:
    """A card's figures for this user, kept in the figure cache (core/figure_cache.py)
    until a table they were read from is written. What the user holds is part of the key
    (`held_key`): a scope read from the request's `held` leaves no table behind for the
    entry to watch. Only for cards whose figures change with the tables alone (a case's
    已超期 is its stored flag, not the clock)."""
    return remembered(f"workbench:{name}", (*held_key(user), key), compute)


def kept_card(build: Callable[[Any], T]) -> Callable[[Any], T]:
    """`build(user)` kept as `kept` keeps a card, under the builder's name."""

    @functools.wraps(build)
    def card(user: Any) -> T:
        return kept(build.__name__, user, (), lambda: build(user))

    return card


def first_rows(cases: Any, n: int) -> tuple[int, list[Any]]:
    """How many cases a list holds and its first `n`, in one query: the window counts
    every row the list holds before the limit keeps the first few (the case lists have no
    DISTINCT, which a window would count before). Only the columns a row shows are read."""
    if cases.query.distinct:
        raise ValueError("first_rows counts with a window, which DISTINCT would not narrow")
    rows = list(
        cases.select_related(None)
        .only("number", "title", "due_at", "flag", "status")
        .annotate(listed=Window(Count("pk")))[:n]
    )
    return (rows[0].listed if rows else 0), rows


def home_org(user: Any, *kinds: str) -> Any:
    """The user's first active organisation of one of these kinds (their grid, community …)."""
    from doorstep.accounts.models import Membership

    m = (
        Membership.objects.active()
        .filter(user=user, organisation__kind__in=kinds)
        .select_related("organisation")
        .order_by("organisation__path")
        .first()
    )
    return m.organisation if m else None


def pool(user: Any) -> Card | None:
    from doorstep.cases.web.views_queue import pool_cases

    if not user.has_perm("cases.claim_case"):
        return None
    cases = pool_cases(user)
    return Card(
        "pool",
        "接单池",
        reverse("desk:pool"),
        cases.count(),
        [case_row(c) for c in cases[:ROWS]],
        "身边居民的点单和微心愿，等您接单",
    )


# ---------------------------------------------------------------- residents


def file_request(user: Any) -> Card | None:
    if not user.has_perm("cases.add_case") or user.has_perm("cases.receive_case"):
        return None
    return Card("file", "我要点单", reverse("desk:new"), hint="遇到困难，告诉我们", big=True)


def file_wish(user: Any) -> Card | None:
    if not user.has_perm("cases.add_case") or user.has_perm("cases.receive_case"):
        return None
    url = reverse("desk:new") + "?kind=micro_wish"
    return Card("wish", "许个微心愿", url, hint="党员和志愿者帮您实现", big=True)


def report_patrol(user: Any) -> Card | None:
    if not user.has_perm("cases.report_patrol"):
        return None
    return Card("patrol", "网格发现", reverse("desk:patrol_new"), hint="巡查中发现的问题", big=True)


@kept_card
def my_requests(user: Any) -> list[Card] | None:
    from doorstep.cases.web.views_resident import my_cases

    if not user.has_perm("cases.add_case") or user.has_perm("cases.receive_case"):
        return None
    mine, latest = first_rows(my_cases(user), 3)
    waiting, to_rate = first_rows(my_cases(user, waiting_for_rating=True), ROWS)
    return [
        Card(
            "rating",
            "待我评价",
            reverse("desk:mine") + "?status=rating",
            waiting,
            [case_row(c) for c in to_rate],
            "办好了吗？请评价",
        ),
        Card(
            "mine",
            "我的诉求",
            reverse("desk:mine"),
            mine,
            [Row(c.title, reverse("desk:case", args=[c.number]), c.status_label) for c in latest],
        ),
    ]


def activities_near(user: Any) -> Card:
    from doorstep.nearby.activities.models import Activity

    upcoming = (
        Activity.objects.visible_to(user)
        .filter(ends_at__gte=timezone.now())
        .select_related("territory")
        .order_by("starts_at")[:3]
    )
    rows = [
        Row(
            a.title,
            reverse("nearby:activity", args=[a.pk]),
            f"{timezone.localtime(a.starts_at):%m-%d %H:%M}",
        )
        for a in upcoming
    ]
    return Card(
        "activities", "身边的活动", reverse("nearby:activities"), rows=rows, hint="近期可报名的活动"
    )


@kept_card
def my_central_household(user: Any) -> Card | None:
    """The 党员中心户 that keeps in touch with the resident's household: whom to knock on."""
    from doorstep.atlas.people.models import HouseholdLink, Resident

    household_ids = Resident.objects.visible_to(user).filter(user=user).values("household_id")
    link = (
        HouseholdLink.objects.filter(household_id__in=household_ids)
        .select_related("central__organisation", "central__household__unit__building")
        .first()
    )
    if link is None:
        return None
    where = link.central.household.address
    return Card(
        "central",
        "我的联系党员中心户",
        "",
        rows=[Row(link.central.organisation.name, "", f"家住 {where}" if where else "")],
        hint="有事可以先找身边的党员",
    )


# ---------------------------------------------------------------- people who serve


def my_service(user: Any) -> Card | None:
    from doorstep.service import records

    if not (user.has_perm("cases.claim_case") or user.has_perm("cases.handle_case")):
        return None
    hours = records.totals(user)
    return Card(
        "service",
        "我的岗位与服务时长",
        reverse("serve:me"),
        rows=[Row(f"已认定服务 {hours.get('verified', 0)} 小时", reverse("serve:me"))],
    )


def links_due(user: Any) -> Card | None:
    """A 中心户 keeper's linked households not visited for `visits.VISIT_EVERY` days."""
    from doorstep.service import visits

    central = visits.central_of(user)
    if central is None:
        return None
    due = visits.due_links(central, timezone.localdate())
    rows = [
        Row(
            str(link.household),
            reverse("serve:visit_new"),
            f"上次走访 {link.last:%m-%d}" if link.last else "尚未走访",
        )
        for link in due[:ROWS]
    ]
    return Card(
        "links_due",
        "待走访的联系户",
        reverse("serve:me") + "#links",
        due.count(),
        rows,
        f"{visits.VISIT_EVERY} 天内未走访",
    )


def households_due(user: Any) -> Card | None:
    """The grid's linked households not visited in the last `VISIT_EVERY` days, kept for
    the day (the case writes that come every few seconds do not change it)."""
    today = timezone.localdate()
    return kept("households_due", user, today, lambda: _households_due(user, today))


def _households_due(user: Any, today: dt.date) -> Card | None:
    from doorstep.service import visits
    from doorstep.service.web.views_oversight import may_view_coverage

    grid = home_org(user, "grid")
    if grid is None or not may_view_coverage(user):
        return None
    since = today - dt.timedelta(days=visits.VISIT_EVERY)
    total = visits.coverage(grid.path, since=since, until=today)
    url = (
        reverse("serve:link_coverage")
        + "?"
        + urlencode({"org": grid.pk, "since": since.isoformat(), "until": today.isoformat()})
    )
    return Card(
        "households_due",
        "待走访联系户",
        url,
        total.linked - total.visited,
        hint=f"本网格联系户中 {visits.VISIT_EVERY} 天内未走访的户数",
    )


# ---------------------------------------------------------------- community and street


def bookings(user: Any) -> Card | None:
    from doorstep.nearby.web.views_rooms import pending_bookings

    if not user.has_perm("sites.approve_booking"):
        return None
    pending = pending_bookings(user).select_related("room")
    rows = [
        Row(
            f"{b.room.name} {b.purpose}"[:60],
            reverse("nearby:bookings"),
            f"{timezone.localtime(b.start):%m-%d %H:%M}",
        )
        for b in pending[:ROWS]
    ]
    return Card("bookings", "待审批的场地预订", reverse("nearby:bookings"), pending.count(), rows)


def hours(user: Any) -> Card | None:
    from doorstep.service.web.views_records import pending_records

    if not user.has_perm("service.approve_servicerecord"):
        return None
    pending = pending_records(user)
    return Card("hours", "待审核的服务时长", reverse("serve:review"), pending.count())


def conflicts(user: Any) -> Card | None:
    from doorstep.atlas.people.models import IdentityConflict

    if not user.has_perm("people.view_identityconflict"):
        return None
    waiting = IdentityConflict.objects.visible_to(user).filter(resolved_at__isnull=True)
    return Card("conflicts", "身份证号冲突待核实", reverse("atlas:conflicts"), waiting.count())


def hotline_waiting(user: Any) -> Card | None:
    from doorstep.cases.web.views_hotline import waiting_orders

    if not user.has_perm("cases.import_hotline"):
        return None
    waiting = waiting_orders(user)
    rows = [
        Row(o.title, reverse("desk:hotline_waiting"), "、".join(o.needs)) for o in waiting[:ROWS]
    ]
    return Card(
        "hotline",
        "12345待分类、待定位",
        reverse("desk:hotline_waiting"),
        waiting.count(),
        rows,
        "分类或地址对不上的热线工单",
    )


def dual_reports(user: Any) -> Card | None:
    from doorstep.service.web.views_dual import pending_reports

    if not user.has_perm("people.change_partymember"):
        return None
    pending = pending_reports(user)
    rows = [
        Row(f"{r.member.resident.name} · {r.work_unit}", reverse("serve:dual_reports"))
        for r in pending[:ROWS]
    ]
    return Card(
        "dual", "在职党员双报到待确认", reverse("serve:dual_reports"), pending.count(), rows
    )


def dual_report_mine(user: Any) -> Card | None:
    from doorstep.service import dual_report

    member = dual_report.member_of(user)
    if member is None:
        return None
    where = member.reported_community
    text = f"已在{where.name}报到" if where else "在职党员请到居住地社区报到"
    return Card("dual_mine", "双报到", reverse("serve:dual_report"), rows=[Row(text, "")])


def headline(user: Any) -> Card | None:
    """The cockpit's headline for the user's street this month."""
    from doorstep.cases.rates import rates_for
    from doorstep.cockpit import access

    if not access.may_open(user):
        return None
    roots = access.roots(user)
    if not roots:
        return None
    org = roots[0]
    today = timezone.localdate()
    r = rates_for(org, today.replace(day=1), today)
    rate = "—" if r["closing_rate"] is None else f"{r['closing_rate'] * 100:.1f}%"
    rows = [
        Row(f"本月受理 {r['received']} 件，办结率 {rate}", reverse("cockpit:node", args=[org.pk])),
        Row("本月工作简报", reverse("cockpit:briefing", args=[org.pk])),
        Row("考核", reverse("cockpit:assessment", args=[org.pk])),
    ]
    return Card("headline", f"{org.name}驾驶舱", reverse("cockpit:node", args=[org.pk]), rows=rows)


def circle(user: Any) -> Card | None:
    from doorstep.nearby.web.views_circle import _may_view

    if not _may_view(user):
        return None
    return Card("circle", "15分钟生活圈", reverse("nearby:circle"), hint="服务阵地覆盖了哪些住户")


# ---------------------------------------------------------------- the three admins


def approvals(user: Any) -> Card | None:
    from doorstep.accounts import approvals as rules
    from doorstep.accounts.models import Approval

    if not user.has_perm("accounts.decide_approval"):
        return None
    pending = Approval.objects.visible_to(user).filter(status="pending")
    mine = [
        a for a in pending.select_related("target", "requested_by") if rules.may_decide(user, a)
    ]
    return Card(
        "approvals",
        "待我审批（双人审批）",
        reverse("accounts:approvals"),
        pending.count(),
        [Row(str(a), reverse("accounts:approvals")) for a in mine[:ROWS]],
        "他人提出的授权和密码重置，须由另一名管理员决定",
    )


def audit_log(user: Any) -> Card | None:
    if not user.has_perm("core.view_auditentry"):
        return None
    return Card("audit", "审计日志", reverse("atlas:audit"), hint="查看解密、导出和授权等操作记录")


def admin_duties(user: Any) -> list[Card] | None:
    """The configuration a system or security admin keeps, as links into the admin."""
    if not user.is_staff:
        return None
    links = [
        ("cases.change_category", "cases", "category", "诉求分类目录"),
        ("cases.change_holidayoverride", "cases", "holidayoverride", "节假日调休"),
        ("organisations.change_organisation", "organisations", "organisation", "组织架构"),
        ("service.change_pointrule", "service", "pointrule", "积分规则"),
        ("accounts.change_user", "accounts", "user", "账号"),
        ("accounts.change_membership", "accounts", "membership", "任职与角色"),
        ("open311.change_apikey", "open311", "apikey", "接口密钥"),
    ]
    return [
        Card(f"admin_{model}", title, reverse(f"admin:{app}_{model}_changelist"))
        for perm, app, model, title in links
        if user.has_perm(perm)
    ]
