"""JSON API of owners' votes (tag "deliberation"): the votes a caller runs or is on the roll
of, one vote with its live figures, and casting (the owner or proxy online; staff from a
paper ballot). Every read starts from `visible_to(user)`; a vote outside it answers 404.
How each part voted is never in the API: it has its own audited page for staff allowed
to see it. Refusals are the deliberation errors as JSON (400 / 403 / 409)."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema

from doorstep.atlas.places.models import Household
from doorstep.core.ids import MAX_ID
from doorstep.deliberation import ballots
from doorstep.deliberation.errors import DeliberationError
from doorstep.deliberation.models import Ballot, BallotStatus, Channel, RollEntry

router = Router(tags=["deliberation"])
PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


class ShareOut(Schema):
    area: int  # 0.01 m²
    owners: int


class ThresholdOut(Schema):
    label: str
    have: int
    need: int
    of: int
    share: str
    met: bool
    area: bool


class MyPartOut(Schema):
    household_id: int
    choice: str | None


class BallotOut(Schema):
    id: int
    title: str
    question: str
    compound_id: int
    compound: str
    matter: str
    status: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    passed: bool | None
    mine: list[MyPartOut]


class BallotDetailOut(BallotOut):
    total: ShareOut | None
    voted: ShareOut | None
    yes: ShareOut | None
    no: ShareOut | None
    thresholds: list[ThresholdOut]


class CastIn(Schema):
    household_id: int
    choice: Literal["yes", "no", "abstain"]
    channel: Literal["online", "paper"] = "online"


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _ballots(request: HttpRequest) -> Any:
    return Ballot.objects.visible_to(_actor(request)).select_related("compound").distinct()


def ballot_out(user: Any, b: Ballot) -> dict[str, Any]:
    return {
        "id": b.pk,
        "title": b.title,
        "question": b.question,
        "compound_id": b.compound_id,
        "compound": b.compound.name,
        "matter": b.matter,
        "status": b.status,
        "opens_at": b.opens_at,
        "closes_at": b.closes_at,
        "passed": b.passed,
        "mine": [{"household_id": h, "choice": c} for h, c in ballots.my_parts(user, b)],
    }


def detail_out(user: Any, b: Ballot) -> dict[str, Any]:
    out = ballot_out(user, b)
    if b.status == BallotStatus.DRAFT:
        return {**out, "total": None, "voted": None, "yes": None, "no": None, "thresholds": []}
    t = ballots.tally(b)
    return {
        **out,
        "total": t.total.__dict__,
        "voted": t.voted.__dict__,
        "yes": t.yes.__dict__,
        "no": t.no.__dict__,
        "thresholds": [line.__dict__ for line in ballots.thresholds(t)],
    }


@router.get("/votes", response=list[BallotOut], summary="业主表决")
def list_ballots(request: HttpRequest) -> Any:
    user = _actor(request)
    if not user.has_perm("deliberation.view_ballot"):
        return []
    return [ballot_out(user, b) for b in _ballots(request)[:200]]


@router.get("/votes/{ballot_id}", response=BallotDetailOut, summary="一项业主表决及实时计票")
def get_ballot(request: HttpRequest, ballot_id: PathId) -> Any:
    user = _actor(request)
    return detail_out(user, get_object_or_404(_ballots(request), pk=ballot_id))


@router.post("/votes/{ballot_id}/cast", response=BallotDetailOut, summary="投票或录入纸质表决票")
def cast_vote(request: HttpRequest, ballot_id: PathId, payload: CastIn) -> Any:
    user = _actor(request)
    ballot = get_object_or_404(_ballots(request), pk=ballot_id)
    household = (
        Household.objects.outside_door(
            "a part on the ballot's roll; the service checks who may vote it"
        )
        .filter(
            pk__in=RollEntry.objects.filter(
                ballot=ballot, household_id=payload.household_id
            ).values("household_id")
        )
        .first()
    )
    if household is None:
        raise DeliberationError("该户不在本次表决范围内", "household_id")
    ballots.cast(
        actor=user, ballot=ballot, household=household, choice_=payload.choice,
        channel=Channel.PAPER if payload.channel == "paper" else Channel.ONLINE,
    )  # fmt: skip
    return detail_out(user, ballot)
