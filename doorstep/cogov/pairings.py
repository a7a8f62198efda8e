"""结对: departments paired with communities and their 结对服务清单; 区、街两级机关干部 linked
to communities and grids, and their 三结三问 visits with what came of them.

A street officer records the pairings (the district's assignment is paper; this is its
ledger). Linking a cadre grants them the `cadre` role at the node for the term, so what
they see is the node's places and lists by the same door as everyone else; ending the link
takes the role back. A cadre's visit is a `service.Visit` of kind "cadre", written by the
one visit helper; from it come a need on the list and/or a case. The 民生实事 a cadre
pushed to closure are counted from those records (`record_of`), never typed in.

Keyword-only, take the acting user, atomic; a refusal is a `CogovError` with a Chinese
message and the field at fault, and leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from doorstep.accounts import grants
from doorstep.accounts.models import Membership, Role, User
from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core import audit
from doorstep.service.errors import ServiceError
from doorstep.service.models import Visit, VisitKind
from doorstep.service.visits import record_visit

from .alliances import DONE_PROJECT, may, term
from .errors import CogovError, Conflict, NotAllowed
from .models import (
    PAIRED_NODE_KINDS,
    CadreLevel,
    Need,
    NeedSource,
    NeedStatus,
    Pairing,
    PairingKind,
    PairingOffer,
)
from .services import choice, day, file_case, record_need, text

CADRE_ROLE = "cadre"
MAX_OFFERS = 30  # lines on one department's list for one community


def _lock_node(node: Organisation) -> None:
    """Two clerks entering the same pairing at once make one: checks run under the node's
    row lock."""
    nodes = Organisation.objects.outside_door("a pairing's node, locked while terms are checked")
    nodes.select_for_update().filter(pk=node.pk).first()


@transaction.atomic
def pair_department(
    *, actor: Actor, department: Organisation | None, node: Organisation | None, starts_on: Any,
    ends_on: Any,
) -> Pairing:  # fmt: skip
    """A department paired with a community for a term (部门结对社区)."""
    if node is None or node.kind != Kind.COMMUNITY:
        raise CogovError("部门结对的对象应是社区", "node")
    if not may(actor, "cogov.add_pairing", node):
        raise NotAllowed("您不能为该社区登记结对")
    if department is None or department.kind != Kind.DEPARTMENT:
        raise CogovError("请选择机关部门", "department")
    first, last = term(starts_on, ends_on, "结对")
    _lock_node(node)
    if Pairing.objects.filter(
        node=node, department=department, starts_on__lt=last, ends_on__gt=first
    ).exists():
        raise Conflict(f"{department}与{node}在该期限内已结对", "starts_on")
    pairing = Pairing.objects.create(
        kind=PairingKind.DEPARTMENT,
        node=node,
        path=node.path,
        department=department,
        starts_on=first,
        ends_on=last,
        created_by=actor,
    )
    audit.record(actor=actor, action="create", target=pairing, detail={"department": department.pk})
    return pairing


def cadre_by_username(username: Any) -> User:
    name = text(username, "cadre", "干部账号", 150)
    cadre = User.objects.filter(username=name, is_active=True).first()
    if cadre is None:
        raise CogovError("没有这个账号，请先由安全管理员为干部开通账号", "cadre")
    return cadre


@transaction.atomic
def link_cadre(
    *, actor: Actor, cadre: User, node: Organisation | None, level: Any, post: Any,
    starts_on: Any, ends_on: Any,
) -> Pairing:  # fmt: skip
    """A cadre linked to a community or hung on a grid for a term (联系社区、挂钩网格); they
    hold the cadre role there for the term."""
    if node is None or node.kind not in PAIRED_NODE_KINDS:
        raise CogovError("请选择联系的社区或挂钩的网格", "node")
    if not may(actor, "cogov.add_pairing", node):
        raise NotAllowed("您不能为该社区或网格登记联系干部")
    grade = choice(level, CadreLevel, "level", "干部层级")
    title = text(post, "post", "单位职务", 40)
    first, last = term(starts_on, ends_on, "结对")
    _lock_node(node)
    if Pairing.objects.filter(
        node=node, cadre=cadre, starts_on__lt=last, ends_on__gt=first
    ).exists():
        raise Conflict(f"{cadre}在该期限内已联系{node}", "starts_on")
    pairing = Pairing.objects.create(
        kind=PairingKind.CADRE,
        node=node,
        path=node.path,
        cadre=cadre,
        level=grade,
        post=title,
        starts_on=first,
        ends_on=last,
        created_by=actor,
    )
    _sync_role(actor, cadre, node)
    audit.record(actor=actor, action="create", target=pairing, detail={"cadre": cadre.pk})
    return pairing


@transaction.atomic
def end_pairing(*, actor: Actor, pairing: Pairing, on: Any = None) -> Pairing:
    """End a pairing early (the term's end becomes `on`, today by default); a cadre loses
    the role at the node with it."""
    if not may(actor, "cogov.change_pairing", pairing.node):
        raise NotAllowed("您不能调整该结对")
    _lock_node(pairing.node)
    pairing.refresh_from_db()
    end = day(on, "ends_on", "结束日期") or timezone.localdate()
    if end >= pairing.ends_on:
        raise CogovError("该结对已到期或将在此日前到期", "ends_on")
    if end <= pairing.starts_on:
        raise CogovError("结束日期应晚于结对起始日期", "ends_on")
    before = pairing.ends_on
    pairing.ends_on = end
    pairing.save(update_fields=["ends_on"])
    if pairing.cadre is not None:
        _sync_role(actor, pairing.cadre, pairing.node)
    audit.record(
        actor=actor, action="update", target=pairing, detail={"ends_on": [str(before), str(end)]}
    )
    return pairing


def _moment(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def _sync_role(actor: Actor, cadre: User, node: Organisation) -> None:
    """The cadre role at the node covers the cadre's pairings there that have not ended."""
    today = timezone.localdate()
    terms = Pairing.objects.filter(cadre=cadre, node=node, ends_on__gt=today)
    first = min((p.starts_on for p in terms), default=None)
    last = max((p.ends_on for p in terms), default=None)
    role = Role.objects.get(code=CADRE_ROLE)
    held = Membership.objects.filter(user=cadre, organisation=node, role=role).first()
    if first is None or last is None:
        if held is not None:
            grants.record(actor, held, "revoke")
            held.delete()
        return
    if held is None:
        held = Membership.objects.create(
            user=cadre,
            organisation=node,
            role=role,
            valid_from=_moment(first),
            valid_to=_moment(last),
        )
        grants.record(actor, held, "grant")
        return
    before = grants.facts(held)
    held.valid_from, held.valid_to = _moment(first), _moment(last)
    held.save(update_fields=["valid_from", "valid_to"])
    grants.record(actor, held, "change", before=before)


def may_offer(actor: Actor, pairing: Pairing) -> bool:
    """The department's liaison, or staff above the community, publish its service list."""
    perm = "cogov.add_pairingoffer"
    return may(actor, perm, pairing.node) or (
        pairing.department is not None and may(actor, perm, pairing.department)
    )


@transaction.atomic
def add_offer(
    *, actor: Actor, pairing: Pairing, title: Any, detail: Any = "", frequency: Any = ""
) -> PairingOffer:
    """A line of the department's 结对服务清单 for the community, by the department's liaison
    or the street."""
    if pairing.kind != PairingKind.DEPARTMENT:
        raise CogovError("只有部门结对有服务清单")
    if not may_offer(actor, pairing):
        raise NotAllowed("只有该部门或街道可以发布结对服务清单")
    if not pairing.in_force() and pairing.starts_on <= timezone.localdate():
        raise CogovError("该结对已到期，不能再添加服务项目")
    line = PairingOffer(
        pairing=pairing,
        title=text(title, "title", "服务项目", 60),
        detail=text(detail, "detail", "服务内容", 200, required=False),
        frequency=text(frequency, "frequency", "服务频次", 30, required=False),
        created_by=actor,
    )
    Pairing.objects.select_for_update().filter(pk=pairing.pk).first()
    if PairingOffer.objects.filter(pairing=pairing).count() >= MAX_OFFERS:
        raise CogovError(f"一份结对服务清单最多{MAX_OFFERS}项", "title")
    line.save()
    audit.record(actor=actor, action="create", target=line, detail={"pairing": pairing.pk})
    return line


def links_of(cadre: Actor, on: dt.date | None = None) -> Any:
    """The cadre's pairings in force (the nodes they may visit as a linked cadre)."""
    own = Pairing.objects.outside_door("the acting cadre's own links, by the cadre")
    return own.filter(cadre=cadre).in_force(on).select_related("node")


VISIT_EVERY = 30  # days: a linked node the cadre has not visited for this long is due


def due_links(cadre: Actor, today: dt.date | None = None) -> list[tuple[Pairing, dt.date | None]]:
    """The cadre's links in force with no visit of theirs in the last `VISIT_EVERY` days
    (to the node or a grid under it), with the last visit's date, the longest waiting first."""
    day_ = today or timezone.localdate()
    since = day_ - dt.timedelta(days=VISIT_EVERY)
    own = Visit.objects.filter(visitor=cadre, kind=VisitKind.CADRE)
    due = []
    for pairing in links_of(cadre, day_):
        last = (
            own.filter(path__startswith=pairing.node.path)
            .order_by("-visited_on")
            .values_list("visited_on", flat=True)
            .first()
        )
        if last is None or last < since:
            due.append((pairing, last))
    return sorted(due, key=lambda x: (x[1] or dt.date.min, x[0].pk))


def _linked_node(cadre: Actor, node: Organisation, on: dt.date) -> Pairing | None:
    """The cadre's pairing in force on the day that covers the node (the node itself, or a
    grid of a linked community)."""
    for pairing in links_of(cadre, on):
        if node.path.startswith(pairing.node.path):
            return pairing
    return None


@transaction.atomic
def record_cadre_visit(
    *, actor: Actor, node: Organisation | None, visited_on: Any, asks: Any, found: Any,
    need: dict[str, Any] | None = None, case: dict[str, Any] | None = None,
) -> Visit:  # fmt: skip
    """A linked cadre's 三结三问 visit to a node they are linked to, with what came of it:
    `need` (title, field, wants, people, urgency, building) puts a need on the node's list,
    `case` (category, description, building) files a case for the community."""
    when = day(visited_on, "visited_on", "走访日期")
    if node is None or node.kind not in PAIRED_NODE_KINDS:
        raise CogovError("请选择走访的社区或网格", "node")
    if when is None:
        raise CogovError("请填写走访日期", "visited_on")
    if not actor.has_perm("service.add_visit") or _linked_node(actor, node, when) is None:
        raise NotAllowed("只能走访您联系的社区或挂钩的网格")
    try:
        visit = record_visit(
            visitor=actor,
            kind=VisitKind.CADRE,
            visited_on=when,
            found=found,
            path=node.path,
            asks=asks,
            node=node,
        )
    except ServiceError as exc:
        raise CogovError(exc.message, exc.field) from exc
    if need:
        record_need(actor=actor, node=node, source=NeedSource.VISIT, visit=visit, **need)
    if case:
        visit.follow_up_case = _file_case(actor, node, **case)
        visit.save(update_fields=["follow_up_case"])
    audit.record(actor=actor, action="create", target=visit, detail={"asks": visit.asks})
    return visit


def _file_case(
    actor: Actor, node: Organisation, *, category: Any, description: Any, building: Any = None
) -> Any:
    if building is not None and not building.grid.path.startswith(node.path):
        raise CogovError("所选楼栋不在该社区或网格内", "building")
    return file_case(
        actor=actor, category=category, description=description, node=node,
        building=building, field_prefix="case_",
    )  # fmt: skip


def deeds_q() -> Q:
    """A visit that pushed a 民生实事 to closure: a need from it met, or a project from that
    need passed inspection and made public, or its follow-up case closed."""
    return (
        Q(needs__status=NeedStatus.MET)
        | Q(needs__projects__status__in=DONE_PROJECT)
        | Q(follow_up_case__status="closed")
    )


@dataclass(frozen=True)
class CadreRecord:
    links: int
    visits: int
    asks: dict[str, int]
    needs: int
    cases: int
    deeds: int


def record_of(cadre: Actor) -> CadreRecord:
    """What a cadre's visits came to, counted from the records."""
    visits = Visit.objects.filter(visitor=cadre, kind=VisitKind.CADRE)
    asks = {code: 0 for code in ("need", "advice", "effect")}
    for row in visits.values_list("asks", flat=True):
        for code in row or ():
            asks[code] = asks.get(code, 0) + 1
    return CadreRecord(
        links=links_of(cadre).count(),
        visits=visits.count(),
        asks=asks,
        needs=Need.objects.filter(visit__in=visits).count(),
        cases=visits.filter(follow_up_case__isnull=False).count(),
        deeds=visits.filter(deeds_q()).distinct().count(),
    )
