"""JSON API for activities (活动): the list, one activity with my sign-up, publishing, signing
up and cancelling, capacity, calling off, check-in.

Every read starts from `Activity.objects.visible_to(user)` (published activities are public;
staff also see the cancelled ones of their area); a row outside it answers 404. Every change
goes through `activities.services`, whose ActivityError becomes a JSON error with its status
(400 / 403 / 409) and writes nothing. Organisations and rooms named by id are looked up
first: an unknown one is a 400 naming the field, never a 500.
"""

import datetime as dt
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate

from doorstep.atlas.organisations.models import Organisation
from doorstep.nearby.activities import services
from doorstep.nearby.activities.models import (
    ACTIVE_SIGNUP,
    Activity,
    SignUp,
    SignUpStatus,
)
from doorstep.nearby.sites.hours import TZ
from doorstep.nearby.sites.models import Room, ServiceSite

from .api_schemas import (
    MAX_ID,
    ActivityCancelIn,
    ActivityCapacityIn,
    ActivityCheckInIn,
    ActivityDetailOut,
    ActivityIn,
    ActivityKindCode,
    ActivityOut,
    PlacesPage,
    SignUpOut,
    day_span,
    moment,
)

router = Router(tags=["nearby"])

PathId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _activities(request: HttpRequest) -> QuerySet[Activity]:
    return (
        Activity.objects.visible_to(_actor(request))
        .select_related("organiser", "territory")
        .prefetch_related("co_organisers")
    )


def _get(request: HttpRequest, id: int) -> Activity:
    return get_object_or_404(_activities(request), pk=id)


def activity_out(a: Activity) -> dict[str, Any]:
    return {
        "id": a.pk,
        "title": a.title,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "status": a.status,
        "status_label": a.get_status_display(),
        "organiser_id": a.organiser_id,
        "organiser": a.organiser.name,
        "co_organisers": [o.name for o in a.co_organisers.all()],
        "territory_id": a.territory_id,
        "territory": a.territory.name,
        "site_id": a.site_id,
        "booking_id": a.booking_id,
        "address": a.address,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "capacity": a.capacity,
        "audience": a.audience,
        "signup_opens_at": a.signup_opens_at,
        "signup_closes_at": a.signup_closes_at,
    }


def signup_out(s: SignUp) -> dict[str, Any]:
    ahead = None
    if s.status == SignUpStatus.WAITING:
        ahead = SignUp.objects.filter(
            activity_id=s.activity_id, status=SignUpStatus.WAITING, pk__lt=s.pk
        ).count()
    return {
        "id": s.pk,
        "activity_id": s.activity_id,
        "status": s.status,
        "status_label": s.get_status_display(),
        "ahead": ahead,
        "checked_in_at": s.checked_in_at,
    }


def _my_signup(activity: Activity, user: Any) -> SignUp | None:
    return activity.signups.filter(user=user, status__in=ACTIVE_SIGNUP).order_by("-id").first()


def _detail(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    a = _get(request, activity_id)
    out = activity_out(a)
    mine = _my_signup(a, _actor(request))
    out.update(
        description=a.description,
        confirmed=a.signups.filter(status=SignUpStatus.CONFIRMED).count(),
        waiting=a.signups.filter(status=SignUpStatus.WAITING).count(),
        mine=signup_out(mine) if mine is not None else None,
    )
    return out


@router.get("/activities", response=list[ActivityOut], summary="活动列表（可按类型、日期）")
@paginate(PlacesPage)
def list_activities(
    request: HttpRequest,
    kind: ActivityKindCode | None = None,
    date_from: Annotated[dt.date | None, Query(None, alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(None, alias="to")] = None,
) -> Any:
    qs = _activities(request)
    if kind:
        qs = qs.filter(kind=kind)
    if date_from is not None or date_to is not None:
        first, last = day_span(date_from, date_to, default_days=31)
        qs = qs.filter(
            starts_at__gte=dt.datetime.combine(first, dt.time(), TZ),
            starts_at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), TZ),
        )
    return [activity_out(a) for a in qs.order_by("starts_at", "id")[:5000]]


