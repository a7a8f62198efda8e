"""Service certificate pages: my certificates and the request form, the .docx and PDF
downloads (each one audited), and the public check by number (rate-limited per address)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from doorstep.accounts.typing import actor_of
from doorstep.core.ids import parse_id
from doorstep.core.middleware import ip_of
from doorstep.service import certificates
from doorstep.service.errors import ServiceError
from doorstep.service.models import Certificate

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
VERIFY_PER_MINUTE = 30
_clock = time.time  # tests may replace it to stay inside one window


def _parse_date(raw: str, label: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ServiceError(f"请填写有效的{label}（如 2026-01-01）", field) from None


def _issue_from(request: HttpRequest, issuers: Any) -> Certificate:
    raw_org = request.POST.get("organisation", "")
    org_id = parse_id(raw_org)
    org = issuers.filter(pk=org_id).first() if org_id else None
    if org is None:
        raise ServiceError("请选择出具证明的组织", "organisation")
    start = _parse_date(request.POST.get("period_start", ""), "起始日期", "period_start")
    end = _parse_date(request.POST.get("period_end", ""), "截止日期", "period_end")
    user = actor_of(request)
    return certificates.issue(
        user, organisation=org, period_start=start, period_end=end, actor=user
    )


@login_required
@require_http_methods(["GET", "POST"])
def certificate_list(request: HttpRequest) -> HttpResponse:
    """我的志愿服务证明, and the form to request one."""
    user: Any = request.user
    issuers = certificates.issuers_for(user)
    context: dict[str, Any] = {"issuers": issuers, "form": request.POST or {}}
    status = 200
    if request.method == "POST":
        try:
            cert = _issue_from(request, issuers)
        except ServiceError as e:
            context["error"] = e.message
            status = e.status
        else:
            messages.success(request, f"证明已出具，编号 {cert.number}")
            return redirect("serve:certificates")
    context["certificates"] = (
        Certificate.objects.visible_to(user).filter(user=user).select_related("organisation")
    )
    return render(request, "service/certificate_list.html", context, status=status)


def _download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    cert = (
        Certificate.objects.visible_to(request.user)
        .select_related("organisation")
        .filter(pk=pk)
        .first()
    )
    if cert is None:
        raise Http404
    if fmt == "pdf":
        body = certificates.render_pdf(cert)
        if body is None:
            raise Http404
        content_type = "application/pdf"
    else:
        body = certificates.render_docx(cert)
        content_type = DOCX
    certificates.export_audit(cert, actor=actor_of(request), fmt=fmt)
    response = HttpResponse(body, content_type=content_type)
    name = f"志愿服务证明-{cert.name}-{cert.number}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


@login_required
@require_GET
def certificate_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "docx")


@login_required
@require_GET
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "pdf")


def _take(request: HttpRequest) -> bool:
    """Count one lookup against the address's one-minute window; False once over."""
    window = int(_clock()) // 60
    name = f"certificates:verify:{ip_of(request)}:{window}"
    cache.add(name, 0, timeout=120)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=120)
        count = 1
    return count <= VERIFY_PER_MINUTE


@require_GET
def certificate_verify(request: HttpRequest) -> HttpResponse:
    """Public: anyone with a number sees what the certificate says (name masked)."""
    raw = request.GET.get("n")
    context: dict[str, Any] = {"asked": raw is not None}
    if raw is None:
        return render(request, "service/certificate_verify.html", context)
    if not _take(request):
        context["error"] = f"查询过于频繁：每分钟最多 {VERIFY_PER_MINUTE} 次，请稍后再试"
        return render(request, "service/certificate_verify.html", context, status=429)
    try:
        cert = certificates.verify(raw)
    except ServiceError as e:
        context["error"] = e.message
        return render(request, "service/certificate_verify.html", context, status=400)
    context["n"] = raw.strip()
    context["cert"] = cert
    if cert is not None:
        context["masked_name"] = certificates.public_name(cert.name)
    return render(request, "service/certificate_verify.html", context)
