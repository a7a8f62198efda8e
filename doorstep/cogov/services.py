"""Writes to the needs and resources lists (需求清单, 资源清单), with their rules.

Keyword-only, take the acting user, atomic; a refusal is a `CogovError` with a Chinese
message and the field at fault, and leaves nothing written. Matching (the capacity a match
promises) is in `matching.py`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Building
from doorstep.core import audit
from doorstep.core.access import scope_of
from doorstep.core.text import clean_choice, clean_text

from .errors import CogovError, NotAllowed
from .models import (
    Field,
    Need,
    NeedSource,
    NeedStatus,
    Quantity,
    Resource,
    ResourceKind,
    ResourceStatus,
    Urgency,
)

# Where a need can be recorded: a community, a grid, or a party branch of a compound.
NEED_NODE_KINDS = frozenset({Kind.STREET, Kind.COMMUNITY, Kind.GRID, Kind.COMPOUND_BRANCH})
# Who offers resources: co-building units and departments, or the street / community itself.
PROVIDER_KINDS = frozenset({Kind.CO_BUILDING, Kind.DEPARTMENT, Kind.STREET, Kind.COMMUNITY})
MAX_AMOUNT = Decimal("9999999999")


def text(value: Any, field: str, label: str, limit: int, *, required: bool = True) -> str:
    """One line (or, for `detail`, several) of clean text within `limit` characters."""
    return clean_text(
        value, field, label, limit, error=CogovError, required=required,
        multiline=field == "detail",
    )  # fmt: skip


def choice(value: Any, choices: Any, field: str, label: str) -> str:
    return clean_choice(value, choices, field, label, error=CogovError)


def quantity(value: Any, field: str, label: str, *, required: bool) -> Decimal | None:
    raw = str(value if value is not None else "").strip().replace(",", "")
    if not raw:
        if required:
            raise CogovError(f"请填写{label}", field)
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise CogovError(f"{label}应为数字", field) from None
    if not amount.is_finite() or amount <= 0:
        raise CogovError(f"{label}应大于0", field)
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise CogovError(f"{label}最多两位小数，且不超过{MAX_AMOUNT}", field)
    return amount


def whole(value: Any, field: str, label: str, *, default: int, low: int, high: int) -> int:
    raw = str(value if value is not None else "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise CogovError(f"{label}应为{low}–{high}之间的整数", field)
    return int(raw)


def day(value: Any, field: str, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CogovError(f"{label}格式应为 2026-05-01", field) from None


def window(start: Any, end: Any, names: tuple[str, str]) -> tuple[dt.date | None, dt.date | None]:
    first, last = day(start, names[0], "开始日期"), day(end, names[1], "截止日期")
    if first and last and last < first:
        raise CogovError("截止日期不能早于开始日期", names[1])
    return first, last


def may_keep_lists(actor: Actor, node: Organisation, perm: str) -> bool:
    return bool(actor.has_perm(perm)) and scope_of(actor, perm).covers(node.path)


@transaction.atomic
def record_need(
    *,
    actor: Actor,
    node: Organisation | None,
    title: Any,
    field: Any,
    wants: Any,
    detail: Any = "",
    group: Any = "",
    urgency: Any = "",
    people: Any = "",
    amount: Any = "",
    unit: Any = "",
    window_start: Any = None,
    window_end: Any = None,
    building: Building | None = None,
    source: str = NeedSource.STAFF,
    case: Any = None,
    visit: Any = None,
) -> Need:
    """A need on the list of a community, grid or compound (需求清单)."""
    if node is None or node.kind not in NEED_NODE_KINDS:
        raise CogovError("请选择需求所在的社区或网格", "node")
    if not may_keep_lists(actor, node, "cogov.add_need"):
        raise NotAllowed("您不能为该社区或网格登记需求")
    if building is not None and not building.grid.path.startswith(node.path):
        raise CogovError("所选楼栋不在该社区或网格内", "building")
    need_amount = quantity(amount, "amount", "需要数量", required=False)
    need_unit = choice(unit, Quantity, "unit", "单位") if need_amount is not None else ""
    start, end = window(window_start, window_end, ("window_start", "window_end"))
    urgency_code = whole(urgency, "urgency", "紧急程度", default=Urgency.NORMAL, low=1, high=3)
    lat, lon = _point(building, node)
    need = Need.objects.create(
        node=node,
        path=node.path,
        building=building,
        group=text(group, "group", "服务对象", 40, required=False),
        title=text(title, "title", "需求", 60),
        detail=text(detail, "detail", "说明", 1000, required=False),
        field=choice(field, Field, "field", "服务领域"),
        wants=choice(wants, ResourceKind, "wants", "所需资源"),
        urgency=urgency_code,
        people=whole(people, "people", "涉及人数", default=1, low=1, high=1_000_000),
        amount=need_amount,
        unit=need_unit,
        window_start=start,
        window_end=end,
        source=source,
        case=case,
        visit=visit,
        lat=lat,
        lon=lon,
        created_by=actor,
    )
    audit.record(actor=actor, action="create", target=need, detail={"list": "need"})
    return need


def _point(building: Building | None, node: Organisation) -> tuple[float | None, float | None]:
    if building is not None and building.lat is not None:
        return building.lat, building.lon
    for org in [node, *reversed(list(node.ancestors()))]:
        if org.lat is not None and org.lon is not None:
            return org.lat, org.lon
    return None, None


def promote_wish(*, actor: Actor, case: Any, field: Any, wants: Any) -> Need:
    """A resident's 微心愿 becomes a need of its grid, keeping the case as its source."""
    from doorstep.cases.models import CaseKind

    if case.kind != CaseKind.MICRO_WISH:
        raise CogovError("只有微心愿可以转为需求")
    if Need.objects.filter(case=case).exists():
        raise CogovError("该微心愿已转为需求")
    return record_need(
        actor=actor,
        node=case.territory,
        title=case.title[:60],
        detail=case.description[:1000],
        field=field,
        wants=wants,
        building=case.building,
        source=NeedSource.WISH,
        case=case,
    )


