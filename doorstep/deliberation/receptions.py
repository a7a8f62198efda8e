"""两代表一委员 reception: the street keeps its deputies and the studios' schedule (the
monthly 社情民意日 among it); a resident books a time within a slot (never outside the
studio's hours, never past its places — under the slot's row lock) or walks in; the deputy
records the visit (诉求, category, reply) and turns it into a case or a topic with one
click; when that case closes the resident is told the outcome (`deliberation/follow.py`).

Keyword-only, take the acting user, atomic; a refusal is a `DeliberationError` (400),
`NotAllowed` (403) or `Conflict` (409) and leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import Resident
from doorstep.core import audit
from doorstep.core.access import prefixes, scope_of
from doorstep.inbox.services import notify

from .clean import choice, moment, text
from .errors import Conflict, DeliberationError, NotAllowed, relayed
from .models import (
    Deputy,
    DeputyKind,
    DeputyLevel,
    ReceptionSlot,
    ReceptionVisit,
    Topic,
    TopicSource,
    VisitStatus,
)

KEEP = "deliberation.add_receptionslot"  # the street or community keeping the schedule
DEPUTIES = "deliberation.add_deputy"
STUDIO = "studio"  # nearby.sites.SiteKind.STUDIO (社区工作室)
PUBLIC_DAY = 20  # 社情民意日: the 20th of every month
MAX_MONTHS = 12


def may(user: Actor, perm: str, path: str) -> bool:
    return bool(user.has_perm(perm)) and scope_of(user, perm).covers(path)


@transaction.atomic
def add_deputy(
    *,
    actor: Actor,
    name: Any,
    kind: Any,
    level: Any,
    node: Organisation | None,
    constituency: Any = "",
    user: Any = None,
) -> Deputy:
    if node is None or node.kind not in (Kind.STREET, Kind.COMMUNITY, Kind.DISTRICT):
        raise DeliberationError("请选择代表委员联系的街道或社区", "node")
    if not may(actor, DEPUTIES, node.path):
        raise NotAllowed("您不能登记该地的代表委员")
    deputy = Deputy.objects.create(
        name=text(name, "name", "姓名", 40),
        kind=choice(kind, DeputyKind, "kind", "代表委员类别"),
        level=choice(level, DeputyLevel, "level", "层级"),
        constituency=text(constituency, "constituency", "选区/界别", 60, required=False),
        node=node,
        path=node.path,
        user=user,
    )
    audit.record(actor=actor, action="create", target=deputy)
    return deputy


def _studio(actor: Actor, site: Any) -> Any:
    if site is None or site.kind != STUDIO:
        raise DeliberationError("请选择社区工作室", "site")
    if not may(actor, KEEP, site.territory_path):
        raise NotAllowed("您不能安排该工作室的接待")
    return site


@transaction.atomic
def schedule(
    *,
    actor: Actor,
    site: Any,
    deputies: Sequence[Deputy],
    starts_at: Any,
    ends_at: Any,
    capacity: Any = 10,
    public_day: bool = False,
) -> ReceptionSlot:
    """A reception slot at a studio with the deputies who receive in it."""
    studio = _studio(actor, site)
    start, end = moment(starts_at, "starts_at", "接待开始"), moment(ends_at, "ends_at", "接待结束")
    if end <= start:
        raise DeliberationError("接待结束应晚于开始", "ends_at")
    if end - start > dt.timedelta(hours=10):
        raise DeliberationError("一个接待时段最长10小时", "ends_at")
    if not deputies:
        raise DeliberationError("请选择接待的代表委员", "deputies")
    raw = str(capacity if capacity is not None else "").strip()
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 200:
        raise DeliberationError("可预约人数为1至200人", "capacity")
    slot = ReceptionSlot.objects.create(
        site=studio,
        path=studio.territory_path,
        starts_at=start,
        ends_at=end,
        capacity=int(raw),
        public_day=public_day,
        created_by=actor,
    )
    slot.deputies.set(deputies)
    audit.record(actor=actor, action="create", target=slot)
    return slot


def public_days(first: dt.date, months: int) -> list[dt.date]:
    """The 20th of each month from the month of `first` (those not before it)."""
    days: list[dt.date] = []
    year, month = first.year, first.month
    while len(days) < months:
        day = dt.date(year, month, PUBLIC_DAY)
        if day >= first:
            days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


@transaction.atomic
def schedule_public_days(
    *,
    actor: Actor,
    site: Any,
    deputies: Sequence[Deputy],
    months: Any = 3,
    opens: dt.time = dt.time(9, 0),
    closes: dt.time = dt.time(11, 30),
    capacity: Any = 20,
) -> list[ReceptionSlot]:
    """The 社情民意日 (the 20th) of the coming months at a studio."""
    raw = str(months).strip()
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_MONTHS:
        raise DeliberationError(f"一次安排1至{MAX_MONTHS}个月", "months")
    tz = timezone.get_current_timezone()
    return [
        schedule(
            actor=actor,
            site=site,
            deputies=deputies,
            capacity=capacity,
            public_day=True,
            starts_at=dt.datetime.combine(day, opens, tz),
            ends_at=dt.datetime.combine(day, closes, tz),
        )  # fmt: skip
        for day in public_days(timezone.localdate(), int(raw))
    ]


def lives_near(user: Actor, slot: ReceptionSlot) -> bool:
    """A resident of the street (or community) the studio serves."""
    return Resident.objects.filter(user=user, grid__path__startswith=slot.path).exists()


@transaction.atomic
def book(*, actor: Actor, slot: ReceptionSlot, at: Any, issue: Any = "") -> ReceptionVisit:
    """A resident books a time within the slot (one booking each)."""
    locked = ReceptionSlot.objects.select_for_update().get(pk=slot.pk)
    if not lives_near(actor, locked):
        raise NotAllowed("只有本街道的居民可以预约该工作室")
    when = moment(at, "at", "预约时间")
    if not locked.starts_at <= when < locked.ends_at:
        start, end = timezone.localtime(locked.starts_at), timezone.localtime(locked.ends_at)
        raise DeliberationError(
            f"不在工作室接待时间内（{start:%Y-%m-%d %H:%M}至{end:%H:%M}）", "at"
        )
    if when < timezone.now():
        raise DeliberationError("预约时间已过", "at")
    if locked.visits.filter(status=VisitStatus.BOOKED, walk_in=False).count() >= locked.capacity:
        raise Conflict("该时段已约满，请选择其他时段")
    resident = Resident.objects.filter(user=actor).order_by("pk").first()
    try:
        with transaction.atomic():
            visit = ReceptionVisit.objects.create(
                slot=locked, path=locked.path, resident=actor,
                visitor=resident.name if resident else str(actor), at=when,
                issue=text(issue, "issue", "诉求", 1000, required=False), created_at=timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("您已预约该时段") from None
    audit.record(actor=actor, action="create", target=visit)
    return visit


@transaction.atomic
def cancel(*, actor: Actor, visit: ReceptionVisit) -> ReceptionVisit:
    locked = ReceptionVisit.objects.select_for_update().get(pk=visit.pk)
    if locked.resident_id != actor.pk:
        raise NotAllowed("只能取消自己的预约")
    if locked.status != VisitStatus.BOOKED:
        raise Conflict("该预约已接待或已取消")
    locked.status = VisitStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked


def receiver(user: Actor, slot: ReceptionSlot) -> Deputy | None:
    """The deputy of the slot the user is (None: not one of them)."""
    return slot.deputies.filter(user=user).order_by("pk").first()


def may_receive(user: Actor, slot: ReceptionSlot) -> bool:
    return receiver(user, slot) is not None or may(user, KEEP, slot.path)


@transaction.atomic
def walk_in(*, actor: Actor, slot: ReceptionSlot, visitor: Any) -> ReceptionVisit:
    """A resident walks in: the deputy (or staff) notes them at the slot."""
    locked = ReceptionSlot.objects.select_for_update().get(pk=slot.pk)
    if not may_receive(actor, locked):
        raise NotAllowed("只有接待的代表委员或工作人员可以登记来访")
    now = timezone.now()
    if (
        not locked.starts_at - dt.timedelta(hours=1)
        <= now
        <= locked.ends_at + dt.timedelta(hours=1)
    ):
        raise DeliberationError("不在该时段的接待时间内")
    visit = ReceptionVisit.objects.create(
        slot=locked, path=locked.path, visitor=text(visitor, "visitor", "来访人", 40),
        at=now, walk_in=True, status=VisitStatus.RECEIVED, created_at=now,
    )  # fmt: skip
    audit.record(actor=actor, action="create", target=visit)
    return visit


@transaction.atomic
def record(
    *,
    actor: Actor,
    visit: ReceptionVisit,
    issue: Any,
    reply: Any,
    category: Any = None,
    deputy: Deputy | None = None,
) -> ReceptionVisit:
    """The deputy records the visit: the 诉求, its category, the reply given (staff may
    record it for a deputy of the slot without a login, naming them)."""
    locked = ReceptionVisit.objects.select_for_update().select_related("slot").get(pk=visit.pk)
    if not may_receive(actor, locked.slot):
        raise NotAllowed("只有接待的代表委员或工作人员可以记录")
    if locked.status == VisitStatus.CANCELLED:
        raise Conflict("该预约已取消")
    locked.issue = text(issue, "issue", "诉求", 1000)
    locked.reply = text(reply, "reply", "代表答复", 1000)
    locked.category = category
    named = (
        deputy
        if deputy is not None and locked.slot.deputies.filter(pk=deputy.pk).exists()
        else None
    )
    locked.deputy = receiver(actor, locked.slot) or named or locked.deputy
    locked.status = VisitStatus.RECEIVED
    locked.recorded_at, locked.recorded_by = timezone.now(), actor
    locked.save(
        update_fields=[
            "issue",
            "reply",
            "category",
            "deputy",
            "status",
            "recorded_at",
            "recorded_by",
        ]
    )
    audit.record(actor=actor, action="update", target=locked, detail={"recorded": True})
    return locked


def _recorded(actor: Actor, visit: ReceptionVisit) -> ReceptionVisit:
    locked = (
        ReceptionVisit.objects.select_for_update().select_related("slot__site").get(pk=visit.pk)
    )
    if not may_receive(actor, locked.slot):
        raise NotAllowed("只有接待的代表委员或工作人员可以转办")
    if locked.recorded_at is None:
        raise DeliberationError("请先记录来访诉求")
    if locked.case_id or locked.topic_id:
        raise Conflict("该诉求已转为工单或议题")
    return locked


def _community(visit: ReceptionVisit) -> Organisation | None:
    """The visitor's community, or else the studio's."""
    home = (
        Resident.objects.filter(user_id=visit.resident_id, grid__isnull=False)
        .values_list("grid__path", flat=True)
        .first()
        if visit.resident_id
        else None
    )
    for path in (home, visit.slot.site.territory_path):
        if path:
            found = (
                Organisation.objects.filter(path__in=prefixes(path), kind=Kind.COMMUNITY)
                .order_by("-depth")
                .first()
            )
            if found is not None:
                return found
    return None


@transaction.atomic
def to_case(*, actor: Actor, visit: ReceptionVisit, category: Any = None) -> Any:
    """One click: the 诉求 becomes a case for the visitor's community (staff-filed on the
    deputy's record; the resident is told how it ends)."""
    from doorstep.cogov.errors import CogovError
    from doorstep.cogov.services import file_case

    locked = _recorded(actor, visit)
    node = _community(locked) or locked.slot.site.territory
    try:
        case = file_case(
            actor=actor,
            category=category or locked.category,
            node=node,
            title=f"代表接待：{locked.issue}"[:120],
            description=f"{locked.visitor}在{locked.slot.site.name}反映：{locked.issue}\n代表答复：{locked.reply}",
            accepted=True,
        )
    except CogovError as exc:
        raise relayed(exc) from exc
    locked.case = case
    locked.save(update_fields=["case"])
    audit.record(actor=actor, action="update", target=locked, detail={"case": case.number})
    return case


