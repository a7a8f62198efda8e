"""JSON API for service sites, their rooms and room bookings (阵地、房间、预订).

Every read starts from `ServiceSite.objects.visible_to(user)` or `Booking.objects.visible_to
(user)`; a row outside it answers 404. Every change goes through `sites.services` (one door),
whose SiteError becomes a JSON error with its status (400 / 403 / 409) and writes nothing.
A room's booked slots show when it is taken, never by whom.
"""

import datetime as dt
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from doorstep.atlas.organisations.models import Organisation
from doorstep.nearby.circle.engine import haversine_m
from doorstep.nearby.sites import services
from doorstep.nearby.sites.errors import SiteError
from doorstep.nearby.sites.hours import TZ
from doorstep.nearby.sites.models import (
    Booking,
    OpeningHours,
    Room,
    ServiceSite,
    SiteKind,
    SpecialDay,
)
from doorstep.nearby.sites.scoping import member_org_ids

from .api_schemas import (
    MAX_ID,
    BookingIn,
    BookingOut,
    BookingReasonIn,
    BookingSeriesOut,
    BookingStatusCode,
    BookingWeeklyIn,
    PlacesPage,
    RoomDetailOut,
    RoomOut,
    SiteDetailOut,
    SiteKindCode,
    SiteOut,
    day_span,
    moment,
)

router = Router(tags=["nearby"])

PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
FilterId = Annotated[int | None, Query(None, ge=1, le=MAX_ID)]
NEAR = r"^-?[0-9]{1,3}(\.[0-9]{1,12})?,-?[0-9]{1,3}(\.[0-9]{1,12})?$"
WEEKDAYS = "一二三四五六日"
SPECIAL_DAYS_AHEAD = 60


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _sites(request: HttpRequest) -> QuerySet[ServiceSite]:
    return ServiceSite.objects.visible_to(_actor(request)).select_related("organisation")


def _rooms(request: HttpRequest) -> QuerySet[Room]:
    return Room.objects.filter(site__in=_sites(request)).select_related("site")


def _bookings(request: HttpRequest) -> QuerySet[Booking]:
    """Bookings in the caller's scope. Without a bookings role (the three admins hold the
    whole tree for other duties) only their own and their organisations' bookings."""
    user = _actor(request)
    qs = Booking.objects.visible_to(user)
    if not (user.has_perm("sites.view_booking") or user.has_perm("sites.approve_booking")):
        qs = qs.filter(Q(booker=user) | Q(organisation_id__in=member_org_ids(user)))
    return qs.select_related("room__site", "booker", "organisation")


def _hm(value: dt.time | None) -> str | None:
    return None if value is None else f"{value:%H:%M}"


def _open_ids(qs: QuerySet[ServiceSite]) -> set[int]:
    return set(qs.open_now().values_list("pk", flat=True))  # type: ignore[attr-defined]


def site_out(site: ServiceSite, open_ids: set[int], distance: float | None = None) -> dict:
    return {
        "id": site.pk,
        "name": site.name,
        "kind": site.kind,
        "kind_label": str(SiteKind(site.kind).label) if site.kind in SiteKind.values else "",
        "address": site.address,
        "lat": site.lat,
        "lon": site.lon,
        "services": [{"code": s.code, "name": s.name} for s in site.services.all()],
        "open_now": site.pk in open_ids,
        "organisation": site.organisation.name,
        "contact_phone": site.contact_phone_masked if site.contact_phone else "",
        "distance_m": distance,
    }


def room_out(room: Room) -> dict[str, Any]:
    return {
        "id": room.pk,
        "site_id": room.site_id,
        "name": room.name,
        "capacity": room.capacity,
        "equipment": room.equipment,
        "needs_approval": room.needs_approval,
        "bookable_by": room.bookable_by,
        "buffer_minutes": room.buffer_minutes,
        "active": room.active,
    }


def booking_out(b: Booking) -> dict[str, Any]:
    return {
        "id": b.pk,
        "room_id": b.room_id,
        "room": b.room.name,
        "site_id": b.room.site_id,
        "site": b.room.site.name,
        "start": b.start,
        "end": b.end,
        "purpose": b.purpose,
        "attendees": b.attendees,
        "status": b.status,
        "status_label": b.get_status_display(),
        "booker": str(b.booker),
        "organisation": b.organisation.name if b.organisation else None,
        "series_id": b.series_id,
        "decline_reason": b.decline_reason,
        "cancel_reason": b.cancel_reason,
        "checked_in_at": b.checked_in_at,
        "created_at": b.created_at,
    }


