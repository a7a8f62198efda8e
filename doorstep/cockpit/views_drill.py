"""The list behind a cockpit figure (钻取), a page at a time, and the same list as Excel.

Parse → the node in scope (else 404) → the list as the viewer may see it → render. A list
filtered by a vulnerable group names sensitive people: every page of it is audited (the
filter and the count, never a name), and every export is audited by `xlsx.export`.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from doorstep.core import audit, xlsx
from doorstep.core.models import AuditAction

from . import access, drill


def _bad(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "cockpit/error.html", {"error": message}, status=status)


@login_required
def drill_list(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    if what not in drill.LISTS:
        raise Http404("没有这份名单")
    org = access.node(request.user, pk)
    spec = drill.LISTS[what]
    if not request.user.has_perm(spec.view_perm):
        return _bad(request, f"您的角色不能查看{spec.title}名单", 403)
    try:
        filters = drill.parse(what, request.GET)
    except drill.BadFilter as exc:
        return _bad(request, str(exc), 400)
    item = drill.listing(org, request.user, what, filters, timezone.localdate())
    page = Paginator(item.rows, drill.PAGE_SIZE).get_page(request.GET.get("page"))
    total = page.paginator.count
    if filters.tag is not None:
        audit.record(
            actor=request.user,
            action=AuditAction.VIEW,
            target=org,
            detail={
                "what": "cockpit:list",
                "list": what,
                "filter": filters.values,
                "rows": total,
                "page": page.number,
                "masked": True,
            },
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "org": org,
        "item": item,
        "page": page,
        "heading": item.heading(total),
        "rows": [(item.url(o), list(zip(item.header, item.cells(o), strict=True))) for o in page],
        "query": query.urlencode(),
        "may_export": all(request.user.has_perm(p) for p in spec.export_perms),
        "masked_numbers": what == "residents",
    }
    return render(request, "cockpit/drill.html", context)


@login_required
def drill_export(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    if what not in drill.LISTS:
        raise Http404("没有这份名单")
    org = access.node(request.user, pk)
    spec = drill.LISTS[what]
    if not all(request.user.has_perm(p) for p in spec.export_perms):
        return HttpResponse(
            f"您的角色不能导出{spec.title}名单",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    try:
        filters = drill.parse(what, request.GET)
    except drill.BadFilter as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    item = drill.listing(org, request.user, what, filters, timezone.localdate())
    header, rows = drill.table(item)
    return xlsx.export(
        actor=request.user,
        what=f"cockpit:list:{what}",
        title=f"{org.name} · {item.label}（{timezone.localdate():%Y-%m-%d}）",
        header=header,
        rows=rows,  # core.xlsx keeps "=…" as text
        name=f"{org.name}-{item.label.replace(' · ', '-')}",
        target=org,
        detail={"filter": filters.values, "masked": True},
    )
