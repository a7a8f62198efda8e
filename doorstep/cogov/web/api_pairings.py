"""JSON API of 结对 (tag "cogov"): pairings with their 结对服务清单, and cadres' 三结三问
visits (read in scope; a linked cadre records one, with a need and/or a case from it).

Rows are read through `visible_to(user)`; writes go through `cogov.pairings`, whose
CogovError becomes a JSON error with its status and writes nothing.
"""

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Status

from doorstep.atlas.organisations.models import Organisation
from doorstep.cogov import pairings
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import PAIRED_NODE_KINDS, Need, Pairing, PairingOffer
from doorstep.service.models import Visit, VisitKind

from .schemas import CadreVisitIn, CadreVisitOut, PairingOut

router = Router(tags=["cogov"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def pairing_out(p: Pairing) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "node_id": p.node_id,
        "node": p.node.name,
        "department_id": p.department_id,
        "department": p.department.name if p.department else "",
        "cadre": str(p.cadre) if p.cadre else "",
        "level": p.level,
        "post": p.post,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "in_force": p.in_force(),
        "offers": [
            {"title": o.title, "detail": o.detail, "frequency": o.frequency} for o in p.offers.all()
        ],
    }


def visit_out(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "node_id": v.node_id,
        "node": v.node.name if v.node else "",
        "visitor": str(v.visitor),
        "visited_on": v.visited_on,
        "asks": list(v.asks or ()),
        "found": v.found,
        "need_ids": [n.pk for n in v.needs.all()],
        "case_number": v.follow_up_case.number if v.follow_up_case else None,
    }


@router.get("/cogov/pairings", response=list[PairingOut], summary="部门结对与联系干部")
def list_pairings(request: HttpRequest) -> Any:
    rows = (
        Pairing.objects.visible_to(_actor(request))
        .select_related("node", "department", "cadre")
        .prefetch_related(Prefetch("offers", queryset=PairingOffer.objects.order_by("id")))
    )
    return [pairing_out(p) for p in rows[:1000]]


def _visits(request: HttpRequest) -> Any:
    return (
        Visit.objects.visible_to(_actor(request))
        .filter(kind=VisitKind.CADRE)
        .select_related("node", "visitor", "follow_up_case")
        .prefetch_related(Prefetch("needs", queryset=Need.objects.order_by("id")))
    )


@router.get("/cogov/visits", response=list[CadreVisitOut], summary="三结三问走访记录")
def list_visits(request: HttpRequest) -> Any:
    return [visit_out(v) for v in _visits(request).order_by("-visited_on", "-id")[:1000]]


@router.post("/cogov/visits", response={201: CadreVisitOut}, summary="记录三结三问走访（联系干部）")
def record_visit(request: HttpRequest, payload: CadreVisitIn) -> Any:
    from doorstep.cases.models import Category

    user = _actor(request)
    node = (
        Organisation.objects.visible_to(user)
        .filter(kind__in=PAIRED_NODE_KINDS, pk=payload.node_id)
        .first()
    )
    if node is None:
        raise CogovError("该社区或网格不存在或不在您的联系范围内", "node_id")
    case = None
    if payload.case is not None:
        category = Category.objects.filter(active=True, pk=payload.case.category_id).first()
        if category is None:
            raise CogovError("没有这个工单分类", "case.category_id")
        case = {"category": category, "description": payload.case.description}
    visit = pairings.record_cadre_visit(
        actor=user, node=node, visited_on=payload.visited_on, asks=payload.asks,
        found=payload.found, need=payload.need.model_dump() if payload.need else None, case=case,
    )  # fmt: skip
    return Status(201, visit_out(_visits(request).get(pk=visit.pk)))
