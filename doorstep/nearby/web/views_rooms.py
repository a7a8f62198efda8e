"""Room booking pages: book on the site page (once or weekly), my bookings (cancel, check in),
the staff queue (approve, decline with a reason). The services do the rules; a refused
request shows its Chinese message with its 4xx status and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Organisation
from doorstep.core.ids import parse_id
from doorstep.nearby.sites import services
from doorstep.nearby.sites.errors import SiteError
from doorstep.nearby.sites.hours import TZ
from doorstep.nearby.sites.models import Booking, BookingStatus, ServiceSite

from .views_sites import booking_organisations, get_site, site_context

MAX_ATTENDEES = 100_000
BOOK_AHEAD_DAYS = 365  # the page books at most a year ahead


def _clean(value: Any, limit: int = 200) -> str:
    return str(value or "").replace("\x00", "").strip()[:limit]


def _parse(post: Any) -> dict[str, Any]:
    """The booking form's fields, or SiteError with a Chinese message."""
    try:
        day = dt.date.fromisoformat(_clean(post.get("date"), 10))
    except ValueError:
        raise SiteError("请选择有效的日期", field="date") from None
    if day > timezone.localdate() + dt.timedelta(days=BOOK_AHEAD_DAYS):
        raise SiteError(f"只能预订{BOOK_AHEAD_DAYS}天以内的时段", field="date")
    times = {}
    for name, label in (("start", "开始时间"), ("end", "结束时间")):
        try:
            times[name] = dt.time.fromisoformat(_clean(post.get(name), 8))
        except ValueError:
            raise SiteError(f"请填写有效的{label}", field=name) from None
    try:
        attendees = int(_clean(post.get("attendees"), 12) or "1")
    except ValueError:
        raise SiteError("人数须为整数", field="attendees") from None
    if attendees < 1:
        raise SiteError("参加人数至少为1人", field="attendees")
    if attendees > MAX_ATTENDEES:
        raise SiteError("参加人数超过房间容量", field="attendees")
    weeks_raw = _clean(post.get("weeks"), 6) or "1"
    try:
        weeks = int(weeks_raw)
    except ValueError:
        raise SiteError("重复周数须为整数", field="weeks") from None
    return {
        "start": dt.datetime.combine(day, times["start"], TZ),
        "end": dt.datetime.combine(day, times["end"], TZ),
        "purpose": _clean(post.get("purpose"), 1000),
        "attendees": attendees,
        "weeks": weeks,
        "skip": post.get("skip") == "on",
    }


def _organisation(request: HttpRequest, value: str) -> Organisation | None:
    """The team or unit the booking is for (one the user belongs to), or None: in person."""
    if not value:
        return None
    org = None
    org_id = parse_id(value)
    if org_id is not None:
        org = booking_organisations(request.user).filter(pk=org_id).first()
    if org is None:
        raise SiteError("请选择您所在的单位，或以个人名义预订", field="organisation")
    return org


