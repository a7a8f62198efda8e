"""双报到 on pages: a member asks to report to their community; its staff confirm or
decline with a reason (service/dual_report.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core.ids import parse_id
from doorstep.service import dual_report
from doorstep.service.errors import ServiceError
from doorstep.service.models import DualReport, DualStatus

COMMUNITIES = "the communities a party member may report to (双报到): names only"


def _communities() -> list[Organisation]:
    return list(
        Organisation.objects.outside_door(COMMUNITIES)
        .filter(kind=Kind.COMMUNITY)
        .select_related("parent")
        .order_by("path")
    )


@login_required
def dual_report_mine(request: HttpRequest) -> HttpResponse:
    """The member's own page: where they have reported, their requests, and the form."""
    user = actor_of(request)
    member = dual_report.member_of(user)
    if member is None:
        raise PermissionDenied("您的账号没有关联党员信息，请联系社区登记")
    error, status = "", 200
    if request.method == "POST":
        pk = parse_id(str(request.POST.get("community") or ""))
        community = next((c for c in _communities() if c.pk == pk), None)
        try:
            dual_report.request(
                user,
                community,
                work_unit=request.POST.get("work_unit", ""),
                unit_party_org=request.POST.get("unit_party_org", ""),
                skills=request.POST.get("skills", ""),
            )
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, "报到申请已提交，请等待社区确认")
            return redirect("serve:dual_report")
    reports = DualReport.objects.visible_to(user).filter(member=member).select_related("community")
    home = member.resident.grid.parent if member.resident.grid_id else None
    return render(
        request,
        "service/dual_report.html",
        {
            "member": member,
            "reports": reports[:20],
            "pending": reports.filter(status=DualStatus.PENDING).exists(),
            "communities": _communities(),
            "home_id": home.pk if home is not None else None,
            "error": error,
            "form": request.POST if status != 200 else {},
        },
        status=status,
    )


def pending_reports(user: Any) -> Any:
    """双报到 waiting for the user's confirmation, oldest first."""
    return (
        DualReport.objects.visible_to(user, "change")
        .filter(status=DualStatus.PENDING)
        .select_related("member__resident", "community")
        .order_by("requested_at", "id")
    )


@login_required
def dual_reports(request: HttpRequest) -> HttpResponse:
    """Staff: the requests to confirm."""
    if not request.user.has_perm("people.change_partymember"):
        raise PermissionDenied("没有确认双报到的权限")
    page = Paginator(pending_reports(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "service/dual_reports.html", {"page": page})


@login_required
@require_POST
def dual_decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("people.change_partymember"):
        raise PermissionDenied("没有确认双报到的权限")
    report = pending_reports(request.user).filter(pk=pk).first()
    if report is None:
        raise Http404("该申请不存在或已处理")
    confirm = request.POST.get("decision") == "confirm"
    try:
        dual_report.decide(
            report, actor=actor_of(request), confirm=confirm, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("serve:dual_reports")
    name = report.member.resident.name
    messages.success(request, f"已确认{name}报到" if confirm else f"已退回{name}的报到申请")
    return redirect("serve:dual_reports")
