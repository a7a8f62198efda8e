"""Shapes of the places-and-time API (sites, rooms, bookings, activities): types and shape
only, no rules; plus what both routers share to read input: the bounded page, and `moment` /
`day_span`, which turn datetimes and date ranges into safe values or a 400.

Names are distinct from the other routers' schemas (ninja names OpenAPI components by class
name). Contact numbers leave masked; a room's booked slots carry no booker.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import StringConstraints

from doorstep.nearby.sites.errors import SiteError
from doorstep.nearby.sites.hours import TZ

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
NO_NUL = r"^[^\x00]*$"
# No NUL (PostgreSQL refuses it) and bounded lengths: bad input is a 422, never a 500.
Reason = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=200)]
Title = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=120)]
Purpose = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=200)]
Address = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=200)]
Description = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=5000)]
# The check-in token is URL-safe base64 (secrets.token_urlsafe); anything else is malformed.
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]*$", max_length=64)]

# Written out so OpenAPI lists them; a test checks they match the models' choices.
SiteKindCode = Literal[
    "centre",
    "station",
    "rider_station",
    "canteen",
    "neighbourhood",
    "open_venue",
    "studio",
    "other",
]
BookingStatusCode = Literal["pending", "approved", "declined", "cancelled", "checked_in", "no_show"]
ActivityKindCode = Literal[
    "festival", "job_fair", "market", "training", "volunteer", "study", "culture", "other"
]
AudienceCode = Literal["everyone", "elderly", "children", "party", "workers"]

# Datetimes and dates far from today are refused with a 400 before any arithmetic on them
# (year 9999 plus an offset would overflow: a 500).
EARLIEST, LATEST = 2000, 2100
MAX_SPAN_DAYS = 62


class PlacesPage(LimitOffsetPagination):
    """limit/offset paging with a total `count`; bounded so no page is a table dump."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10**9)


def moment(value: dt.datetime, field: str) -> dt.datetime:
    """An aware datetime: one without an offset is Beijing time (Asia/Shanghai)."""
    if not EARLIEST <= value.year <= LATEST:
        raise SiteError(f"时间须在{EARLIEST}年至{LATEST}年之间", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=TZ)
    return value


def day_span(
    start: dt.date | None, end: dt.date | None, default_days: int
) -> tuple[dt.date, dt.date]:
    """A bounded range of local dates (both ends included), at most MAX_SPAN_DAYS long."""
    today = dt.datetime.now(TZ).date()
    for value, name in ((start, "from"), (end, "to")):
        if value is not None and not EARLIEST <= value.year <= LATEST:
            raise SiteError(f"日期须在{EARLIEST}年至{LATEST}年之间", field=name)
    start = start or (end - dt.timedelta(days=default_days - 1) if end else today)
    end = end or start + dt.timedelta(days=default_days - 1)
    if end < start:
        raise SiteError("结束日期不能早于开始日期", field="to")
    if (end - start).days + 1 > MAX_SPAN_DAYS:
        raise SiteError(f"查询范围不超过{MAX_SPAN_DAYS}天", field="to")
    return start, end


# --- sites and rooms --------------------------------------------------------------------


class ServiceKindOut(Schema):
    code: str
    name: str


class SiteOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    address: str
    lat: float | None
    lon: float | None
    services: list[ServiceKindOut]
    open_now: bool
    organisation: str
    contact_phone: str  # masked
    distance_m: float | None = None


class OpeningHoursOut(Schema):
    weekday: int
    weekday_label: str
    opens: str  # "08:00"
    closes: str


class SpecialDayOut(Schema):
    date: dt.date
    closed: bool
    opens: str | None
    closes: str | None
    note: str
    room_id: int | None


class RoomOut(Schema):
    id: int
    site_id: int
    name: str
    capacity: int
    equipment: str
    needs_approval: bool
    bookable_by: list[str]
    buffer_minutes: int
    active: bool


class SiteDetailOut(SiteOut):
    description: str
    open_on_holidays: bool
    hours: list[OpeningHoursOut]
    special_days: list[SpecialDayOut]
    rooms: list[RoomOut]


class BookedSlotOut(Schema):
    """A taken slot of a room: when, and nothing about who."""

    start: dt.datetime
    end: dt.datetime


class RoomDetailOut(RoomOut):
    site: str
    date_from: dt.date
    date_to: dt.date
    booked: list[BookedSlotOut]


# --- bookings ---------------------------------------------------------------------------


class BookingIn(Schema):
    """One slot. A datetime without an offset is read as Beijing time (Asia/Shanghai)."""

    room_id: Id
    start: dt.datetime
    end: dt.datetime
    purpose: Purpose
    attendees: int = Field(1, ge=1, le=100_000)
    organisation_id: Id | None = None  # book for a team or unit the caller belongs to


class BookingWeeklyIn(BookingIn):
    """The same slot every week, `weeks` times (2–52). skip_conflicts: book the free weeks
    and report the others; false: all weeks or none."""

    weeks: int = Field(..., ge=2, le=52)
    skip_conflicts: bool = True


class BookingOut(Schema):
    id: int
    room_id: int
    room: str
    site_id: int
    site: str
    start: dt.datetime
    end: dt.datetime
    purpose: str
    attendees: int
    status: str
    status_label: str
    booker: str
    organisation: str | None
    series_id: int | None
    decline_reason: str
    cancel_reason: str
    checked_in_at: dt.datetime | None
    created_at: dt.datetime


class SkippedWeekOut(Schema):
    date: dt.date
    reason: str


class BookingSeriesOut(Schema):
    series_id: int
    bookings: list[BookingOut]
    skipped: list[SkippedWeekOut]


class BookingReasonIn(Schema):
    reason: Reason = ""


# --- activities -------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    organiser_id: int
    organiser: str
    co_organisers: list[str]
    territory_id: int
    territory: str
    site_id: int | None
    booking_id: int | None
    address: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    audience: str
    signup_opens_at: dt.datetime
    signup_closes_at: dt.datetime


class SignUpOut(Schema):
    id: int
    activity_id: int
    status: str
    status_label: str
    ahead: int | None  # waiting: how many are before this place in the line
    checked_in_at: dt.datetime | None


class ActivityDetailOut(ActivityOut):
    description: str
    confirmed: int
    waiting: int
    mine: SignUpOut | None


class ActivityIn(Schema):
    """Publish an activity. Datetimes without an offset are read as Beijing time."""

    title: Title
    kind: ActivityKindCode
    organiser_id: Id
    territory_id: Id
    co_organiser_ids: list[Id] = Field(default_factory=list, max_length=20)
    address: Address = ""
    room_id: Id | None = None  # book this room for the activity's time
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = Field(..., ge=1, le=100_000)
    audience: AudienceCode = "everyone"
    signup_opens_at: dt.datetime | None = None
    signup_closes_at: dt.datetime | None = None
    description: Description = ""


class ActivityCapacityIn(Schema):
    capacity: int = Field(..., ge=1, le=100_000)


class ActivityCancelIn(Schema):
    reason: Reason = ""


class ActivityCheckInIn(Schema):
    """Yourself with the activity's check-in token, or (staff) someone by user id."""

    token: Token = ""
    user_id: Id | None = None
