"""The 12345 queue (待分类 / 待定位): a dispatcher gives a waiting order its category or
its place; an order that has both becomes a case, with the call time and the deadline the
file gave. Choosing a category for a label remembers it (`HotlineLabel`) and classifies the
other waiting orders with that label at once; the next import uses it too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from doorstep.atlas.places.models import Building

from .errors import CaseError, NotAllowed
from .hotline import open_case
from .locating import Location, locate
from .models import Case, Category, HotlineLabel, HotlineOrder


@dataclass
class Outcome:
    classified: int = 0  # orders that got the category (the one chosen and its label's others)
    numbers: list[str] = field(default_factory=list)  # cases made


def _may(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm("cases.import_hotline"):
        raise NotAllowed("没有处理12345工单的权限")


def _leaf(category: Category | None) -> Category:
    if category is None or not category.active or category.children.exists():
        raise CaseError("请选择最末一级、启用中的分类", "category")
    return category


def classify(order: HotlineOrder, category: Category | None, *, actor: Any) -> Outcome:
    """Give the order (and every waiting order of its label in the actor's view) the
    category; learn the label; make cases of the orders that are complete."""
    _may(actor)
    leaf = _leaf(category)
    out = Outcome()
    key = HotlineLabel.key(order.label)
    with transaction.atomic():
        HotlineLabel.objects.update_or_create(
            label=key, defaults={"category": leaf, "chosen_by": actor}
        )
        same = [
            o
            for o in HotlineOrder.objects.visible_to(actor, "change")
            .select_for_update()
            .filter(status=HotlineOrder.Status.WAITING, category__isnull=True)
            if o.pk == order.pk or HotlineLabel.key(o.label) == key
        ]
        for o in same:
            o.category = leaf
            o.save(update_fields=["category"])
            out.classified += 1
            if o.territory_id is not None:
                out.numbers.append(promote(o, actor=actor).number)
    return out


def place(order: HotlineOrder, building: Building | None, *, actor: Any) -> Outcome:
    """Give the order its building; make the case if it has its category too."""
    _may(actor)
    if building is None or not building.grid_id:
        raise CaseError("请选择工单所在的楼栋", "building")
    if not order.organisation.path or not building.grid.path.startswith(order.organisation.path):
        raise CaseError("该楼栋不在本工单所属的辖区内", "building")
    out = Outcome()
    with transaction.atomic():
        order.building, order.territory = building, building.grid
        order.save(update_fields=["building", "territory"])
        if order.category_id is not None:
            out.numbers.append(promote(order, actor=actor).number)
    return out


def promote(order: HotlineOrder, *, actor: Any) -> Case:
    """The order as an accepted hotline case (call inside a transaction)."""
    assert order.category is not None and order.territory is not None
    where = (
        locate(building=order.building, address=order.address)
        if order.building is not None
        else Location(order.territory, None, order.address)
    )
    case = open_case(order, where, actor=actor)
    order.status, order.case = HotlineOrder.Status.DONE, case
    order.save(update_fields=["status", "case"])
    return case
