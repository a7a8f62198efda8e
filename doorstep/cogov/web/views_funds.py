"""共治基金 pages: the funds, a fund's lines with what waits for a second person, posting,
reversing, deciding, and the statement of a period as Excel (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts import approvals
from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Organisation
from doorstep.cogov import funds
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import Fund, FundLine, LineKind, Project
from doorstep.core import xlsx
from doorstep.core.errors import DomainError
from doorstep.core.ids import parse_id

from .files import private_file


def _fund(request: HttpRequest, pk: int) -> Fund:
    found = Fund.objects.visible_to(request.user).select_related("owner").filter(pk=pk).first()
    if found is None:
        raise Http404("基金不存在或无权查看")
    return found


@login_required
def fund_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("cogov.view_fund"):
        raise PermissionDenied("没有查看共治基金的权限")
    owners = (
        Organisation.objects.visible_to(user)
        .filter(kind__in=("street", "community"))
        .order_by("path")
        if user.has_perm("cogov.add_fund")
        else Organisation.objects.visible_to(user).none()
    )
    return render(
        request,
        "cogov/funds.html",
        {"funds": Fund.objects.visible_to(user).select_related("owner"), "owners": owners},
    )


@login_required
@require_POST
def fund_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    owner = (
        Organisation.objects.visible_to(user)
        .filter(pk=parse_id(request.POST.get("owner")) or 0)
        .first()
    )
    if owner is None:
        messages.error(request, "请选择设立基金的单位")
        return redirect("cogov:funds")
    try:
        fund = funds.create_fund(
            actor=user,
            owner=owner,
            name=request.POST.get("name"),
            threshold=request.POST.get("threshold"),
        )
    except CogovError as exc:
        messages.error(request, exc.message)
        return redirect("cogov:funds")
    messages.success(request, f"已设立：{fund.name}")
    return redirect("cogov:fund", pk=fund.pk)


def _projects(fund: Fund) -> Any:
    return (
        Project.objects.outside_door("projects a fund may pay for: titles, for its keepers")
        .filter(path__startswith=fund.path, status__in=funds.FUNDED_STAGES)
        .order_by("-id")
    )


@login_required
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fund = _fund(request, pk)
    user = actor_of(request)
    lines = fund.lines.select_related("project", "posted_by", "approved_by", "reverses").order_by(
        "-seq"
    )
    page = Paginator(lines, 50).get_page(request.GET.get("page"))
    waiting = [
        (a, approvals.may_decide(user, a))
        for a in funds.pending(fund).select_related("requested_by")
    ]
    today = timezone.localdate()
    return render(
        request,
        "cogov/fund.html",
        {
            "fund": fund,
            "page": page,
            "waiting": waiting,
            "keeper": funds.may_keep(user, fund),
            "kinds": [(c, lbl) for c, lbl in LineKind.choices if c != LineKind.REVERSAL],
            "projects": _projects(fund),
            "reversed": set(
                FundLine.objects.filter(fund=fund, reverses__isnull=False).values_list(
                    "reverses_id", flat=True
                )
            ),
            "month_start": today.replace(day=1),
            "today": today,
        },
    )


@login_required
@require_POST
def fund_post(request: HttpRequest, pk: int) -> HttpResponse:
    fund = _fund(request, pk)
    project = None
    if pid := parse_id(request.POST.get("project")):
        project = _projects(fund).filter(pk=pid).first()
    try:
        outcome = funds.submit(
            actor=actor_of(request),
            fund=fund,
            kind=request.POST.get("kind"),
            amount=request.POST.get("amount"),
            memo=request.POST.get("memo"),
            project=project,
            counterpart=request.POST.get("counterpart"),
            receipt=request.FILES.get("receipt"),
        )
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        if isinstance(outcome, FundLine):
            messages.success(request, f"已记账：第{outcome.seq}笔，余额{outcome.balance_after}元")
        else:
            messages.success(
                request, f"金额超过{fund.threshold}元，已提交复核，另一位复核人批准后入账"
            )
    return redirect("cogov:fund", pk=fund.pk)


@login_required
@require_POST
def fund_reverse(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    fund = _fund(request, pk)
    line = fund.lines.filter(pk=line_id).first()
    if line is None:
        raise Http404("没有这一笔")
    try:
        funds.reverse(actor=actor_of(request), line=line, memo=request.POST.get("memo"))
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"第{line.seq}笔已冲正（或已提交复核）")
    return redirect("cogov:fund", pk=fund.pk)


@login_required
@require_POST
def fund_decide(request: HttpRequest, pk: int, approval_id: int) -> HttpResponse:
    fund = _fund(request, pk)
    approval = funds.pending(fund).filter(pk=approval_id).first()
    if approval is None:
        raise Http404("该申请不存在或已处理")
    approve = request.POST.get("decision") == "approve"
    try:
        approvals.decide(
            approval=approval,
            actor=actor_of(request),
            approve=approve,
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已批准并入账" if approve else "已驳回")
    return redirect("cogov:fund", pk=fund.pk)


def _date(raw: Any, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(raw)) if raw else default
    except ValueError:
        raise CogovError("日期格式应为 2026-05-01") from None


@login_required
def fund_statement(request: HttpRequest, pk: int) -> HttpResponse:
    fund = _fund(request, pk)
    today = timezone.localdate()
    try:
        start = _date(request.GET.get("start"), today.replace(day=1))
        end = _date(request.GET.get("end"), today)
        s = funds.statement(fund, start, end)
    except CogovError as exc:
        messages.error(request, exc.message)
        return redirect("cogov:fund", pk=fund.pk)
    rows: list[list[Any]] = [["", "期初余额", "", "", "", "", str(s.opening), "", ""]]
    for line in s.lines:
        rows.append([
            line.seq, timezone.localtime(line.posted_at).strftime("%Y-%m-%d %H:%M"),
            line.get_kind_display() + (f"（冲正第{line.reverses.seq}笔）" if line.reverses else ""),
            line.project.title if line.project else "", line.counterpart, line.memo,
            str(line.balance_after), str(line.amount),
            " / ".join(str(u) for u in (line.posted_by, line.approved_by) if u),
        ])  # fmt: skip
    rows.append(["", "期末余额", "", "", "", "", str(s.closing), "", ""])
    for code, label in LineKind.choices:
        rows.append(["", f"本期{label}合计", "", "", "", "", "", str(s.totals[code]), ""])
    return xlsx.export(
        actor=actor_of(request),
        what="cogov:fund_statement",
        title=f"{fund.name}收支明细（{start:%Y-%m-%d}至{end:%Y-%m-%d}）",
        header=[
            "序号",
            "时间",
            "类别",
            "项目",
            "对方单位",
            "摘要",
            "余额（元）",
            "金额（元）",
            "经办 / 复核",
        ],
        rows=rows,
        name=f"{fund.name}收支明细",
        target=fund,
    )


@login_required
def fund_receipt(request: HttpRequest, pk: int, line_id: int) -> FileResponse:
    """A line's receipt, only to those who see the fund (MEDIA is not public)."""
    fund = _fund(request, pk)
    line = fund.lines.filter(pk=line_id).exclude(receipt="").first()
    if line is None:
        raise Http404("票据不存在")
    return private_file(line.receipt, "票据不存在")