@transaction.atomic
def close_need(*, actor: Actor, need: Need, reason: Any) -> Need:
    """Staff close a need nobody will meet (with the reason); live matches are cancelled."""
    from . import matching

    if not may_keep_lists(actor, need.node, "cogov.change_need"):
        raise NotAllowed("您不能关闭该需求")
    why = text(reason, "reason", "关闭原因", 200)
    locked = Need.objects.select_for_update().get(pk=need.pk)
    if not locked.is_open:
        raise CogovError("该需求已满足或已关闭")
    for match in locked.matches.live():
        matching.release(match, actor=actor, status="cancelled", reason=why)
    locked.status, locked.closed_reason = NeedStatus.CLOSED, why
    locked.save(update_fields=["status", "closed_reason"])
    audit.record(actor=actor, action="update", target=locked, detail={"status": "closed"})
    return locked


def resource_area(provider: Organisation) -> Organisation:
    """The area a provider's resources serve by default: a unit or department under a street
    serves the street; a street or community serves itself."""
    if provider.kind in (Kind.CO_BUILDING, Kind.DEPARTMENT) and provider.parent is not None:
        return provider.parent
    return provider


@transaction.atomic
def offer_resource(
    *,
    actor: Actor,
    provider: Organisation | None,
    title: Any,
    kind: Any,
    fields: Any,
    capacity: Any,
    unit: Any,
    detail: Any = "",
    area: Organisation | None = None,
    available_from: Any = None,
    available_to: Any = None,
    reach_m: Any = "",
    site: Any = None,
) -> Resource:
    """A resource on the list (资源清单): offered by a unit (its liaison or staff above it)."""
    if provider is None or provider.kind not in PROVIDER_KINDS:
        raise CogovError("请选择提供资源的单位", "provider")
    if not may_offer(actor, provider):
        raise NotAllowed("您不能为该单位登记资源")
    area = area or resource_area(provider)
    if not (area.path.startswith(resource_area(provider).path)):
        raise CogovError("服务范围应在提供单位的辖区内", "area")
    field_codes = [choice(f, Field, "fields", "服务领域") for f in _listed(fields)]
    if not field_codes:
        raise CogovError("请至少选择一个服务领域", "fields")
    cap = quantity(capacity, "capacity", "容量", required=True)
    assert cap is not None  # required
    start, end = window(available_from, available_to, ("available_from", "available_to"))
    lat, lon = (site.lat, site.lon) if site is not None and site.lat is not None else (None, None)
    if lat is None:
        lat, lon = _point(None, provider)
    resource = Resource.objects.create(
        provider=provider,
        area=area,
        path=area.path,
        site=site,
        title=text(title, "title", "资源", 60),
        detail=text(detail, "detail", "说明", 1000, required=False),
        kind=choice(kind, ResourceKind, "kind", "资源类型"),
        fields=sorted(set(field_codes)),
        capacity=cap,
        remaining=cap,
        unit=choice(unit, Quantity, "unit", "单位"),
        available_from=start,
        available_to=end,
        reach_m=whole(reach_m, "reach_m", "服务半径", default=1125, low=100, high=20000),
        lat=lat,
        lon=lon,
        created_by=actor,
    )
    audit.record(actor=actor, action="create", target=resource, detail={"list": "resource"})
    return resource


def _listed(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v).strip()]
    return [
        p for p in str(value or "").replace("，", ",").replace("、", ",").split(",") if p.strip()
    ]


def may_offer(actor: Actor, provider: Organisation) -> bool:
    perm = "cogov.add_resource"
    if not actor.has_perm(perm):
        return False
    scope = scope_of(actor, perm)
    return scope.covers(provider.path) or provider.pk in scope.node_ids


@transaction.atomic
def set_resource_status(*, actor: Actor, resource: Resource, status: str) -> Resource:
    """Pause, resume or withdraw a resource; promised capacity stays with its matches."""
    if status not in ResourceStatus.values:
        raise CogovError("状态不正确", "status")
    if not may_offer(actor, resource.provider):
        raise NotAllowed("您不能修改该资源")
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    locked.status = status
    locked.save(update_fields=["status"])
    audit.record(actor=actor, action="update", target=locked, detail={"status": status})
    return locked


def file_case(
    *, actor: Actor, category: Any, description: str, node: Organisation,
    building: Building | None = None, field_prefix: str = "", **extra: Any,
) -> Any:  # fmt: skip
    """A case filed by staff from co-governance work (a cadre's visit, a match), located at
    the building or else the node, through the cases service; its refusal becomes a
    CogovError (the field named with `field_prefix`, for a form that holds other fields)."""
    from doorstep.cases import services as cases
    from doorstep.cases.errors import CaseError
    from doorstep.cases.locating import locate
    from doorstep.cases.models import Source

    if category is None:
        raise CogovError("请选择工单分类", "category")
    try:
        return cases.create_case(
            actor=actor,
            category=category,
            description=description,
            location=locate(building=building, fallback=node),
            source=Source.STAFF,
            **extra,
        )
    except CaseError as exc:
        raise CogovError(exc.message, field_prefix + (exc.field or "description")) from exc
