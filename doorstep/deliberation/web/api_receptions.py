"""JSON API of 两代表一委员 reception (tag "deliberation"): the coming reception slots a
caller sees (their street's studios, or the slots they receive in), booking a time in one,
and the visits a caller sees (a resident's own; a deputy's slots; staff's subtree) with
what became of each. Every read starts from `visible_to(user)`; a row outside it is 404."""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Path, Router, Schema, Status

from doorstep.core.ids import MAX_ID
from doorstep.deliberation import receptions
from doorstep.deliberation.models import ReceptionSlot, ReceptionVisit

router = Router(tags=["deliberation"])
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


class SlotOut(Schema):
    id: int
    studio: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    public_day: bool
    deputies: list[str]
    places_left: int


class BookIn(Schema):
    at: dt.datetime
    issue: str = Field("", max_length=2000)


class VisitOut(Schema):
    id: int
    slot_id: int
    studio: str
    at: dt.datetime
    status: str
    walk_in: bool
    issue: str
    reply: str
    case_number: str | None
    topic_id: int | None
    outcome: str
    outcome_at: dt.datetime | None


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def slot_out(s: ReceptionSlot) -> dict[str, Any]:
    booked = s.visits.filter(status="booked", walk_in=False).count()
    return {
        "id": s.pk,
        "studio": s.site.name,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "public_day": s.public_day,
        "deputies": [str(d) for d in s.deputies.all()],
        "places_left": max(0, s.capacity - booked),
    }


def visit_out(v: ReceptionVisit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "slot_id": v.slot_id,
        "studio": v.slot.site.name,
        "at": v.at,
        "status": v.status,
        "walk_in": v.walk_in,
        "issue": v.issue,
        "reply": v.reply,
        "case_number": v.case.number if v.case is not None else None,
        "topic_id": v.topic_id,
        "outcome": v.outcome,
        "outcome_at": v.outcome_at,
    }


def _slots(user: Any) -> Any:
    return ReceptionSlot.objects.visible_to(user).select_related("site").distinct()


@router.get("/receptions/slots", response=list[SlotOut], summary="代表委员接待安排")
def list_slots(request: HttpRequest) -> Any:
    rows = _slots(_actor(request)).filter(ends_at__gte=timezone.now()).order_by("starts_at")[:100]
    return [slot_out(s) for s in rows]


@router.post(
    "/receptions/slots/{slot_id}/book", response={201: VisitOut}, summary="预约代表委员接待"
)
def book(request: HttpRequest, slot_id: PathId, payload: BookIn) -> Any:
    user = _actor(request)
    slot = get_object_or_404(_slots(user), pk=slot_id)
    visit = receptions.book(actor=user, slot=slot, at=payload.at, issue=payload.issue)
    return Status(
        201, visit_out(ReceptionVisit.objects.visible_to(user).distinct().get(pk=visit.pk))
    )


@router.get("/receptions/visits", response=list[VisitOut], summary="接待记录")
def list_visits(request: HttpRequest) -> Any:
    rows = (
        ReceptionVisit.objects.visible_to(_actor(request))
        .select_related("slot__site", "case")
        .distinct()
        .order_by("-at")[:200]
    )
    return [visit_out(v) for v in rows]
