"""JSON API of door-knocking campaigns (tag "deliberation"): the campaigns a caller sees
(staff: their subtree's, and grid staff those reaching into their grid; a visitor: those
they knock for) with coverage; one campaign's coverage per grid; a visitor's own doors;
logging a knock. Every read starts from `visible_to(user)`; a row outside it is 404.
Refusals are the deliberation errors as JSON (400 / 403 / 409), leaving nothing written."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Router, Schema, Status

from doorstep.atlas.places.models import Household
from doorstep.core.ids import MAX_ID
from doorstep.deliberation import campaigns
from doorstep.deliberation.models import Campaign, CampaignTarget

router = Router(tags=["deliberation"])
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


class CoverageOut(Schema):
    name: str
    targets: int
    reached: int


class CampaignOut(Schema):
    id: int
    title: str
    purpose: str
    node: str
    chosen: str
    starts_on: dt.date
    ends_on: dt.date
    targets: int
    reached: int


class CampaignDetailOut(CampaignOut):
    by_grid: list[CoverageOut]


class DoorOut(Schema):
    id: int
    address: str
    attempts: int
    reached: bool


class KnockNeedIn(Schema):
    title: str = Field(..., max_length=60)
    field: str = Field(..., max_length=20)
    wants: str = Field(..., max_length=20)


class KnockCaseIn(Schema):
    category_id: int = Field(..., ge=1, le=MAX_ID)
    description: str = Field(..., max_length=2000)


class KnockIn(Schema):
    outcome: Literal["met", "phone", "absent", "declined"]
    found: str = Field("", max_length=500)
    need: KnockNeedIn | None = None  # a need found: onto the needs list
    case: KnockCaseIn | None = None  # a problem to be handled: a case


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _visible(user: Any) -> Any:
    return Campaign.objects.visible_to(user).select_related("node").distinct()


def campaign_out(c: Campaign, targets: int, reached: int) -> dict[str, Any]:
    return {
        "id": c.pk, "title": c.title, "purpose": c.purpose, "node": c.node.name,
        "chosen": c.chosen, "starts_on": c.starts_on, "ends_on": c.ends_on,
        "targets": targets, "reached": reached,
    }  # fmt: skip


@router.get("/campaigns", response=list[CampaignOut], summary="敲门行动")
def list_campaigns(request: HttpRequest) -> Any:
    rows = list(_visible(_actor(request))[:200])
    counts: dict[int, tuple[int, int]] = {
        pk: (n, reached)
        for pk, n, reached in CampaignTarget.objects.filter(campaign__in=[c.pk for c in rows])
        .values_list("campaign")
        .annotate(n=Count("id"), reached=Count("id", filter=Q(reached_by__isnull=False)))
        .values_list("campaign", "n", "reached")
        .order_by()
    }
    return [campaign_out(c, *counts.get(c.pk, (0, 0))) for c in rows]


@router.get("/campaigns/{campaign_id}", response=CampaignDetailOut, summary="敲门行动的覆盖情况")
def get_campaign(request: HttpRequest, campaign_id: PathId) -> Any:
    c = get_object_or_404(_visible(_actor(request)), pk=campaign_id)
    by_grid = campaigns.coverage(c, by="grid")
    return {
        **campaign_out(c, sum(r.targets for r in by_grid), sum(r.reached for r in by_grid)),
        "by_grid": [{"name": r.label, "targets": r.targets, "reached": r.reached} for r in by_grid],
    }


def _doors(user: Any, campaign: Campaign) -> Any:
    return CampaignTarget.objects.filter(campaign=campaign, assignee=user)


@router.get("/campaigns/{campaign_id}/doors", response=list[DoorOut], summary="我的走访名单")
def my_doors(request: HttpRequest, campaign_id: PathId) -> Any:
    user = _actor(request)
    c = get_object_or_404(_visible(user), pk=campaign_id)
    doors = list(_doors(user, c).order_by("reached_by", "building_id", "household_id")[:300])
    addresses = {
        h.pk: h.address
        for h in Household.objects.outside_door("the addresses of the visitor's own doors")
        .select_related("unit__building")
        .filter(pk__in=[d.household_id for d in doors])
    }
    return [
        {"id": d.pk, "address": addresses.get(d.household_id, ""), "attempts": d.attempts,
         "reached": d.reached_by_id is not None}
        for d in doors
    ]  # fmt: skip


@router.post(
    "/campaigns/{campaign_id}/doors/{door_id}/knocks",
    response={201: DoorOut},
    summary="记录一次敲门走访",
)
def knock(request: HttpRequest, campaign_id: PathId, door_id: PathId, payload: KnockIn) -> Any:
    user = _actor(request)
    c = get_object_or_404(_visible(user), pk=campaign_id)
    door = get_object_or_404(CampaignTarget.objects.filter(campaign=c), pk=door_id)
    campaigns.knock(
        actor=user, target=door, outcome=payload.outcome, found=payload.found,
        need=payload.need.dict() if payload.need else None,
        case={"category": payload.case.category_id, "description": payload.case.description}
        if payload.case else None,
    )  # fmt: skip
    door.refresh_from_db()
    home = (
        Household.objects.outside_door("the address of the door just knocked on")
        .select_related("unit__building")
        .get(pk=door.household_id)
    )
    return Status(
        201,
        {"id": door.pk, "address": home.address, "attempts": door.attempts,
         "reached": door.reached_by_id is not None},
    )  # fmt: skip
