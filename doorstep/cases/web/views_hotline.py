"""The 12345 hotline import page: upload an export, see what was imported and which rows
were refused (by row number)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from doorstep.atlas.places.models import Building
from doorstep.cases import hotline_queue
from doorstep.cases.errors import CaseError
from doorstep.cases.hotline import fallback_for, import_hotline
from doorstep.cases.models import Category, HotlineLabel, HotlineOrder
from doorstep.core.ids import parse_id

from .views_common import require_any

ALLOWED_SUFFIXES = (".xlsx", ".csv")


@login_required
def hotline_import(request: HttpRequest) -> HttpResponse:
    require_any(request.user, "cases.import_hotline")
    context: dict[str, object] = {"result": None, "error": ""}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        name = (upload.name or "") if upload is not None else ""
        if upload is None:
            context["error"], status = "请选择要导入的12345工单文件（xlsx 或 csv）", 400
        elif not name.lower().endswith(ALLOWED_SUFFIXES):
            context["error"], status = "只支持 xlsx 或 csv 文件", 400
        elif (upload.size or 0) > settings.IMPORT_MAX_BYTES:
            limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
            context["error"], status = f"文件过大（不超过{limit}MB）", 400
        else:
            try:
                context["result"] = import_hotline(
                    upload, name, actor=request.user, fallback=fallback_for(request.user)
                )
            except CaseError as exc:
                context["error"], status = exc.message, exc.status
    return render(request, "cases/hotline.html", context, status=status)


# ---------------------------------------------------------------- the queue


def waiting_orders(user: Any, which: str = "") -> Any:
    """The orders waiting in the user's queue (待分类, 待定位 or both), oldest call first."""
    qs = HotlineOrder.objects.visible_to(user).filter(status=HotlineOrder.Status.WAITING)
    if which == "classify":
        qs = qs.filter(category__isnull=True)
    elif which == "locate":
        qs = qs.filter(territory__isnull=True)
    return qs.select_related("category", "building", "organisation").order_by("called_at", "id")


@login_required
def hotline_waiting(request: HttpRequest) -> HttpResponse:
    require_any(request.user, "cases.import_hotline")
    which = request.GET.get("which") or ""
    which = which if which in ("classify", "locate") else ""
    return render_waiting(request, which)


def render_waiting(
    request: HttpRequest, which: str, error: str = "", status: int = 200
) -> HttpResponse:
    orders = waiting_orders(request.user, which)
    page = Paginator(orders, 20).get_page(request.GET.get("page"))
    labels: dict[str, int] = {}
    for label in waiting_orders(request.user, "classify").values_list("label", flat=True):
        key = HotlineLabel.key(label)
        labels[key] = labels.get(key, 0) + 1
    for order in page.object_list:
        order.same_label = labels.get(HotlineLabel.key(order.label), 0)  # type: ignore[attr-defined]
    places = _buildings(request.user)
    return render(
        request,
        "cases/hotline_waiting.html",
        {
            "page": page,
            "which": which,
            "tabs": [("", "全部"), ("classify", "待分类"), ("locate", "待定位")],
            "grids": places,
            "error": error,
        },
        status=status,
    )


def _buildings(user: Any) -> list[tuple[str, list[Building]]]:
    """The buildings of the user's scope, grouped by grid, for placing an order."""
    groups: dict[str, list[Building]] = {}
    for b in (
        Building.objects.visible_to(user)
        .select_related("grid")
        .order_by("grid__name", "name")[:2000]
    ):
        groups.setdefault(b.grid.name if b.grid_id else "未划网格", []).append(b)
    return list(groups.items())


def _order(request: HttpRequest, pk: int) -> HotlineOrder:
    order = (
        HotlineOrder.objects.visible_to(request.user, "change")
        .filter(pk=pk, status=HotlineOrder.Status.WAITING)
        .select_related("organisation", "category", "building")
        .first()
    )
    if order is None:
        raise Http404("该工单不存在或已处理")
    return order


@login_required
@require_POST
def hotline_classify(request: HttpRequest, pk: int) -> HttpResponse:
    require_any(request.user, "cases.import_hotline")
    order = _order(request, pk)
    category_id = parse_id(str(request.POST.get("category") or ""))
    category = Category.objects.filter(pk=category_id).first() if category_id else None
    try:
        out = hotline_queue.classify(order, category, actor=request.user)
    except CaseError as exc:
        return render_waiting(request, request.POST.get("which") or "", exc.message, exc.status)
    made = f"，生成工单 {len(out.numbers)} 件" if out.numbers else ""
    messages.success(
        request,
        f"已将“{order.label}”对应到“{category}”，同类 {out.classified} 件已分类{made}；"
        "以后导入的同名分类将自动归入",
    )
    return redirect(reverse("desk:hotline_waiting") + _back(request))


@login_required
@require_POST
def hotline_place(request: HttpRequest, pk: int) -> HttpResponse:
    require_any(request.user, "cases.import_hotline")
    order = _order(request, pk)
    building_id = parse_id(str(request.POST.get("building") or ""))
    building = (
        Building.objects.visible_to(request.user)
        .filter(pk=building_id)
        .select_related("grid")
        .first()
        if building_id
        else None
    )
    try:
        out = hotline_queue.place(order, building, actor=request.user)
    except CaseError as exc:
        return render_waiting(request, request.POST.get("which") or "", exc.message, exc.status)
    made = f"，已生成工单 {out.numbers[0]}" if out.numbers else "，待分类后生成工单"
    messages.success(request, f"已定位到“{building.name if building else ''}”{made}")
    return redirect(reverse("desk:hotline_waiting") + _back(request))


def _back(request: HttpRequest) -> str:
    which = request.POST.get("which") or ""
    return f"?which={which}" if which in ("classify", "locate") else ""
