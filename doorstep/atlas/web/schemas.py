"""Shapes of the governance-map API (ninja schemas): types and shape only, no rules.

Personal numbers leave only through `ResidentOut`, which masks them (脱敏); the clear values
come from the audited unmask endpoint alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import (
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue, SkipJsonSchema
from pydantic_core import core_schema

from doorstep.atlas.people.models import TAG_LABELS
from doorstep.core.masking import mask_id_card, mask_phone

# The largest id any supported database accepts (signed 64-bit); a bigger number in a path,
# a filter or a body is bad input (422), not a database error (500).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# Written out so OpenAPI lists them; a test checks they match the models' choices.
KindCode = Literal[
    "district",
    "street",
    "community",
    "grid",
    "department",
    "co_building",
    "working_committee",
    "party_committee",
    "general_branch",
    "grid_branch",
    "compound_branch",
    "party_group",
    "building_group",
    "central_household",
]
ResidenceTypeCode = Literal["registered", "floating", "tenant"]
RelationCode = Literal["head", "spouse", "child", "parent", "other"]
GenderCode = Literal["M", "F", ""]
PartyStatusCode = Literal["formal", "probationary", "activist"]
TagCode = Literal[
    "elderly_alone",
    "empty_nest",
    "disabled",
    "subsistence",
    "left_behind_child",
    "veteran",
    "serious_illness",
    "special_hardship",
]


def _storable(value: str) -> str:
    """Text a database can store: no NUL (PostgreSQL refuses it), no lone surrogates."""
    if "\x00" in value:
        raise ValueError("不能包含空字符")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("包含无效字符") from exc
    return value


class _StorableText:
    """Runs `_storable`, and tells the OpenAPI document about the no-NUL rule (a `pattern`),
    so a client (or a fuzzer) reading the document does not send text it will be refused."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_after_validator_function(_storable, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: Any, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = r"^[^\x00]*$"
        return json_schema


_Storable = _StorableText()
Name = Annotated[str, StringConstraints(min_length=1, max_length=64), _Storable]
Note = Annotated[str, StringConstraints(max_length=200), _Storable]
IdCardText = Annotated[str, StringConstraints(max_length=32), _Storable]
PhoneText = Annotated[str, StringConstraints(max_length=20), _Storable]
RoomText = Annotated[str, StringConstraints(min_length=1, max_length=20), _Storable]


# --- output -----------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    code: str | None
    parent: int | None
    party_parent: int | None
    depth: int
    secretary: str
    lat: float | None
    lon: float | None

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_parent(obj: Any) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_party_parent(obj: Any) -> int | None:
        return obj.party_parent_id


class CountsOut(Schema):
    """Live figures for a subtree (子树统计)."""

    communities: int
    grids: int
    grids_with_branch: int
    grids_without_branch: int
    buildings: int
    households: int
    households_linked: int
    residents: int
    residents_by_type: dict[str, int]
    party_members: int
    party_organisations: int
    party_branches: int
    central_households: int


class OrganisationDetailOut(OrganisationOut):
    counts: CountsOut


class CompoundOut(Schema):
    id: int
    name: str
    community: int
    address: str

    @staticmethod
    def resolve_community(obj: Any) -> int:
        return obj.community_id


class BuildingOut(Schema):
    id: int
    name: str
    address: str
    grid: Ref
    compound: Ref | None
    use: str
    floors: int | None
    lat: float | None
    lon: float | None


class UnitOut(Schema):
    id: int
    number: str
    households: int


class BuildingDetailOut(BuildingOut):
    units: list[UnitOut]

    @staticmethod
    def resolve_units(obj: Any) -> list[dict[str, Any]]:
        return obj.unit_rows


class TagOut(Schema):
    code: str
    label: str


