"""Activity pages: the calendar, an activity with sign-up / cancel / check-in, publishing."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.core import links
from doorstep.core.ids import parse_id
from doorstep.nearby.activities import choosing, services
from doorstep.nearby.activities.models import Activity, ActivityKind, SignUp, SignUpStatus
from doorstep.nearby.sites.models import Booking, BookingStatus, Room, ServiceSite

from .forms import ActivityForm, CallOffForm, CapacityForm

WEEKDAYS = "一二三四五六日"


def _visible(request: HttpRequest) -> Any:
    return Activity.objects.visible_to(request.user).select_related("territory", "organiser")


def _my_signup(activity: Activity, request: HttpRequest) -> Any:
    user: Any = request.user
    return activity.signups.filter(user=user, status__in=["confirmed", "waiting"])


def _get(request: HttpRequest, pk: int) -> Activity:
    activity = _visible(request).filter(pk=pk).first()
    if activity is None:
        raise Http404("活动不存在或无权查看")
    return activity


def _month(value: str | None) -> dt.date:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in (value or "").split("-", 1))
        return dt.date(year, month, 1) if 2000 <= year <= 2100 and 1 <= month <= 12 else today
    except ValueError:
        return today.replace(day=1)


def _room_bookings(request: HttpRequest, start: dt.datetime, end: dt.datetime) -> Any:
    """Approved room bookings in the month: a resident's own; staff those of their area.
    Rooms taken by an activity show as the activity itself."""
    user: Any = request.user
    qs = Booking.objects.visible_to(user)
    if not (user.has_perm("sites.view_booking") or user.has_perm("sites.approve_booking")):
        # The three admins hold the whole tree for other duties: only their own bookings.
        qs = qs.filter(booker=user)
    return (
        qs.filter(
            status__in=(BookingStatus.APPROVED, BookingStatus.CHECKED_IN),
            start__gte=start,
            start__lt=end,
            activity__isnull=True,
        )
        .select_related("room__site")
        .order_by("start")[:500]
    )


def _held(request: HttpRequest, start: dt.datetime, end: dt.datetime) -> list[Any]:
    """For staff: 场次 and 人次 of the month in each area they look after."""
    user: Any = request.user
    if not user.has_perm("activities.change_activity"):
        return []
    roots = choosing.territories(user).filter(kind__in=["district", "street", "community"])
    shown: list[tuple[Any, dict[str, int]]] = []
    for org in roots[:20]:
        if any(org.path.startswith(o.path) for o, _ in shown):
            continue  # a community inside a street already shown
        shown.append((org, services.attendance(org, start=start, end=end)))
    return shown[:4]


@login_required
def activity_calendar(request: HttpRequest) -> HttpResponse:
    first = _month(request.GET.get("month")).replace(day=1)
    last_day = calendar.monthrange(first.year, first.month)[1]
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time(), tz)
    end = start + dt.timedelta(days=last_day)
    kind = request.GET.get("kind") or ""
    qs = _visible(request).filter(starts_at__gte=start, starts_at__lt=end)
    if kind in ActivityKind.values:
        qs = qs.filter(kind=kind)
    by_day: dict[int, list[Activity]] = {}
    for a in qs.order_by("starts_at"):
        by_day.setdefault(timezone.localtime(a.starts_at).day, []).append(a)
    rooms_by_day: dict[int, list[Booking]] = {}
    for b in _room_bookings(request, start, end):
        rooms_by_day.setdefault(timezone.localtime(b.start).day, []).append(b)
    weeks = [
        [
            (d, by_day.get(d, []), rooms_by_day.get(d, []), f"{first.month}月{d}日 周{WEEKDAYS[i]}")
            if d
            else (None, [], [], "")
            for i, d in enumerate(week)
        ]
        for week in calendar.Calendar(firstweekday=0).monthdayscalendar(first.year, first.month)
    ]
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = first + dt.timedelta(days=last_day)
    upcoming = _visible(request).filter(ends_at__gte=timezone.now()).order_by("starts_at")[:20]
    return render(
        request,
        "nearby/activity_calendar.html",
        {
            "month": first,
            "weeks": weeks,
            "prev": prev_month,
            "next": next_month,
            "kinds": ActivityKind.choices,
            "kind": kind,
            "upcoming": upcoming,
            "quiet_month": not by_day and not rooms_by_day,
            "held": _held(request, start, end),
            "may_publish": request.user.has_perm("activities.add_activity"),
        },
    )


def _staff_of(request: HttpRequest, activity: Activity) -> bool:
    return services.may_run(request.user, activity) and request.user.has_perm(
        "activities.check_in_activity"
    )


@login_required
def activity_detail(request: HttpRequest, pk: int, **extra: Any) -> HttpResponse:
    activity = _get(request, pk)
    mine = _my_signup(activity, request).first()
    ahead = None
    if mine is not None and mine.status == SignUpStatus.WAITING:
        ahead = activity.signups.filter(status="waiting", pk__lt=mine.pk).count()
    staff = _staff_of(request, activity)
    context: dict[str, Any] = {
        "activity": activity,
        "mine": mine,
        "ahead": ahead,
        "confirmed": services.confirmed_count(activity),
        "waiting": activity.signups.filter(status="waiting").count(),
        "staff": staff,
        "now": timezone.now(),
        "co_organisers": list(activity.co_organisers.all()),
    }
    if services.may_run(request.user, activity):
        context["capacity_form"] = extra.pop("capacity_form", None) or CapacityForm(
            initial={"capacity": activity.capacity}
        )
        context["call_off_form"] = extra.pop("call_off_form", None) or CallOffForm()
        context["may_run"] = True
    if staff:
        context["signups"] = activity.signups.select_related("user").exclude(status="cancelled")
        context["qr"] = mark_safe(services.checkin_qr_svg(activity, links.site_url()))  # noqa: S308 - segno's own SVG
        context["attendance"] = activity.signups.filter(checked_in_at__isnull=False).count()
    return render(request, "nearby/activity_detail.html", context)


def _fail(
    request: HttpRequest, activity: Activity, exc: services.ActivityError, **forms: Any
) -> HttpResponse:
    messages.error(request, exc.message)
    response = activity_detail(request, activity.pk, **forms)
    response.status_code = exc.status
    return response


@login_required
@require_POST
def activity_capacity(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff (or the organising unit) change the number of places."""
    activity = _get(request, pk)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        error = services.ActivityError("名额须为1到100000之间的整数", "capacity")
        return _fail(request, activity, error, capacity_form=form)
    try:
        services.set_capacity(
            activity, capacity=form.cleaned_data["capacity"], actor=actor_of(request)
        )
    except services.ActivityError as exc:
        return _fail(request, activity, exc, capacity_form=form)
    messages.success(request, f"名额已改为 {form.cleaned_data['capacity']} 人")
    return redirect("nearby:activity", pk=activity.pk)


