"""Staff oversight pages: changing a verified record (proposed by one, applied when a
second staff member agrees; the old values stay), and household-link coverage per grid
and building (党员联户 visits in a period)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import ADMIN_KINDS, Organisation
from doorstep.service import records, visits
from doorstep.service.errors import ServiceError
from doorstep.service.models import RecordEdit

from .views_records import _reviewer, _scoped_records


@login_required
def edits(request: HttpRequest, status: int = 200) -> HttpResponse:
    """Verified records of the area (recent) with a change form, and changes to agree to."""
    _reviewer(request)
    scoped = _scoped_records(request)
    proposed = (
        RecordEdit.objects.filter(status="proposed", record__in=scoped)
        .select_related("record__user", "proposed_by")
        .order_by("proposed_at")
    )
    verified = scoped.filter(status="verified").select_related("user").order_by("-started_at")
    return render(
        request,
        "service/edits.html",
        {"proposed": proposed, "verified": verified[:50], "me": request.user},
        status=status,
    )


def _fail(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    messages.error(request, exc.message)
    return edits(request, status=exc.status)


@login_required
@require_POST
def edit_propose(request: HttpRequest, pk: int) -> HttpResponse:
    _reviewer(request)
    record = _scoped_records(request).filter(pk=pk).first()
    if record is None:
        raise Http404("服务记录不存在或无权修改")
    raw = str(request.POST.get("hours") or "")[:10]
    try:
        hours = Decimal(raw)
    except InvalidOperation:
        return _fail(request, ServiceError("时长须为数字", "hours"))
    if not hours.is_finite() or not Decimal("0") < hours <= Decimal("24"):
        return _fail(request, ServiceError("时长应在0到12小时之间", "hours"))
    try:
        records.propose_edit(
            record,
            actor=actor_of(request),
            hours=hours.quantize(Decimal("0.01")),
            description=str(request.POST.get("description") or "")[:500],
            reason=str(request.POST.get("reason") or "")[:300],
        )
    except ServiceError as exc:
        return _fail(request, exc)
    messages.success(request, "修改已提交，需另一名工作人员复核后生效")
    return redirect("serve:edits")


@login_required
@require_POST
def edit_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _reviewer(request)
    edit = RecordEdit.objects.filter(pk=pk, record__in=_scoped_records(request)).first()
    if edit is None:
        raise Http404("修改不存在或无权复核")
    agree = request.POST.get("agree") == "1"
    try:
        records.decide_edit(edit, actor=actor_of(request), agree=agree)
    except ServiceError as exc:
        return _fail(request, exc)
    messages.success(request, "修改已生效" if agree else "已驳回修改")
    return redirect("serve:edits")


def _day(raw: Any, default: dt.date) -> dt.date:
    text = str(raw or "")[:10]
    if not text:
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ServiceError("日期格式应为 年-月-日") from None


def may_view_coverage(user: Any) -> bool:
    """Staff over records, or over households (grid workers, who visit them): the page
    shows counts per grid and building, no person."""
    return user.has_perm("service.view_servicerecord") or user.has_perm("places.view_household")


@login_required
def link_coverage(request: HttpRequest) -> HttpResponse:
    """Linked households visited in a period, per grid and per building, for staff."""
    user: Any = request.user
    if not may_view_coverage(user):
        raise PermissionDenied("没有查看联户走访的权限")
    areas = list(
        Organisation.objects.visible_to(user).filter(kind__in=ADMIN_KINDS).order_by("path")
    )
    if not areas:
        raise PermissionDenied("没有可查看的辖区")
    raw = str(request.GET.get("org") or "")
    org = next((a for a in areas if str(a.pk) == raw), None) if raw else areas[0]
    if org is None:
        raise Http404("组织不存在或不在辖区内")
    today = timezone.localdate()
    try:
        since = _day(request.GET.get("since"), today - dt.timedelta(days=30))
        until = _day(request.GET.get("until"), today)
        if since > until:
            raise ServiceError("起始日期不能晚于截止日期")
    except ServiceError as exc:
        return render(
            request,
            "service/link_coverage.html",
            {"error": exc.message, "areas": areas},
            status=400,
        )
    context = {
        "areas": areas,
        "org": org,
        "since": since,
        "until": until,
        "total": visits.coverage(org.path, since=since, until=until),
        "grids": visits.coverage_by(org.path, since=since, until=until, by="grid"),
        "buildings": visits.coverage_by(org.path, since=since, until=until, by="building"),
    }
    return render(request, "service/link_coverage.html", context)
