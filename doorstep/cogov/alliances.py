"""党建联盟 and co-building units: lists of 联建 items, unit profiles, alliances, agreements
(one member unit, one term, items of the alliance's list, the signed text) and 兼职委员 seats.

Keyword-only, take the acting user, atomic; a refusal is a `CogovError` with a Chinese
message and the field at fault, and leaves nothing written. What a unit offered, did and
was rated comes from the lists, matches and projects (`record_of`), never typed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Organisation
from doorstep.core import audit
from doorstep.core.access import prefixes, scope_of

from .errors import CogovError, Conflict, NotAllowed
from .models import (
    Agreement,
    Alliance,
    Match,
    MatchStatus,
    Project,
    ProjectRating,
    Resource,
    ResourceStatus,
    Scheme,
    SchemeItem,
    Seat,
    Sector,
    UnitProfile,
)
from .models.alliances import LEAD_KINDS, SEAT_KINDS, UNIT_KINDS
from .services import choice, day, text
from .uploads import check_document

MAX_ITEMS = 16
MAX_TERM_DAYS = 5 * 366  # an agreement or a seat runs at most five years (a 届)
DONE_PROJECT = ("public", "rated")


def may(actor: Actor, perm: str, org: Organisation) -> bool:
    """`perm`, with a scope holding `org` (its subtree above it, or the node itself)."""
    if not actor.has_perm(perm):
        return False
    scope = scope_of(actor, perm)
    return scope.covers(org.path) or org.pk in scope.node_ids


def term(starts: Any, ends: Any, what: str = "") -> tuple[dt.date, dt.date]:
    """A term (an agreement's, a seat's, a pairing's: `what` names it in the messages):
    both days given, the end after the start, at most five years."""
    first = day(starts, "starts_on", f"{what}起始日期")
    last = day(ends, "ends_on", f"{what}截止日期")
    if first is None:
        raise CogovError(f"请填写{what}起始日期", "starts_on")
    if last is None:
        raise CogovError(f"请填写{what}截止日期", "ends_on")
    if last <= first:
        raise CogovError("截止日期应晚于起始日期", "ends_on")
    if (last - first).days > MAX_TERM_DAYS:
        raise CogovError(f"{what}期限最长五年", "ends_on")
    return first, last


def territory(org: Organisation) -> Organisation:
    """The administrative area a node covers (a party body covers its parent's)."""
    return org.parent if org.is_party and org.parent is not None else org


def candidate_units(lead: Organisation) -> Any:
    """Units an alliance may sign with: co-building units and departments at the lead's
    level or above it (a street's, a district's) and those under it."""
    return (
        Organisation.objects.outside_door("units an alliance may sign with, by name")
        .filter(kind__in=UNIT_KINDS)
        .filter(Q(parent__path__in=prefixes(lead.path)) | Q(path__startswith=lead.path))
        .order_by("kind", "name")
    )


def seat_nodes(lead: Organisation) -> Any:
    """The 大工委 / 大党委 / 大支部 on the lead's line: the street's working committee, the
    community's party committee, the grids' branches below."""
    area = territory(lead)
    return (
        Organisation.objects.outside_door("the party bodies a member's seat may be in, by name")
        .filter(kind__in=list(SEAT_KINDS))
        .filter(Q(parent__path__in=prefixes(area.path)) | Q(path__startswith=area.path))
        .order_by("path")
    )


# -- lists of 联建 items ---------------------------------------------------------------


@transaction.atomic
def create_scheme(*, actor: Actor, name: Any, items: Any, note: Any = "") -> Scheme:
    """A list such as 八共八联: a name and its items (one per line, or a list)."""
    if not actor.has_perm("cogov.add_scheme"):
        raise NotAllowed("您不能设置联建清单")
    title = text(name, "name", "清单名称", 20)
    raw = items.splitlines() if isinstance(items, str) else list(items or [])
    labels: list[str] = []
    for value in raw:
        label = text(value, "items", "联建事项", 20, required=False)
        if label and label not in labels:
            labels.append(label)
    if len(labels) < 2:
        raise CogovError("联建事项至少两项，每行一项", "items")
    if len(labels) > MAX_ITEMS:
        raise CogovError(f"联建事项最多{MAX_ITEMS}项", "items")
    if Scheme.objects.filter(name=title).exists():
        raise CogovError(f"已有名为“{title}”的联建清单", "name")
    scheme = Scheme.objects.create(name=title, note=text(note, "note", "说明", 200, required=False))
    SchemeItem.objects.bulk_create(
        SchemeItem(scheme=scheme, label=label, order=n) for n, label in enumerate(labels)
    )
    audit.record(actor=actor, action="create", target=scheme)
    return scheme


FOUR_LINKS = ("组织联建", "资源联用", "事务联治", "成果联享")


def four_links() -> Scheme:
    """四联, the list every install starts with (migration 0006 adds it; this makes it again
    where a database was emptied since, as test databases are)."""
    scheme, created = Scheme.objects.get_or_create(
        name="四联", defaults={"note": "党建联盟“组织联建、资源联用、事务联治、成果联享”"}
    )
    if created:
        SchemeItem.objects.bulk_create(
            SchemeItem(scheme=scheme, label=label, order=n) for n, label in enumerate(FOUR_LINKS)
        )
    return scheme


# -- unit profiles ------------------------------------------------------------------


@transaction.atomic
def save_profile(
    *,
    actor: Actor,
    unit: Organisation,
    sector: Any,
    party_org: Any = "",
    address: Any = "",
    intro: Any = "",
) -> UnitProfile:
    """Create or update a co-building unit's (or department's) profile: by staff above it or
    by its own liaison."""
    if unit.kind not in UNIT_KINDS:
        raise CogovError("只有共建单位和职能部门有单位档案", "unit")
    if not may(actor, "cogov.change_unitprofile", unit):
        raise NotAllowed("您不能修改该单位的档案")
    values = {
        "sector": choice(sector, Sector, "sector", "单位性质"),
        "party_org": text(party_org, "party_org", "单位党组织", 60, required=False),
        "address": text(address, "address", "地址", 100, required=False),
        "intro": text(intro, "detail", "简介", 1000, required=False),
        "path": unit.path,
        "updated_at": timezone.now(),
    }
    profile, created = UnitProfile.objects.update_or_create(unit=unit, defaults=values)
    audit.record(actor=actor, action="create" if created else "update", target=profile)
    return profile


# -- alliances and agreements ---------------------------------------------------------


@transaction.atomic
def found_alliance(
    *,
    actor: Actor,
    lead: Organisation | None,
    name: Any,
    scheme: Scheme | None,
    founded_on: Any,
    motto: Any = "",
) -> Alliance:
    if lead is None or lead.kind not in LEAD_KINDS:
        raise CogovError("请选择牵头的街道、社区或小区党支部", "lead")
    if not may(actor, "cogov.add_alliance", lead):
        raise NotAllowed("您不能为该组织成立党建联盟")
    if scheme is None:
        raise CogovError("请选择联建清单", "scheme")
    founded = day(founded_on, "founded_on", "成立日期")
    if founded is None:
        raise CogovError("请填写成立日期", "founded_on")
    if founded > timezone.localdate():
        raise CogovError("成立日期不能晚于今天", "founded_on")
    alliance = Alliance.objects.create(
        name=text(name, "name", "联盟名称", 60),
        lead=lead,
        path=lead.path,
        scheme=scheme,
        motto=text(motto, "motto", "联建机制", 100, required=False),
        founded_on=founded,
        created_by=actor,
    )
    audit.record(actor=actor, action="create", target=alliance)
    return alliance


@transaction.atomic
def sign_agreement(
    *,
    actor: Actor,
    alliance: Alliance,
    unit: Organisation | None,
    starts_on: Any,
    ends_on: Any,
    items: Any,
    signed_on: Any,
    pledge: Any = "",
    document: Any = None,
) -> Agreement:
    """A member unit's agreement for a term. Terms of one unit in one alliance never overlap
    (checked under the alliance's row lock, so two clerks entering the same paper make one)."""
    if not may(actor, "cogov.add_agreement", alliance.lead):
        raise NotAllowed("您不能为该联盟签订共建协议")
    if unit is None or unit.kind not in UNIT_KINDS:
        raise CogovError("请选择共建单位或职能部门", "unit")
    first, last = term(starts_on, ends_on)
    signed = day(signed_on, "signed_on", "签订日期")
    if signed is None:
        raise CogovError("请填写签订日期", "signed_on")
    if signed > timezone.localdate():
        raise CogovError("签订日期不能晚于今天", "signed_on")
    ids = {str(x).strip() for x in (items or []) if str(x).strip()}
    chosen = list(SchemeItem.objects.filter(scheme_id=alliance.scheme_id, pk__in=_ints(ids)))
    if not chosen or len(chosen) != len(ids):
        raise CogovError(f"请从“{alliance.scheme}”中勾选承诺的事项", "items")
    note = text(pledge, "pledge", "具体承诺", 200, required=False)
    if document is not None:
        check_document(document, "协议文本", "document")
    Alliance.objects.select_for_update().get(pk=alliance.pk)
    if Agreement.objects.filter(
        alliance=alliance, unit=unit, starts_on__lt=last, ends_on__gt=first
    ).exists():
        raise Conflict(f"{unit}在该期限内已有共建协议", "starts_on")
    agreement = Agreement(
        alliance=alliance,
        unit=unit,
        starts_on=first,
        ends_on=last,
        pledge=note,
        signed_on=signed,
        created_by=actor,
    )
    if document is not None:
        agreement.document = document
    agreement.save()
    agreement.items.set(chosen)
    audit.record(actor=actor, action="create", target=agreement, detail={"unit": unit.pk})
    return agreement


@transaction.atomic
def end_agreement(*, actor: Actor, agreement: Agreement, on: Any) -> Agreement:
    """A unit leaves before its term ends (退出): the term ends on `on`."""
    if not may(actor, "cogov.change_agreement", agreement.alliance.lead):
        raise NotAllowed("您不能变更该共建协议")
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    last = day(on, "ends_on", "终止日期")
    if last is None:
        raise CogovError("请填写终止日期", "ends_on")
    if not locked.starts_on < last < locked.ends_on:
        raise CogovError("终止日期应在协议期限之内", "ends_on")
    locked.ends_on = last
    locked.save(update_fields=["ends_on"])
    audit.record(actor=actor, action="update", target=locked, detail={"ends_on": str(last)})
    return locked


def _ints(values: set[str]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise CogovError("承诺事项无效", "items") from None


# -- 兼职委员 -------------------------------------------------------------------------


def in_force(unit: Organisation, on: dt.date) -> Any:
    return Agreement.objects.filter(unit=unit, starts_on__lte=on, ends_on__gt=on)


@transaction.atomic
def seat_member(
    *,
    actor: Actor,
    node: Organisation | None,
    unit: Organisation | None,
    name: Any,
    starts_on: Any,
    ends_on: Any,
    post: Any = "兼职委员",
) -> Seat:
    """A unit's member joins the 大工委 / 大党委 / 大支部 of a node the unit pairs with: the
    unit must have an agreement in force when the term starts, with an alliance of the
    same street, community or grid line."""
    if node is None or node.kind not in SEAT_KINDS:
        raise CogovError("请选择街道党工委、社区党委或网格党支部", "node")
    if not may(actor, "cogov.add_seat", node):
        raise NotAllowed("您不能为该组织增补兼职委员")
    if unit is None or unit.kind not in UNIT_KINDS:
        raise CogovError("请选择共建单位或职能部门", "unit")
    first, last = term(starts_on, ends_on)
    area = territory(node).path
    paired = [
        a
        for a in in_force(unit, first).select_related("alliance__lead__parent")
        if _on_one_line(territory(a.alliance.lead).path, area)
    ]
    if not paired:
        raise CogovError(f"{unit}在任期开始时没有与该组织所在区域的联盟签订有效协议", "unit")
    seat = Seat.objects.create(
        node=node,
        path=node.path,
        unit=unit,
        name=text(name, "name", "姓名", 20),
        post=text(post, "post", "职务", 20),
        starts_on=first,
        ends_on=last,
        created_by=actor,
    )
    audit.record(actor=actor, action="create", target=seat)
    return seat


def _on_one_line(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


# -- what a unit offered, did and was rated ------------------------------------------


@dataclass(frozen=True)
class UnitRecord:
    resources: int  # 提供资源（项）
    live_resources: int  # 其中可用
    matches_done: int  # 完成对接（次）
    projects_done: int  # 参与完成的项目（个）
    served: int  # 服务群众（人次）
    volunteers: int  # 参与人员（人次）
    activity_volunteers: int  # 本单位主办或协办的活动中签到的志愿者（人次）
    match_rating: float | None  # 对接评价（1–5）
    project_rating: float | None  # 项目评价（1–5）
    ratings: int  # 评价数


def record_of(unit: Organisation) -> UnitRecord:
    """Counted from the lists: resources it offers, matches done with them, projects it took
    part in (as a partner or through its resource) that passed inspection, the ratings of
    both, and the volunteers who checked in at the activities it ran or co-ran."""
    offered = Resource.objects.outside_door("a unit's own record, counted").filter(provider=unit)
    counts = offered.aggregate(
        n=Count("id"), live=Count("id", filter=Q(status=ResourceStatus.ACTIVE))
    )
    done = Match.objects.outside_door("a unit's own record, counted").filter(
        resource__provider=unit, status=MatchStatus.DONE
    )
    matched = done.aggregate(n=Count("id"), avg=Avg("rating"), rated=Count("rating"))
    projects = (
        Project.objects.outside_door("a unit's own record, counted")
        .filter(Q(partners=unit) | Q(match__resource__provider=unit), status__in=DONE_PROJECT)
        .distinct()
    )
    ids = list(projects.values_list("pk", flat=True))
    sums = Project.objects.outside_door("sums of the projects above").filter(pk__in=ids)
    totals = sums.aggregate(served=Sum("served"), volunteers=Sum("volunteers"))
    rated = ProjectRating.objects.filter(project_id__in=ids).aggregate(
        avg=Avg("stars"), n=Count("id")
    )
    from doorstep.nearby.activities.models import SignUp, SignUpRole

    turnout = (
        SignUp.objects.filter(Q(activity__organiser=unit) | Q(activity__co_organisers=unit))
        .filter(role=SignUpRole.VOLUNTEER, checked_in_at__isnull=False)
        .values("pk")
        .distinct()
        .count()
    )
    return UnitRecord(
        resources=counts["n"],
        live_resources=counts["live"],
        matches_done=matched["n"],
        projects_done=len(ids),
        served=totals["served"] or 0,
        volunteers=totals["volunteers"] or 0,
        activity_volunteers=turnout,
        match_rating=_round(matched["avg"]),
        project_rating=_round(rated["avg"]),
        ratings=matched["rated"] + rated["n"],
    )


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)