@login_required
@require_POST
def activity_call_off(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the whole activity (with a reason every sign-up is told); its room is freed."""
    activity = _get(request, pk)
    form = CallOffForm(request.POST)
    if not form.is_valid():
        error = services.ActivityError("请填写取消原因（不超过200字）", "reason")
        return _fail(request, activity, error, call_off_form=form)
    try:
        services.cancel_activity(
            activity, actor=actor_of(request), reason=form.cleaned_data["reason"]
        )
    except services.ActivityError as exc:
        return _fail(request, activity, exc, call_off_form=form)
    messages.success(request, "活动已取消，已通知报名居民")
    return redirect("nearby:activity", pk=activity.pk)


@login_required
@require_POST
def activity_signup(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get(request, pk)
    try:
        signup = services.sign_up(activity, actor_of(request))
    except services.ActivityError as exc:
        return _fail(request, activity, exc)
    if signup.status == SignUpStatus.WAITING:
        messages.info(request, "名额已满，您已进入候补，有人取消时按顺序自动转正")
    else:
        messages.success(request, "报名成功")
    return redirect("nearby:activity", pk=activity.pk)


@login_required
@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get(request, pk)
    signup_id = request.POST.get("signup") or ""
    signup = (
        SignUp.objects.filter(activity=activity, pk=parse_id(signup_id) or 0).first()
        if signup_id
        else _my_signup(activity, request).first()
    )
    if signup is None:
        raise Http404("报名记录不存在")
    try:
        services.cancel(signup, actor=actor_of(request))
    except services.ActivityError as exc:
        return _fail(request, activity, exc)
    messages.success(request, "已取消报名")
    return redirect("nearby:activity", pk=activity.pk)


@login_required
def activity_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Scanning the QR code lands here; a staff member may also check someone in (POST)."""
    activity = _get(request, pk)
    if request.method == "POST":
        user_id = request.POST.get("user") or ""
        if parse_id(user_id) is None:
            raise Http404("报名记录不存在")
        who = activity.signups.filter(user_id=int(user_id)).select_related("user").first()
        if who is None:
            raise Http404("报名记录不存在")
        try:
            services.check_in(activity, who.user, by=actor_of(request))
        except services.ActivityError as exc:
            return _fail(request, activity, exc)
        messages.success(request, f"{who.user} 已签到")
        return redirect("nearby:activity", pk=activity.pk)
    token = request.GET.get("t") or ""
    try:
        services.check_in(activity, actor_of(request), token=token[:64])
    except services.ActivityError as exc:
        return _fail(request, activity, exc)
    messages.success(request, "签到成功，欢迎参加！")
    return redirect("nearby:activity", pk=activity.pk)


@login_required
def activity_new(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("activities.add_activity"):
        raise PermissionDenied("没有发布活动的权限")
    user = request.user
    sites = ServiceSite.objects.visible_to(user).filter(active=True)
    rooms = Room.objects.filter(site__in=sites, active=True).select_related("site")
    form = ActivityForm(
        request.POST or None,
        organisations=choosing.territories(user),
        rooms=rooms,
        organisers=choosing.organisers(user),
        partners=choosing.partners(user),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = services.publish(
                    actor=actor_of(request),
                    title=data["title"],
                    kind=data["kind"],
                    organiser=data.get("organiser") or data["territory"],
                    co_organisers=list(data.get("co_organisers") or []),
                    territory=data["territory"],
                    address=data["address"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    capacity=data["capacity"],
                    signup_opens_at=data.get("signup_opens_at"),
                    signup_closes_at=data.get("signup_closes_at"),
                    description=data.get("description") or "",
                    audience=data["audience"],
                    room=data.get("room"),
                )
            except services.ActivityError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, "活动已发布")
                return redirect("nearby:activity", pk=activity.pk)
        else:
            status = 400
    return render(request, "nearby/activity_new.html", {"form": form}, status=status)
