"""The matches (供需对接): a unit's liaison confirms (认领) or declines what staff accepted;
staff record a confirmed match as done with the residents' rating, or cancel one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.cogov import follow, matching
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import Match, MatchStatus
from doorstep.core.ids import parse_id

from .forms import leaf_categories

TABS = {
    "todo": "待处理",
    "accepted": "待认领",
    "confirmed": "已认领",
    "done": "已完成",
    "ended": "已婉拒/取消",
}


def visible_matches(user: Any) -> QuerySet[Match]:
    return Match.objects.visible_to(user).select_related(
        "need__node", "resource__provider", "accepted_by", "decided_by", "case", "activity"
    )


def to_confirm(user: Any) -> QuerySet[Match]:
    """Matches waiting for the user's unit to confirm (认领), nearest deadline first."""
    if not user.has_perm("cogov.confirm_match"):
        return visible_matches(user).none()
    return (
        visible_matches(user)
        .filter(status=MatchStatus.ACCEPTED)
        .order_by("due_on", "accepted_at", "id")
    )


def to_complete(user: Any) -> QuerySet[Match]:
    """Confirmed matches the user's staff record as done, oldest first."""
    if not user.has_perm("cogov.add_match"):
        return visible_matches(user).none()
    return visible_matches(user).filter(status=MatchStatus.CONFIRMED).order_by("decided_at", "id")


@login_required
def matches(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("cogov.view_match"):
        raise PermissionDenied("没有查看供需对接的权限")
    tab = request.GET.get("tab", "todo")
    tab = tab if tab in TABS else "todo"
    if tab == "todo":
        qs = to_confirm(user) if user.has_perm("cogov.confirm_match") else to_complete(user)
    elif tab == "ended":
        qs = visible_matches(user).filter(status__in=[MatchStatus.DECLINED, MatchStatus.CANCELLED])
    else:
        qs = visible_matches(user).filter(status=tab)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cogov/matches.html",
        {
            "page": page,
            "tab": tab,
            "tabs": TABS.items(),
            "liaison": user.has_perm("cogov.confirm_match"),
            "categories": leaf_categories() if tab in ("todo", "confirmed") else [],
            "today": timezone.localdate(),
        },
    )


def _match(request: HttpRequest, pk: int) -> Match:
    found = visible_matches(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("该对接不存在或无权查看")
    return found


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/cogov/") and "//" not in target:
        return redirect(target)
    return redirect("cogov:matches")


@login_required
@require_POST
def match_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    match = _match(request, int(pk))
    actor = actor_of(request)
    reason = request.POST.get("reason")
    try:
        if act == "confirm":
            matching.confirm(actor=actor, match=match)
            done = f"已认领：{match.need.title}"
        elif act == "decline":
            matching.decline(actor=actor, match=match, reason=reason)
            done = "已婉拒，资源容量已退回"
        elif act == "cancel":
            matching.cancel(actor=actor, match=match, reason=reason)
            done = "已取消对接，资源容量已退回"
        elif act == "complete":
            matching.complete(
                actor=actor,
                match=match,
                rating=request.POST.get("rating"),
                met=request.POST.get("met", "1") == "1",
            )
            done = "已办结该对接"
        elif act == "as_case":
            from doorstep.cases.models import Category

            category = Category.objects.filter(
                active=True, pk=parse_id(request.POST.get("category")) or 0
            ).first()
            case = follow.as_case(
                actor=actor, match=match, category=category,
                deadline=request.POST.get("deadline"), note=request.POST.get("note"),
            )  # fmt: skip
            done = f"已转办工单 {case.number}，工单办结后对接自动办结"
        elif act == "as_activity":
            activity = follow.as_activity(
                actor=actor, match=match, starts_at=request.POST.get("starts_at"),
                ends_at=request.POST.get("ends_at"), address=request.POST.get("address"),
                capacity=request.POST.get("capacity"),
            )  # fmt: skip
            done = f"已发布活动“{activity.title}”，志愿者签退后对接自动办结"
        else:
            raise Http404("没有这个操作")
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back(request)
