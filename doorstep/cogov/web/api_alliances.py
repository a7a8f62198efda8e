"""JSON API of 党建联盟 (tag "cogov"): alliances with their members' agreements and 兼职委员,
and a co-building unit's profile with its record.

Alliances are read through `Alliance.objects.visible_to(user)` (a row outside it answers
404); a unit's profile and record are public to every caller, as its page is. Signing an
agreement goes through `cogov.alliances`, whose CogovError becomes a JSON error with its
status and writes nothing.
"""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from doorstep.atlas.organisations.models import Organisation
from doorstep.cogov import alliances
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import Agreement, Alliance, Seat, UnitProfile
from doorstep.cogov.models.alliances import UNIT_KINDS

from .api import PathId
from .schemas import AgreementIn, AgreementOut, AllianceOut, CoUnitOut

router = Router(tags=["cogov"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _alliances(request: HttpRequest) -> Any:
    return Alliance.objects.visible_to(_actor(request)).select_related("lead", "scheme")


def agreement_out(a: Agreement, today: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "unit_id": a.unit_id,
        "unit": a.unit.name,
        "starts_on": a.starts_on,
        "ends_on": a.ends_on,
        "in_force": a.in_force(today),
        "items": [i.label for i in a.items.all()],
        "pledge": a.pledge,
        "signed_on": a.signed_on,
        "has_document": bool(a.document),
    }


def alliance_out(a: Alliance, *, members: bool) -> dict[str, Any]:
    today = timezone.localdate()
    out: dict[str, Any] = {
        "id": a.pk,
        "name": a.name,
        "lead_id": a.lead_id,
        "lead": a.lead.name,
        "scheme": a.scheme.name,
        "items": [i.label for i in a.scheme.items.all()],
        "motto": a.motto,
        "founded_on": a.founded_on,
        "agreements": [],
        "seats": [],
    }
    if members:
        rows = list(a.agreements.select_related("unit").prefetch_related("items"))
        out["agreements"] = [agreement_out(x, today) for x in rows]
        seats = Seat.objects.filter(
            unit_id__in={x.unit_id for x in rows}, node__in=alliances.seat_nodes(a.lead)
        ).select_related("node", "unit")
        out["seats"] = [
            {
                "body": s.body,
                "node_id": s.node_id,
                "node": s.node.name,
                "unit_id": s.unit_id,
                "name": s.name,
                "post": s.post,
                "starts_on": s.starts_on,
                "ends_on": s.ends_on,
            }
            for s in seats
        ]
    return out


@router.get("/cogov/alliances", response=list[AllianceOut], summary="党建联盟")
def list_alliances(request: HttpRequest) -> Any:
    return [alliance_out(a, members=False) for a in _alliances(request)[:500]]


@router.get("/cogov/alliances/{alliance_id}", response=AllianceOut, summary="一个联盟及其成员协议")
def get_alliance(request: HttpRequest, alliance_id: PathId) -> Any:
    return alliance_out(get_object_or_404(_alliances(request), pk=alliance_id), members=True)


@router.post(
    "/cogov/alliances/{alliance_id}/agreements",
    response={201: AgreementOut},
    summary="签订共建协议（协议文本请在页面上传）",
)
def sign_agreement(request: HttpRequest, alliance_id: PathId, payload: AgreementIn) -> Any:
    alliance = get_object_or_404(_alliances(request), pk=alliance_id)
    unit = alliances.candidate_units(alliance.lead).filter(pk=payload.unit_id).first()
    if unit is None:
        raise CogovError("该单位不存在或不能加入此联盟", "unit_id")
    agreement = alliances.sign_agreement(
        actor=_actor(request), alliance=alliance, unit=unit, starts_on=payload.starts_on,
        ends_on=payload.ends_on, items=payload.item_ids, signed_on=payload.signed_on,
        pledge=payload.pledge,
    )  # fmt: skip
    return Status(201, agreement_out(agreement, timezone.localdate()))


@router.get("/cogov/units/{unit_id}", response=CoUnitOut, summary="共建单位档案与共建成效")
def get_unit(request: HttpRequest, unit_id: PathId) -> Any:
    unit = get_object_or_404(
        Organisation.objects.outside_door("a co-building unit's public record"),
        pk=unit_id,
        kind__in=UNIT_KINDS,
    )
    profile = UnitProfile.objects.visible_to(_actor(request)).filter(unit=unit).first()
    record = alliances.record_of(unit)
    return {
        "id": unit.pk,
        "name": unit.name,
        "kind": unit.kind,
        "sector": profile.sector if profile else "",
        "party_org": profile.party_org if profile else "",
        "intro": profile.intro if profile else "",
        "record": record.__dict__,
    }
