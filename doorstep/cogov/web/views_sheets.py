"""The lists as Excel: export (what the page lists, audited), the import template, import."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from doorstep.accounts.typing import actor_of
from doorstep.cogov import sheets
from doorstep.cogov.models import Field, Resource, ResourceStatus
from doorstep.core import xlsx
from doorstep.core.errors import DomainError

from .views_lists import STATUS_FILTERS, may_view_lists, visible_needs

LISTS = {"needs": "需求清单", "resources": "资源清单"}


@login_required
def export_needs(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not may_view_lists(user):
        raise PermissionDenied("没有查看需求清单的权限")
    state = request.GET.get("status", "open")
    qs = visible_needs(user).select_related("node__parent")
    qs = qs.filter(STATUS_FILTERS.get(state, STATUS_FILTERS["open"])[1])
    if request.GET.get("field") in Field.values:
        qs = qs.filter(field=request.GET["field"])
    rows = (sheets.need_values(n) for n in qs.order_by("path", "id"))
    return xlsx.export(
        actor=user,
        what="cogov:needs",
        title="需求清单",
        header=sheets.headers("needs"),
        rows=rows,
        name="需求清单",
    )


@login_required
def export_resources(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not may_view_lists(user):
        raise PermissionDenied("没有查看资源清单的权限")
    qs = Resource.objects.visible_to(user).select_related("provider")
    state = request.GET.get("status", "active")
    if state in ResourceStatus.values:
        qs = qs.filter(status=state)
    rows = (sheets.resource_values(r) for r in qs.order_by("provider__name", "id"))
    return xlsx.export(
        actor=user,
        what="cogov:resources",
        title="资源清单",
        header=sheets.headers("resources"),
        rows=rows,
        name="资源清单",
    )


def _which(which: str, user: object) -> str:
    if which not in LISTS:
        raise Http404("没有这个清单")
    perm = "cogov.add_need" if which == "needs" else "cogov.add_resource"
    if not user.has_perm(perm):  # type: ignore[attr-defined]
        raise PermissionDenied(f"没有导入{LISTS[which]}的权限")
    return which


@login_required
def template(request: HttpRequest, which: str) -> HttpResponse:
    _which(which, request.user)
    return xlsx.download(sheets.template(which), f"{LISTS[which]}导入模板")


@login_required
def import_list(request: HttpRequest, which: str) -> HttpResponse:
    _which(which, request.user)
    outcome, error, status = None, "", 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, status = "请选择要导入的文件", 400
        else:
            try:
                outcome = sheets.import_list(
                    which=which, actor=actor_of(request), upload=upload, file_name=upload.name or ""
                )
            except DomainError as exc:
                error, status = exc.message, exc.status
            else:
                status = 400 if outcome.errors else 200
    return render(
        request,
        "cogov/import.html",
        {"which": which, "title": LISTS[which], "outcome": outcome, "error": error},
        status=status,
    )