@login_required
@require_POST
def book(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_site(request, pk)
    form: dict[str, Any] = {
        k: _clean(request.POST.get(k)) for k in ("room", "date", "start", "end", "purpose")
    }
    form |= {k: _clean(request.POST.get(k), 12) for k in ("attendees", "weeks")}
    form["skip"] = request.POST.get("skip") == "on"
    room = None
    try:
        room_id = int(form["room"])
        room = site.rooms.filter(pk=room_id, active=True).first()
    except ValueError:
        pass
    form["organisation"] = _clean(request.POST.get("organisation"), 12)
    try:
        if room is None:
            raise SiteError("请选择要预订的房间", field="room")
        organisation = _organisation(request, form["organisation"])
        data = _parse(request.POST)
        if data["weeks"] > 1:
            result = services.book_weekly(
                actor=actor_of(request),
                room=room,
                start=data["start"],
                end=data["end"],
                weeks=data["weeks"],
                purpose=data["purpose"],
                attendees=data["attendees"],
                organisation=organisation,
                skip_conflicts=data["skip"],
            )
            text = f"已提交{len(result.bookings)}次预订"
            if result.skipped:
                listed = "、".join(f"{d:%m月%d日}（{why}）" for d, why in result.skipped)
                text += f"；以下日期未能预订：{listed}"
            messages.success(request, text)
        elif data["weeks"] != 1:
            raise SiteError("重复周数须在1到52之间", field="weeks")
        else:
            b = services.book(
                actor=actor_of(request),
                room=room,
                start=data["start"],
                end=data["end"],
                purpose=data["purpose"],
                attendees=data["attendees"],
                organisation=organisation,
            )
            if b.status == BookingStatus.PENDING:
                messages.success(request, "预订已提交，等待工作人员审批")
            else:
                messages.success(request, "预订成功")
    except SiteError as exc:
        context = site_context(request, site, error=exc.message, form=form)
        return render(request, "nearby/site_detail.html", context, status=exc.status)
    return redirect("nearby:bookings_mine")


def _visible_booking(request: HttpRequest, pk: int) -> Booking:
    b = (
        Booking.objects.visible_to(request.user)
        .select_related("room__site", "booker")
        .filter(pk=pk)
        .first()
    )
    if b is None:
        raise Http404("预订不存在或无权查看")
    return b


def _fail(request: HttpRequest, exc: SiteError, back: str) -> HttpResponse:
    return render(
        request,
        "nearby/booking_error.html",
        {"error": exc.message, "back": back},
        status=exc.status,
    )


@login_required
def bookings_mine(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    rows = (
        Booking.objects.visible_to(user)
        .filter(booker=user)
        .select_related("room__site")
        .order_by("-start")
    )
    now = timezone.now()
    return render(
        request,
        "nearby/booking_mine.html",
        {
            "rows": [
                {
                    "b": b,
                    "can_cancel": b.status in ("pending", "approved") and b.end > now,
                    "can_check_in": b.status == "approved"
                    and b.start - services.CHECK_IN_EARLY
                    <= now
                    <= b.start + services.NO_SHOW_AFTER,
                }
                for b in rows[:200]
            ]
        },
    )


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    b = _visible_booking(request, pk)
    try:
        services.cancel(
            actor=actor_of(request), booking=b, reason=_clean(request.POST.get("reason"))
        )
    except SiteError as exc:
        return _fail(request, exc, "nearby:bookings_mine")
    messages.success(request, "预订已取消")
    return redirect("nearby:bookings_mine")


@login_required
@require_POST
def booking_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The booker checks in from 我的预订; staff check arrivals in from the queue page."""
    b = _visible_booking(request, pk)
    back = "nearby:bookings" if request.POST.get("from") == "queue" else "nearby:bookings_mine"
    try:
        services.check_in(actor=actor_of(request), booking=b)
    except SiteError as exc:
        return _fail(request, exc, back)
    messages.success(request, f"签到成功：{b.room} {b.start.astimezone(TZ):%H:%M}")
    return redirect(back)


def _approver(request: HttpRequest) -> None:
    if not request.user.has_perm("sites.approve_booking"):
        raise PermissionDenied("您无权审批房间预订")


def pending_bookings(user: Any) -> Any:
    """Bookings of the rooms the user manages that wait for approval, soonest first."""
    managed = ServiceSite.objects.managed_by(user)
    return (
        Booking.objects.visible_to(user)
        .filter(room__site__in=managed, status=BookingStatus.PENDING, end__gt=timezone.now())
        .order_by("start")
    )


@login_required
def booking_queue(request: HttpRequest) -> HttpResponse:
    _approver(request)
    now = timezone.now()
    pending = pending_bookings(request.user)
    visible = Booking.objects.visible_to(request.user).filter(
        room__site__in=ServiceSite.objects.managed_by(request.user)
    )
    rows = pending.select_related("room__site", "booker")[:200]
    # Arrivals: approved bookings whose check-in window is open now or opens later today.
    day_end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    arrivals = (
        visible.filter(
            status__in=(BookingStatus.APPROVED, BookingStatus.CHECKED_IN),
            start__gte=now - services.NO_SHOW_AFTER,
            start__lte=day_end,
        )
        .select_related("room__site", "booker")
        .order_by("start")[:200]
    )
    return render(
        request,
        "nearby/booking_queue.html",
        {
            "rows": rows,
            "pending_count": pending.count(),
            "arrivals": arrivals,
            "check_in_from": now + services.CHECK_IN_EARLY,
        },
    )


@login_required
@require_POST
def booking_approve(request: HttpRequest, pk: int) -> HttpResponse:
    b = _visible_booking(request, pk)
    try:
        services.approve(actor=actor_of(request), booking=b)
    except SiteError as exc:
        return _fail(request, exc, "nearby:bookings")
    messages.success(request, f"已通过：{b.room} {b.start.astimezone(TZ):%m-%d %H:%M}")
    return redirect("nearby:bookings")


@login_required
@require_POST
def booking_decline(request: HttpRequest, pk: int) -> HttpResponse:
    b = _visible_booking(request, pk)
    try:
        services.decline(
            actor=actor_of(request), booking=b, reason=_clean(request.POST.get("reason"), 1000)
        )
    except SiteError as exc:
        return _fail(request, exc, "nearby:bookings")
    messages.success(request, f"已退回：{b.room} {b.start.astimezone(TZ):%m-%d %H:%M}")
    return redirect("nearby:bookings")