@transaction.atomic
def to_topic(*, actor: Actor, visit: ReceptionVisit) -> Topic:
    """One click: the 诉求 becomes a topic of the visitor's community."""
    locked = _recorded(actor, visit)
    community = _community(locked)
    if community is None:
        raise DeliberationError("来访人不在某个社区，无法转为议题")
    topic = Topic.objects.create(
        node=community, path=community.path, title=locked.issue[:60],
        detail=f"{locked.slot.site.name}代表接待：{locked.issue}\n代表答复：{locked.reply}"[:2000],
        source=TopicSource.RECEPTION, source_ref=f"代表接待 {locked.pk}", raised_by=actor,
        created_at=timezone.now(),
    )  # fmt: skip
    locked.topic = topic
    locked.save(update_fields=["topic"])
    audit.record(actor=actor, action="update", target=locked, detail={"topic": topic.pk})
    return topic


def tell(visit: ReceptionVisit, outcome: str, at: dt.datetime | None) -> None:
    """Record the outcome and tell the resident (or take it back when the case reopens)."""
    visit.outcome, visit.outcome_at = outcome[:500], at
    visit.save(update_fields=["outcome", "outcome_at"])
    if at is not None and visit.resident_id:
        notify(
            [visit.resident_id], kind="reception", title="您向代表反映的诉求已办结",
            body=outcome[:200], url=reverse("deliberation:reception_visit", args=[visit.pk]),
        )  # fmt: skip