def _near(near: str | None, lat: float | None, lon: float | None) -> tuple[float, float] | None:
    if near:
        lat_text, lon_text = near.split(",", 1)
        lat, lon = float(lat_text), float(lon_text)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise SiteError("坐标超出范围（纬度±90，经度±180）", field="near")
    if (lat is None) != (lon is None):
        raise SiteError("请同时提供纬度和经度", field="lat" if lat is None else "lon")
    return None if lat is None or lon is None else (lat, lon)


# --- sites ------------------------------------------------------------------------------


@router.get("/sites", response=list[SiteOut], summary="服务阵地列表（可按类型、服务、开放、距离）")
@paginate(PlacesPage)
def list_sites(
    request: HttpRequest,
    kind: SiteKindCode | None = None,
    service: Annotated[str | None, Query(None, max_length=32, pattern=r"^[a-z0-9_-]+$")] = None,
    open_now: bool = False,
    near: Annotated[str | None, Query(None, max_length=40, pattern=NEAR)] = None,
    lat: Annotated[float | None, Query(None, ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(None, ge=-180, le=180)] = None,
) -> Any:
    point = _near(near, lat, lon)
    qs = _sites(request).prefetch_related("services")
    if kind:
        qs = qs.filter(kind=kind)
    if service:
        qs = qs.filter(services__code=service).distinct()
    open_ids = _open_ids(qs)
    if open_now:
        qs = qs.filter(pk__in=open_ids)
    rows = []
    for site in qs[:2000]:
        metres = None
        if point is not None and site.lat is not None and site.lon is not None:
            metres = round(float(haversine_m(point[0], point[1], site.lat, site.lon)), 1)
        rows.append(site_out(site, open_ids, metres))
    if point is not None:
        rows.sort(key=lambda r: (r["distance_m"] is None, r["distance_m"] or 0.0, r["name"]))
    return rows


@router.get("/sites/{id}", response=SiteDetailOut, summary="服务阵地详情：开放时间、特殊日期、房间")
def get_site(request: HttpRequest, id: PathId) -> Any:
    site = get_object_or_404(_sites(request).prefetch_related("services"), pk=id)
    out = site_out(site, _open_ids(_sites(request).filter(pk=site.pk)))
    today = dt.datetime.now(TZ).date()
    out["description"] = site.description
    out["open_on_holidays"] = site.open_on_holidays
    out["hours"] = [
        {
            "weekday": h.weekday,
            "weekday_label": f"周{WEEKDAYS[h.weekday]}",
            "opens": _hm(h.opens),
            "closes": _hm(h.closes),
        }
        for h in OpeningHours.objects.filter(site=site).order_by("weekday", "opens")
    ]
    out["special_days"] = [
        {
            "date": s.date,
            "closed": s.closed,
            "opens": _hm(s.opens),
            "closes": _hm(s.closes),
            "note": s.note,
            "room_id": s.room_id,
        }
        for s in SpecialDay.objects.filter(
            site=site, date__gte=today, date__lt=today + dt.timedelta(days=SPECIAL_DAYS_AHEAD)
        ).order_by("date", "id")
    ]
    out["rooms"] = [room_out(r) for r in site.rooms.filter(active=True).order_by("name")]
    return out


@router.get("/sites/{id}/rooms", response=list[RoomOut], summary="阵地的房间")
def site_rooms(request: HttpRequest, id: PathId) -> Any:
    site = get_object_or_404(_sites(request), pk=id)
    return [room_out(r) for r in site.rooms.filter(active=True).order_by("name")]


@router.get(
    "/rooms/{id}", response=RoomDetailOut, summary="房间详情与已预订时段（不含预订人，最多62天）"
)
def get_room(
    request: HttpRequest,
    id: PathId,
    date_from: Annotated[dt.date | None, Query(None, alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(None, alias="to")] = None,
) -> Any:
    room = get_object_or_404(_rooms(request), pk=id)
    first, last = day_span(date_from, date_to, default_days=14)
    start = dt.datetime.combine(first, dt.time(), TZ)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), TZ)
    taken = (
        Booking.objects.outside_door("a room's taken times, shown without who booked")
        .active()
        .filter(room=room, start__lt=end, end__gt=start)
        .order_by("start")
        .values("start", "end")
    )
    out = room_out(room)
    out.update(site=room.site.name, date_from=first, date_to=last, booked=list(taken[:1000]))
    return out


