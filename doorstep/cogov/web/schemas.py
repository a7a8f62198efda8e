"""Shapes of the co-governance API: needs, resources, matches and suggestions."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from doorstep.cogov.models import Field as ServiceField
from doorstep.core.ids import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# The codes of models.Field, ResourceKind and Quantity (a test keeps them equal).
FieldCode = Literal[
    "elderly", "children", "disability", "health", "employment", "new_workers", "culture",
    "legal", "environment", "property", "safety", "other",
]  # fmt: skip
KindCode = Literal["venue", "funds", "skills", "service", "goods"]
UnitCode = Literal["hours", "people", "yuan", "items", "sessions"]
# An amount as text ("12.5"): the services read it exactly (no float), and a document-valid
# value is never refused as malformed (a number type would admit 1e400).
Amount = Annotated[
    str, Field(pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$", description="大于0，最多两位小数")
]


class CogovPage(LimitOffsetPagination):
    """limit/offset paging with a total `count`; bounded so no page is a table dump."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10**9)


class NeedOut(Schema):
    id: int
    title: str
    node_id: int
    node: str
    group: str
    field: str
    field_label: str
    wants: str
    urgency: int
    people: int
    amount: Decimal | None
    unit: str
    window_start: dt.date | None
    window_end: dt.date | None
    source: str
    status: str
    status_label: str
    created_at: dt.datetime
    waiting_days: int | None = Field(None, description="待对接或对接中的需求已等待的天数")


class NeedIn(Schema):
    node_id: Id
    title: str = Field(..., max_length=60)
    field: FieldCode
    wants: KindCode
    group: str = Field("", max_length=40)
    detail: str = Field("", max_length=1000)
    urgency: int = Field(1, ge=1, le=3)
    people: int = Field(1, ge=1, le=1_000_000)
    amount: Amount | None = None
    unit: UnitCode | None = None
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    building_id: Id | None = None


class ResourceOut(Schema):
    id: int
    title: str
    provider_id: int
    provider: str
    area_id: int
    area: str
    kind: str
    kind_label: str
    fields: list[str]
    capacity: Decimal
    remaining: Decimal
    unit: str
    available_from: dt.date | None
    available_to: dt.date | None
    reach_m: int
    status: str


class ResourceIn(Schema):
    provider_id: Id
    title: str = Field(..., max_length=60)
    kind: KindCode
    fields: list[FieldCode] = Field(..., min_length=1, max_length=len(ServiceField.values))
    capacity: Amount
    unit: UnitCode
    detail: str = Field("", max_length=1000)
    available_from: dt.date | None = None
    available_to: dt.date | None = None
    reach_m: int = Field(1125, ge=100, le=20000)


class SuggestionOut(Schema):
    resource: ResourceOut
    score: float
    metres: float
    walked: bool = Field(..., description="true：沿路网步行距离；false：直线距离×1.3（未导入路网）")


class MatchOut(Schema):
    id: int
    need_id: int
    need: str
    resource_id: int
    resource: str
    provider: str
    amount: Decimal
    unit: str
    status: str
    status_label: str
    due_on: dt.date | None
    accepted_at: dt.datetime
    reason: str
    rating: int | None


class MatchIn(Schema):
    resource_id: Id
    amount: Amount


class ReasonIn(Schema):
    reason: str = Field(..., max_length=200)


class CompleteIn(Schema):
    rating: int | None = Field(None, ge=1, le=5)
    met: bool = True


class ProjectOut(Schema):
    id: int
    title: str
    kind: str
    node_id: int
    node: str
    status: str
    status_label: str
    need_id: int | None
    starts_on: dt.date
    ends_on: dt.date
    budget: Decimal
    volunteers: int
    served: int
    late_milestones: int
    rating: float | None
    ratings: int


class ProjectMoveIn(Schema):
    move: Literal[
        "submit", "withdraw", "send_back", "approve", "reject", "start", "finish", "pass",
        "rework", "close", "stop",
    ]  # fmt: skip
    note: str = Field("", max_length=500)
    version: int | None = Field(None, ge=1, le=MAX_ID)


class FundOut(Schema):
    id: int
    name: str
    owner_id: int
    owner: str
    balance: Decimal
    threshold: Decimal


class FundLineOut(Schema):
    seq: int
    kind: str
    kind_label: str
    amount: Decimal
    project_id: int | None
    counterpart: str
    memo: str
    reverses_seq: int | None
    balance_after: Decimal
    posted_at: dt.datetime


class StatementOut(Schema):
    fund: FundOut
    start: dt.date
    end: dt.date
    opening: Decimal
    closing: Decimal
    totals: dict[str, Decimal]
    lines: list[FundLineOut]


class AgreementIn(Schema):
    unit_id: int = Field(..., ge=1, le=MAX_ID)
    starts_on: dt.date
    ends_on: dt.date
    signed_on: dt.date
    item_ids: list[Id] = Field(..., min_length=1, max_length=16)
    pledge: str = Field("", max_length=200)


class AgreementOut(Schema):
    id: int
    unit_id: int
    unit: str
    starts_on: dt.date
    ends_on: dt.date
    in_force: bool
    items: list[str]
    pledge: str
    signed_on: dt.date
    has_document: bool


class SeatOut(Schema):
    body: str
    node_id: int
    node: str
    unit_id: int
    name: str
    post: str
    starts_on: dt.date
    ends_on: dt.date


class AllianceOut(Schema):
    id: int
    name: str
    lead_id: int
    lead: str
    scheme: str
    items: list[str]
    motto: str
    founded_on: dt.date
    agreements: list[AgreementOut]
    seats: list[SeatOut]


class CoUnitRecordOut(Schema):
    resources: int
    live_resources: int
    matches_done: int
    projects_done: int
    served: int
    volunteers: int
    activity_volunteers: int
    match_rating: float | None
    project_rating: float | None
    ratings: int


class CoUnitOut(Schema):
    id: int
    name: str
    kind: str
    sector: str
    party_org: str
    intro: str
    record: CoUnitRecordOut


class PairingOfferOut(Schema):
    title: str
    detail: str
    frequency: str


class PairingOut(Schema):
    id: int
    kind: str
    node_id: int
    node: str
    department_id: int | None
    department: str
    cadre: str
    level: str
    post: str
    starts_on: dt.date
    ends_on: dt.date
    in_force: bool
    offers: list[PairingOfferOut]


class VisitNeedIn(Schema):
    title: str = Field(..., min_length=1, max_length=60)
    field: str = Field(..., max_length=20)
    wants: str = Field(..., max_length=20)
    people: int = Field(1, ge=1, le=1_000_000)


class VisitCaseIn(Schema):
    category_id: int = Field(..., ge=1, le=MAX_ID)
    description: str = Field(..., min_length=1, max_length=5000)


class CadreVisitIn(Schema):
    node_id: int = Field(..., ge=1, le=MAX_ID)
    visited_on: dt.date
    asks: list[str] = Field(..., min_length=1, max_length=3)
    found: str = Field(..., min_length=1, max_length=500)
    need: VisitNeedIn | None = None
    case: VisitCaseIn | None = None


class CadreVisitOut(Schema):
    id: int
    node_id: int
    node: str
    visitor: str
    visited_on: dt.date
    asks: list[str]
    found: str
    need_ids: list[int]
    case_number: str | None


class ProposalOut(Schema):
    id: int
    node_id: int
    node: str
    title: str
    summary: str
    status: str
    votes: int
    project_id: int | None
    created_at: dt.datetime
