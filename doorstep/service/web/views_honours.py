"""Honour pages: the live ranking (staff: any organisation in scope, with a publish button;
party members and volunteers: their own community, their own place highlighted), the
publish action, and the public pages of published lists (no login)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from doorstep.accounts.scopes import scope_of
from doorstep.atlas.organisations.models import ADMIN_KINDS, Organisation
from doorstep.core.ids import parse_id
from doorstep.service import honours
from doorstep.service.errors import Conflict, Denied, ServiceError
from doorstep.service.models import HonourKind, HonourList, PeriodKind


class BadQuery(Exception):
    pass


def _is_staff(user: Any) -> bool:
    scope = scope_of(user)
    return scope.everything or bool(scope.paths)


def _staff_orgs(user: Any) -> Any:
    return Organisation.objects.visible_to(user).filter(kind__in=ADMIN_KINDS).order_by("path")


def _org(user: Any, raw: str | None) -> Organisation | None:
    """The organisation asked for, within what the user may see (else 404)."""
    if raw not in (None, "") and parse_id(raw) is None:
        raise ServiceError("组织编号不正确", "org")
    if _is_staff(user):
        orgs = _staff_orgs(user)
        if raw:
            found = orgs.filter(pk=parse_id(raw)).first()
            if found is None:
                raise Http404("组织不存在或不在本辖区")
            return found
        return orgs.first()
    home = honours.home_community(user)
    if raw and (home is None or home.pk != parse_id(raw)):
        raise Http404("只能查看本社区的榜单")
    return home


def _query(data: QueryDict) -> tuple[str, str, dt.date]:
    kind = data.get("kind") or HonourKind.PIONEER
    if kind not in HonourKind.values:
        raise ServiceError("榜单只能是先锋榜样（pioneer）或优秀志愿者（volunteer）", "kind")
    period = data.get("period") or PeriodKind.MONTH
    return kind, period, honours.parse_period(period, data.get("start"))


def _start_text(period: str, start: dt.date) -> str:
    return start.strftime("%Y-%m") if period == PeriodKind.MONTH else start.strftime("%Y")


def _bad(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return render(request, "service/honour_error.html", {"message": exc.message}, status=exc.status)


def shown(user: Any, org: Any, kind: str, period: str, start: dt.date) -> tuple[list[Any], Any]:
    """The ranking page's table: the top places, and the viewer's own entry (or None)."""
    entries = honours.ranking(org, kind=kind, period_kind=period, period_start=start, limit=None)
    mine = next((e for e in entries if e.user_id == user.pk), None)
    return entries[: honours.LIMIT], mine


@login_required
@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        kind, period, start = _query(request.GET)
        org = _org(user, request.GET.get("org"))
    except ServiceError as exc:
        return _bad(request, exc)
    context: dict[str, Any] = {
        "org": org,
        "kind": kind,
        "period": period,
        "start": _start_text(period, start),
        "label": honours.period_label(period, start),
        "kinds": HonourKind.choices,
        "kind_label": HonourKind(kind).label,
        "orgs": _staff_orgs(user) if _is_staff(user) else [],
    }
    if org is not None:
        top, mine = shown(user, org, kind, period, start)
        context.update(
            entries=top,
            mine=mine,
            mine_below=mine is not None and mine not in top,
            may_publish=honours.may_publish(user, org),
            published=HonourList.objects.filter(
                organisation=org, kind=kind, period_kind=period, period_start=start
            ).first(),
        )
    return render(request, "service/honour_ranking.html", context)


@login_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    try:
        kind, period, start = _query(request.POST)
        org = _org(user, request.POST.get("org"))
    except ServiceError as exc:
        return _bad(request, exc)
    if org is None:
        raise Http404("组织不存在")
    query: dict[str, str] = {
        "org": str(org.pk),
        "kind": kind,
        "period": period,
        "start": _start_text(period, start),
    }
    back = reverse("serve:honours") + "?" + urlencode(query)
    try:
        honour_list = honours.publish(
            org,
            kind=kind,
            period_kind=period,
            period_start=start,
            actor=user,
            replace=request.POST.get("replace") == "1",
        )
    except Denied as exc:
        raise PermissionDenied(exc.message) from None
    except Conflict as exc:
        messages.error(request, f"{exc.message}。如需重新发布，请勾选“替换已发布的榜单”。")
        return redirect(back)
    except ServiceError as exc:
        return _bad(request, exc)
    messages.success(request, "榜单已发布")
    return redirect("serve:honour_public", pk=honour_list.pk)


@require_GET
def public(request: HttpRequest, pk: int) -> HttpResponse:
    honour_list = get_object_or_404(HonourList.objects.select_related("organisation"), pk=pk)
    return render(
        request,
        "service/honour_public.html",
        {
            "list": honour_list,
            "label": honours.period_label(honour_list.period_kind, honour_list.period_start),
        },
    )


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    rows = HonourList.objects.select_related("organisation").order_by(
        "-period_start", "organisation_path", "kind", "id"
    )[:200]
    return render(
        request,
        "service/honour_public_list.html",
        {"rows": [(row, honours.period_label(row.period_kind, row.period_start)) for row in rows]},
    )
