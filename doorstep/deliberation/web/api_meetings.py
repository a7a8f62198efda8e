"""JSON API of councils and meetings (tag "deliberation"): the councils and meetings a
caller sees (staff's subtree and the community above their grid, a resident's community,
a member's own meetings), one meeting with its agenda, quorum and — once signed, or for
its members and staff — its minutes, and a member's sign-in with the meeting's QR token.
Every read starts from `visible_to(user)`; a row outside it answers 404."""

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Router, Schema

from doorstep.core.ids import MAX_ID
from doorstep.deliberation import councils, meetings
from doorstep.deliberation.models import Council, Meeting

router = Router(tags=["deliberation"])
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


class CouncilSeatOut(Schema):
    kind: str
    label: str
    count: int
    held: int


class CouncilOut(Schema):
    id: int
    name: str
    community_id: int
    compound_id: int | None
    quorum: str
    majority: str
    seats: list[CouncilSeatOut]


class ItemOut(Schema):
    order: int
    topic_id: int
    topic: str
    outcome: str
    decision: str
    votes_yes: int | None
    votes_no: int | None
    votes_abstain: int | None


class QuorumOut(Schema):
    invited: int
    present: int
    needed: int
    met: bool


class MeetingOut(Schema):
    id: int
    council_id: int
    title: str
    format: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    signed_at: dt.datetime | None


class MeetingDetailOut(MeetingOut):
    agenda: list[ItemOut]
    quorum: QuorumOut
    minutes: str | None  # None until signed, unless the caller is a member or keeps it
    signed_in: bool


class SignInIn(Schema):
    token: str = Field(..., max_length=64)


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def council_out(c: Council) -> dict[str, Any]:
    held: dict[str, int] = {}
    for kind in councils.in_force(c).values_list("kind", flat=True):
        held[kind] = held.get(kind, 0) + 1
    return {
        "id": c.pk,
        "name": c.name,
        "community_id": c.node_id,
        "compound_id": c.compound_id,
        "quorum": c.quorum,
        "majority": c.majority,
        "seats": [
            {
                "kind": s.kind,
                "label": s.get_kind_display(),
                "count": s.count,
                "held": held.get(s.kind, 0),
            }
            for s in c.seats.all()
        ],
    }


def meeting_out(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk,
        "council_id": m.council_id,
        "title": m.title,
        "format": m.format,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "place": m.place,
        "signed_at": m.signed_at,
    }


def detail_out(user: Any, m: Meeting) -> dict[str, Any]:
    member = meetings.invited_member(m, user)
    q = meetings.quorum(m)
    sees_minutes = m.signed_at is not None or member is not None or meetings.may_keep(user, m)
    return {
        **meeting_out(m),
        "agenda": [
            {
                "order": i.order,
                "topic_id": i.topic_id,
                "topic": i.topic.title,
                "outcome": i.outcome,
                "decision": i.decision,
                "votes_yes": i.votes_yes,
                "votes_no": i.votes_no,
                "votes_abstain": i.votes_abstain,
            }
            for i in m.agenda.select_related("topic")
        ],
        "quorum": {"invited": q.invited, "present": q.present, "needed": q.needed, "met": q.met},
        "minutes": m.minutes if sees_minutes else None,
        "signed_in": member is not None and m.sign_ins.filter(member=member).exists(),
    }


def _meetings(user: Any) -> Any:
    return Meeting.objects.visible_to(user).select_related("council")


@router.get("/councils", response=list[CouncilOut], summary="议事会")
def list_councils(request: HttpRequest) -> Any:
    rows = Council.objects.visible_to(_actor(request)).prefetch_related("seats")[:200]
    return [council_out(c) for c in rows]


@router.get("/meetings", response=list[MeetingOut], summary="议事会议")
def list_meetings(request: HttpRequest) -> Any:
    return [meeting_out(m) for m in _meetings(_actor(request)).distinct()[:200]]


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut, summary="一次议事会议")
def get_meeting(request: HttpRequest, meeting_id: PathId) -> Any:
    user = _actor(request)
    return detail_out(user, get_object_or_404(_meetings(user).distinct(), pk=meeting_id))


@router.post("/meetings/{meeting_id}/sign-in", response=MeetingDetailOut, summary="扫码签到")
def sign_in(request: HttpRequest, meeting_id: PathId, payload: SignInIn) -> Any:
    user = _actor(request)
    meeting = get_object_or_404(_meetings(user).distinct(), pk=meeting_id)
    meetings.sign_in(actor=user, meeting=meeting, token=payload.token)
    return detail_out(user, meeting)