class ResidentOut(Schema):
    """A resident as anyone in scope sees them: ID-card and phone always masked, and the
    birth date (eight digits of the ID number) only as a year; the audited unmask endpoint
    gives all three in clear."""

    id: int
    name: str
    gender: str
    birth_year: int | None
    household: int
    address: str
    grid: int
    residence_type: str
    relation: str
    id_card: str
    phone: str
    tags: list[TagOut]
    note: str

    @staticmethod
    def resolve_birth_year(obj: Any) -> int | None:
        return obj.birth_date.year if obj.birth_date else None

    @staticmethod
    def resolve_household(obj: Any) -> int:
        return obj.household_id

    @staticmethod
    def resolve_address(obj: Any) -> str:
        return obj.household.address

    @staticmethod
    def resolve_grid(obj: Any) -> int:
        return obj.grid_id

    @staticmethod
    def resolve_id_card(obj: Any) -> str:
        return mask_id_card(obj.id_card)

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_tags(obj: Any) -> list[dict[str, str]]:
        return [{"code": t, "label": TAG_LABELS.get(t, t)} for t in obj.tags or []]


class HouseholdOut(Schema):
    id: int
    address: str
    building: Ref
    unit: str
    room: str
    grid: Ref
    tenure: str

    @staticmethod
    def resolve_building(obj: Any) -> Any:
        return obj.unit.building

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.number


class HouseholdDetailOut(HouseholdOut):
    residents: list[ResidentOut]

    @staticmethod
    def resolve_residents(obj: Any) -> list[Any]:
        return obj.resident_rows


class PartyMemberOut(Schema):
    id: int
    resident: Ref
    status: str
    status_label: str
    organisation: Ref | None
    external_organisation: str
    joined_on: dt.date | None
    in_service: bool
    work_unit: str
    reported_community: Ref | None
    reported_on: dt.date | None
    mobile: bool

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())


class SearchOut(Schema):
    total: int
    residents: list[ResidentOut]
    buildings: list[BuildingOut]
    compounds: list[CompoundOut]
    organisations: list[OrganisationOut]


class UnmaskOut(Schema):
    """Numbers in clear; every response of this shape wrote an audit entry."""

    id_card: str
    phone: str
    birth_date: dt.date | None


# --- input ------------------------------------------------------------------------------


QueryText = Annotated[str, StringConstraints(min_length=1, max_length=100), _Storable]


class SearchIn(Schema):
    """A search whose text may be a full ID or phone number: sent in the body, never in a
    URL (browser history, proxies and access logs keep URLs)."""

    model_config = ConfigDict(extra="forbid")

    q: QueryText


class ResidentSearchIn(SearchIn):
    household: Id | None = None
    grid: Id | None = None
    residence_type: ResidenceTypeCode | None = None


class ResidentIn(Schema):
    """新增居民."""

    model_config = ConfigDict(extra="forbid")

    household: Id
    name: Name
    residence_type: ResidenceTypeCode
    relation: RelationCode = "other"
    gender: GenderCode = ""
    birth_date: dt.date | None = None
    id_card: IdCardText = ""
    phone: PhoneText = ""
    tags: list[TagCode] = Field(default_factory=list, max_length=len(TAG_LABELS))
    note: Note = ""


# Fields a PATCH may leave out but may not set to null.
_NOT_NULL = ("name", "gender", "residence_type", "relation", "id_card", "phone", "tags", "note")


class ResidentPatch(Schema):
    """修改居民信息: only the fields sent change. Empty id_card/phone clears the number."""

    model_config = ConfigDict(extra="forbid")

    # None stands for "not sent"; an explicit null is refused below (except birth_date), so
    # the document shows those fields as not nullable (SkipJsonSchema).
    name: Name | SkipJsonSchema[None] = None
    gender: GenderCode | SkipJsonSchema[None] = None
    birth_date: dt.date | None = None
    residence_type: ResidenceTypeCode | SkipJsonSchema[None] = None
    relation: RelationCode | SkipJsonSchema[None] = None
    id_card: IdCardText | SkipJsonSchema[None] = None
    phone: PhoneText | SkipJsonSchema[None] = None
    tags: Annotated[list[TagCode], Field(max_length=len(TAG_LABELS))] | SkipJsonSchema[None] = None
    note: Note | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _no_nulls(self) -> ResidentPatch:
        nulls = [f for f in _NOT_NULL if f in self.model_fields_set and getattr(self, f) is None]
        if nulls:
            raise ValueError(f"不能为空：{', '.join(nulls)}")
        return self


class MoveIn(Schema):
    """迁移户: the building (in scope), the unit number and the room."""

    model_config = ConfigDict(extra="forbid")

    building: Id
    unit: RoomText
    room: RoomText
