"""Shapes of the cases API (ninja schemas): types and shape only, no rules.

Contact numbers leave masked; the reporter's name only for staff (the view decides).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# No NUL (PostgreSQL refuses it) and bounded lengths: bad input is a 422, never a 500.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=5000)]
ShortText = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=200)]
Note = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=2000)]

KindCode = Literal["request", "micro_wish", "patrol"]
UrgencyCode = Literal["urgent", "pressing", "ordinary"]
RatingCode = Literal["satisfied", "basic", "unsatisfied"]
UnitCode = Literal["hours", "workdays"]


class CategoryOut(Schema):
    code: str
    name: str
    full_name: str
    kind: str
    urgency: str
    default_handler_id: int | None


class CaseIn(Schema):
    category: Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", min_length=1, max_length=32)]
    description: Annotated[
        str, StringConstraints(pattern=r"^[^\x00]*$", min_length=1, max_length=5000)
    ]
    title: ShortText = ""
    kind: KindCode = "request"
    building_id: Id | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    address: ShortText = ""
    anonymous: bool = False
    urgency: UrgencyCode | None = None
    contact_phone: Annotated[str, StringConstraints(pattern=r"^[0-9+\- ]*$", max_length=20)] = ""


class AssignmentOut(Schema):
    id: int
    handler: str
    role: str
    state: str
    via: str
    sign_due_at: dt.datetime | None


class EventOut(Schema):
    seq: int
    move: str
    label: str
    from_status: str
    to_status: str
    actor_name: str
    note: str
    at: dt.datetime


class MoveOut(Schema):
    """A move open to the caller, and what it takes (from the workflow table)."""

    code: str
    label: str
    needs_note: bool
    takes_note: bool
    photos: str  # "" | "optional" | "required"
    fields: list[str]


class CaseListOut(Schema):
    """A row of a case list: no personal data at all."""

    number: str
    kind: str
    category: str = Field(..., alias="category.code")
    title: str
    status: str
    status_label: str
    flag: str
    territory: str = Field(..., alias="territory.name")
    owner: str = Field(..., alias="owner.name")
    urgency: str
    created_at: dt.datetime
    due_at: dt.datetime | None
    version: int


class CaseOut(Schema):
    number: str
    kind: str
    source: str
    category: str
    category_name: str
    title: str
    description: str
    urgency: str
    status: str
    status_label: str
    flag: str
    territory: str
    owner: str
    address: str
    lat: float | None
    lon: float | None
    anonymous: bool
    reporter: str | None
    contact_phone: str
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution: str
    rating: str
    solved: bool | None
    version: int


class CaseDetailOut(CaseOut):
    assignments: list[AssignmentOut]
    events: list[EventOut]
    moves: list[MoveOut]


class ScoreIn(Schema):
    summons_id: Id
    score: int = Field(..., ge=1, le=5)
    comment: ShortText = ""


class CaseMoveIn(Schema):
    """One move. Only the fields the move needs are read; the rest are ignored."""

    version: int | None = Field(None, ge=1, le=2**31 - 1)
    note: Note = ""
    urgency: UrgencyCode | None = None
    lead_org_id: Id | None = None
    lead_user_id: Id | None = None
    co_org_ids: list[Id] = Field(default_factory=list, max_length=20)
    co_user_ids: list[Id] = Field(default_factory=list, max_length=20)
    remove_assignment_ids: list[Id] = Field(default_factory=list, max_length=20)
    department_ids: list[Id] = Field(default_factory=list, max_length=20)
    report_by: dt.datetime | None = None
    rating: RatingCode | None = None
    solved: bool | None = None
    comment: ShortText = ""
    amount: int | None = Field(None, ge=1, le=720)
    unit: UnitCode | None = None
    target_number: (
        Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=32)] | None
    ) = None
    scores: list[ScoreIn] = Field(default_factory=list, max_length=20)


class RatesOut(Schema):
    organisation: str
    start: dt.date | None
    end: dt.date | None
    received: int = Field(description="期内受理的工单件数（撤销的除外）")
    closed: int = Field(description="其中截至目前已办结的件数")
    closed_late: int = Field(description="其中超期办结的件数")
    closing_rate: float | None
    on_time_rate: float | None
    timely_sign_rate: float | None
    return_rate: float | None
    reopen_rate: float | None
    satisfaction_rate: float | None
    response_rate: float | None
    solve_rate: float | None
    avg_handling_hours: float | None
    definitions: dict[str, str] = Field(description="每项指标的口径（分子、分母、哪些工单）")


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read: bool