@router.get(
    "/activities/{id}", response=ActivityDetailOut, summary="活动详情：已报名、候补人数与我的报名"
)
def get_activity(request: HttpRequest, id: PathId) -> Any:
    return _detail(request, id)


def _org(pk: int, label: str, field: str) -> Organisation:
    orgs = Organisation.objects.outside_door("organisers by id; the service checks the choice")
    org = orgs.filter(pk=pk).first()
    if org is None:
        raise services.ActivityError(f"{label}不存在：{pk}", field)
    return org


@router.post("/activities", response={201: ActivityDetailOut}, summary="发布活动（可同时预订房间）")
def publish_activity(request: HttpRequest, payload: ActivityIn) -> Any:
    user = _actor(request)
    if not user.has_perm("activities.add_activity"):
        raise services.ActivityDenied("没有发布活动的权限")
    organiser = _org(payload.organiser_id, "主办单位", "organiser_id")
    territory = _org(payload.territory_id, "所在区域", "territory_id")
    co = [
        _org(pk, "协办单位", "co_organiser_ids") for pk in dict.fromkeys(payload.co_organiser_ids)
    ]
    room = None
    if payload.room_id is not None:
        sites = ServiceSite.objects.visible_to(user)
        room = (
            Room.objects.filter(pk=payload.room_id, site__in=sites, active=True)
            .select_related("site")
            .first()
        )
        if room is None:
            raise services.ActivityError("房间不存在或无权使用", "room_id")
    opens, closes = payload.signup_opens_at, payload.signup_closes_at
    activity = services.publish(
        actor=user,
        title=payload.title,
        kind=payload.kind,
        organiser=organiser,
        territory=territory,
        co_organisers=co,
        address=payload.address,
        room=room,
        starts_at=moment(payload.starts_at, "starts_at"),
        ends_at=moment(payload.ends_at, "ends_at"),
        capacity=payload.capacity,
        audience=payload.audience,
        signup_opens_at=moment(opens, "signup_opens_at") if opens else None,
        signup_closes_at=moment(closes, "signup_closes_at") if closes else None,
        description=payload.description,
    )
    return Status(201, _detail(request, activity.pk))


@router.post("/activities/{id}/sign-up", response={201: SignUpOut}, summary="报名（满员则候补）")
def sign_up(request: HttpRequest, id: PathId) -> Any:
    signup = services.sign_up(_get(request, id), _actor(request))
    return Status(201, signup_out(signup))


@router.post("/activities/{id}/cancel-sign-up", response=SignUpOut, summary="取消我的报名")
def cancel_sign_up(request: HttpRequest, id: PathId) -> Any:
    activity = _get(request, id)
    mine = _my_signup(activity, _actor(request))
    if mine is None:
        raise Http404("您没有该活动的有效报名")
    services.cancel(mine, actor=_actor(request))
    mine.refresh_from_db()
    return signup_out(mine)


@router.patch("/activities/{id}/capacity", response=ActivityDetailOut, summary="修改名额")
def set_capacity(request: HttpRequest, id: PathId, payload: ActivityCapacityIn) -> Any:
    services.set_capacity(_get(request, id), capacity=payload.capacity, actor=_actor(request))
    return _detail(request, id)


@router.post(
    "/activities/{id}/cancel", response=ActivityDetailOut, summary="取消活动（释放所订房间）"
)
def cancel_activity(request: HttpRequest, id: PathId, payload: ActivityCancelIn) -> Any:
    services.cancel_activity(_get(request, id), actor=_actor(request), reason=payload.reason)
    return _detail(request, id)


@router.post(
    "/activities/{id}/check-in",
    response=SignUpOut,
    summary="活动签到：本人凭签到码，或工作人员为报名者签到",
)
def check_in(request: HttpRequest, id: PathId, payload: ActivityCheckInIn) -> Any:
    activity = _get(request, id)
    user = _actor(request)
    if payload.user_id is None:
        signup = services.check_in(activity, user, token=payload.token)
    else:
        # Someone not signed up (or no such user) is refused by the service after it has
        # checked the caller's permission: a missing person reveals nothing to a resident.
        who = get_user_model().objects.filter(pk=payload.user_id).first()
        signup = services.check_in(activity, who, by=user)
    return signup_out(signup)