# --- bookings ---------------------------------------------------------------------------


def _booking_target(request: HttpRequest, payload: BookingIn) -> dict[str, Any]:
    """The room (of a site the caller sees: else 404) and the organisation booked for (one
    the caller belongs to: else 400), as the service's arguments."""
    room = get_object_or_404(_rooms(request), pk=payload.room_id)
    organisation = None
    if payload.organisation_id is not None:
        user = _actor(request)
        organisation = (
            Organisation.objects.outside_door("the organisations the caller belongs to")
            .filter(pk=payload.organisation_id, pk__in=member_org_ids(user))
            .first()
        )
        if organisation is None:
            raise SiteError("请选择您所在的单位，或以个人名义预订", field="organisation_id")
    return {
        "actor": _actor(request),
        "room": room,
        "start": moment(payload.start, "start"),
        "end": moment(payload.end, "end"),
        "purpose": payload.purpose,
        "attendees": payload.attendees,
        "organisation": organisation,
    }


@router.post("/bookings", response={201: BookingOut}, summary="预订房间（一次）")
def create_booking(request: HttpRequest, payload: BookingIn) -> Any:
    booking = services.book(**_booking_target(request, payload))
    return Status(201, booking_out(_bookings(request).get(pk=booking.pk)))


@router.post(
    "/bookings/weekly", response={201: BookingSeriesOut}, summary="每周重复预订（报告未能预订的周）"
)
def create_weekly_booking(request: HttpRequest, payload: BookingWeeklyIn) -> Any:
    result = services.book_weekly(
        **_booking_target(request, payload),
        weeks=payload.weeks,
        skip_conflicts=payload.skip_conflicts,
    )
    made = _bookings(request).filter(pk__in=[b.pk for b in result.bookings]).order_by("start")
    return Status(
        201,
        {
            "series_id": result.series.pk,
            "bookings": [booking_out(b) for b in made],
            "skipped": [{"date": d, "reason": why} for d, why in result.skipped],
        },
    )


@router.get("/bookings", response=list[BookingOut], summary="房间预订列表（按数据权限）")
@paginate(PlacesPage)
def list_bookings(
    request: HttpRequest,
    status: BookingStatusCode | None = None,
    room: FilterId = None,
    mine: bool = False,
) -> Any:
    qs = _bookings(request)
    if status:
        qs = qs.filter(status=status)
    if room is not None:
        qs = qs.filter(room_id=room)
    if mine:
        qs = qs.filter(booker=_actor(request))
    return [booking_out(b) for b in qs.order_by("-start", "-id")[:5000]]


def _booking(request: HttpRequest, id: int) -> Booking:
    return get_object_or_404(_bookings(request), pk=id)


@router.get("/bookings/{id}", response=BookingOut, summary="预订详情")
def get_booking(request: HttpRequest, id: PathId) -> Any:
    return booking_out(_booking(request, id))


def _fresh(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    return booking_out(_bookings(request).get(pk=booking.pk))


@router.post("/bookings/{id}/approve", response=BookingOut, summary="通过预订（阵地工作人员）")
def approve_booking(request: HttpRequest, id: PathId) -> Any:
    b = services.approve(actor=_actor(request), booking=_booking(request, id))
    return _fresh(request, b)


@router.post("/bookings/{id}/decline", response=BookingOut, summary="退回预订（须填原因）")
def decline_booking(request: HttpRequest, id: PathId, payload: BookingReasonIn) -> Any:
    b = services.decline(
        actor=_actor(request), booking=_booking(request, id), reason=payload.reason
    )
    return _fresh(request, b)


@router.post("/bookings/{id}/cancel", response=BookingOut, summary="取消预订")
def cancel_booking(request: HttpRequest, id: PathId, payload: BookingReasonIn) -> Any:
    b = services.cancel(actor=_actor(request), booking=_booking(request, id), reason=payload.reason)
    return _fresh(request, b)


@router.post("/bookings/{id}/check-in", response=BookingOut, summary="到场签到（开始前后30分钟）")
def check_in_booking(request: HttpRequest, id: PathId) -> Any:
    b = services.check_in(actor=_actor(request), booking=_booking(request, id))
    return _fresh(request, b)
