"""The needs and resources lists (需求清单, 资源清单): lists, recording, a need's page with its
suggested resources, a resource's page with the needs it could meet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Building
from doorstep.cogov import matching, ranking, services
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import (
    Field,
    Match,
    MatchStatus,
    Need,
    NeedStatus,
    Resource,
    ResourceKind,
    ResourceStatus,
)
from doorstep.core.access import prefixes
from doorstep.core.ids import parse_id

from .forms import NeedForm, ResourceForm

AGING_DAYS = 14  # an open need older than this is flagged (久未对接)
MANY_BUILDINGS = 300  # beyond this the need form leaves the building out (too long a list)


def may_view_lists(user: Any) -> bool:
    return user.has_perm("cogov.view_need") or user.has_perm("cogov.view_resource")


STATUS_FILTERS = {
    "open": ("待对接/对接中", Q(status__in=[NeedStatus.OPEN, NeedStatus.MATCHED])),
    "unmatched": ("待对接", Q(status=NeedStatus.OPEN)),
    "met": ("已满足", Q(status=NeedStatus.MET)),
    "closed": ("已关闭", Q(status=NeedStatus.CLOSED)),
    "all": ("全部", Q()),
}


def visible_needs(user: Any) -> QuerySet[Need]:
    return Need.objects.visible_to(user).select_related("node")


def within(user: Any, raw: Any) -> Organisation | None:
    """The node a list is narrowed to (`?org=`, from a cockpit figure), if the user sees it."""
    pk = parse_id(raw)
    if pk is None:
        return None
    return Organisation.objects.visible_to(user, "cockpit").filter(pk=pk).first()


def day_param(raw: Any) -> dt.date | None:
    """A date a list is narrowed to (`?on=`, `?from=`, `?to=` from a cockpit figure), or
    None when absent or not a date."""
    try:
        return dt.date.fromisoformat(str(raw or "")[:10])
    except ValueError:
        return None


def figures(user: Any) -> dict[str, Any]:
    """The matching page's figures over the needs the user sees: open needs with at least
    one suggestion, and of the needs that ever had one, the share a match was accepted for."""
    qs = visible_needs(user)
    counts = qs.aggregate(
        open=Count("id", filter=Q(status=NeedStatus.OPEN)),
        matched=Count("id", filter=Q(status=NeedStatus.MATCHED)),
        met=Count("id", filter=Q(status=NeedStatus.MET)),
    )
    unmatched = list(qs.filter(status=NeedStatus.OPEN))
    with_suggestion = sum(1 for ids in ranking.suggest_all(unmatched, k=1).values() if ids)
    taken = (
        qs.filter(matches__status__in=[*matching.LIVE_MATCH_STATUSES, MatchStatus.DONE])
        .distinct()
        .count()
    )
    suggested = taken + with_suggestion
    aging_before = timezone.now() - dt.timedelta(days=AGING_DAYS)
    return {
        **counts,
        "with_suggestion": with_suggestion,
        "suggestion_share": _share(with_suggestion, len(unmatched)),
        "accepted_share": _share(taken, suggested),
        "taken": taken,
        "suggested": suggested,
        "aging": sum(1 for n in unmatched if n.created_at < aging_before),
    }


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


@login_required
def needs(request: HttpRequest) -> HttpResponse:
    """供需对接: the needs the user sees, with the matching figures."""
    user = request.user
    if not may_view_lists(user):
        raise PermissionDenied("没有查看需求清单的权限")
    state = request.GET.get("status", "open")
    state = state if state in STATUS_FILTERS else "open"
    field = request.GET.get("field", "")
    qs = visible_needs(user).filter(STATUS_FILTERS[state][1])
    if field in Field.values:
        qs = qs.filter(field=field)
    org = within(user, request.GET.get("org"))
    if org is not None:
        qs = qs.filter(path__startswith=org.path)
    page = Paginator(qs.order_by("-urgency", "created_at", "id"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "cogov/needs.html",
        {
            "page": page,
            "state": state,
            "states": [(k, v[0]) for k, v in STATUS_FILTERS.items()],
            "field": field,
            "fields": Field.choices,
            "org": org,
            "figures": figures(user),
            "public_nodes": Organisation.objects.visible_to(user)
            .filter(kind__in=("street", "community"))
            .order_by("path")[:12],
            "aging_days": AGING_DAYS,
            "now": timezone.now(),
        },
    )


def _nodes(user: Any) -> QuerySet[Organisation]:
    return (
        Organisation.objects.visible_to(user)
        .filter(kind__in=services.NEED_NODE_KINDS)
        .select_related("parent")
        .order_by("path")
    )


def _buildings(user: Any) -> QuerySet[Building]:
    qs = Building.objects.visible_to(user).order_by("name", "id")
    return qs if qs.count() <= MANY_BUILDINGS else qs.none()


@login_required
def need_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not user.has_perm("cogov.add_need"):
        raise PermissionDenied("没有登记需求的权限")
    form = NeedForm(request.POST or None, nodes=_nodes(user), buildings=_buildings(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = services.record_need(actor=user, **data)
            except CogovError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"已登记需求：{need.title}")
                return redirect("cogov:need", pk=need.pk)
        else:
            status = 400
    return render(request, "cogov/need_new.html", {"form": form}, status=status)


def _need(request: HttpRequest, pk: int) -> Need:
    need = visible_needs(request.user).select_related("building", "case").filter(pk=pk).first()
    if need is None:
        raise Http404("需求不存在或无权查看")
    return need


@login_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need(request, pk)
    user = actor_of(request)
    keeper = matching.may_match(user, need)
    return render(
        request,
        "cogov/need.html",
        {
            "need": need,
            "suggestions": matching.suggest(need) if keeper and need.is_open else [],
            "keeper": keeper,
            "matches": Match.objects.visible_to(user)
            .filter(need=need)
            .select_related("resource__provider", "accepted_by", "decided_by"),
            "aging": need.is_open and need.age_days() >= AGING_DAYS,
        },
    )


@login_required
@require_POST
def need_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff accept a suggested resource for the need, promising an amount of it."""
    need = _need(request, pk)
    rid = parse_id(request.POST.get("resource"))
    resource = (
        Resource.objects.outside_door(matching.CANDIDATES).filter(pk=rid).first() if rid else None
    )
    if resource is None:
        messages.error(request, "请选择要对接的资源")
        return redirect("cogov:need", pk=need.pk)
    try:
        match = matching.accept(
            actor=actor_of(request), need=need, resource=resource, amount=request.POST.get("amount")
        )
    except CogovError as exc:
        messages.error(request, exc.message)
        return redirect("cogov:need", pk=need.pk)
    messages.success(
        request,
        f"已对接“{resource.title}”，等待{resource.provider.name}认领（{match.due_on:%m月%d日}前）",
    )
    return redirect("cogov:need", pk=need.pk)


@login_required
@require_POST
def need_close(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need(request, pk)
    try:
        services.close_need(actor=actor_of(request), need=need, reason=request.POST.get("reason"))
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "需求已关闭")
    return redirect("cogov:need", pk=need.pk)


# -- resources ---------------------------------------------------------------------------


@login_required
def resources(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_view_lists(user):
        raise PermissionDenied("没有查看资源清单的权限")
    qs = Resource.objects.visible_to(user).select_related("provider", "area")
    state = request.GET.get("status", "active")
    if state in ResourceStatus.values:
        qs = qs.filter(status=state)
    page = Paginator(qs.order_by("provider__name", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cogov/resources.html",
        {"page": page, "state": state, "states": ResourceStatus.choices},
    )


def _providers(user: Any) -> QuerySet[Organisation]:
    return (
        Organisation.objects.visible_to(user)
        .filter(kind__in=services.PROVIDER_KINDS)
        .select_related("parent")
        .order_by("path")
    )


@login_required
def resource_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not user.has_perm("cogov.add_resource"):
        raise PermissionDenied("没有登记资源的权限")
    form = ResourceForm(request.POST or None, providers=_providers(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["fields"] = data.pop("serves")
            try:
                resource = services.offer_resource(actor=user, **data)
            except CogovError as exc:
                field = "serves" if exc.field == "fields" else exc.field
                form.add_error(field if field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, f"已登记资源：{resource.title}")
                return redirect("cogov:resource", pk=resource.pk)
        else:
            status = 400
    return render(request, "cogov/resource_new.html", {"form": form}, status=status)


def _resource(request: HttpRequest, pk: int) -> Resource:
    found = (
        Resource.objects.visible_to(request.user)
        .select_related("provider", "area", "site")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("资源不存在或无权查看")
    return found


@login_required
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _resource(request, pk)
    user = actor_of(request)
    needs_for = matching.needs_for(resource)
    # Only the needs the viewer may see are named (a unit's liaison sees none before a match).
    seen = set(
        visible_needs(user)
        .filter(pk__in=[s.need.pk for s in needs_for])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "cogov/resource.html",
        {
            "resource": resource,
            "needs_for": [s for s in needs_for if s.need.pk in seen],
            "unseen": sum(1 for s in needs_for if s.need.pk not in seen),
            "matches": Match.objects.visible_to(user)
            .filter(resource=resource)
            .select_related("need__node"),
            "may_change": services.may_offer(user, resource.provider),
            "statuses": ResourceStatus.choices,
        },
    )


@login_required
@require_POST
def resource_status(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _resource(request, pk)
    try:
        services.set_resource_status(
            actor=actor_of(request), resource=resource, status=request.POST.get("status", "")
        )
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "资源状态已更新")
    return redirect("cogov:resource", pk=resource.pk)


# -- the public lists of a node -------------------------------------------------------------

PUBLIC = (
    "the lists a community publishes (公示): titles, groups, fields and counts — never a "
    "detail, a building or a person"
)
PUBLIC_KINDS = ("street", "community", "grid")


def public_lists(request: HttpRequest, org_id: int) -> HttpResponse:
    """The needs and resources of a street, community or grid, for anyone (print or QR)."""
    from django.utils.safestring import mark_safe

    from doorstep.core import links

    node = (
        Organisation.objects.outside_door(PUBLIC)
        .filter(pk=org_id, kind__in=PUBLIC_KINDS)
        .select_related("parent")
        .first()
    )
    if node is None:
        raise Http404("没有这个社区或网格")
    open_needs = (
        Need.objects.outside_door(PUBLIC)
        .filter(path__startswith=node.path, status__in=[NeedStatus.OPEN, NeedStatus.MATCHED])
        .select_related("node")
        .only("title", "group", "field", "wants", "people", "status", "created_at", "node__name")
        .order_by("-urgency", "created_at", "id")[:200]
    )
    above = prefixes(node.path, include_self=False)
    offers = (
        Resource.objects.outside_door(PUBLIC)
        .filter(status=ResourceStatus.ACTIVE)
        .filter(Q(path__startswith=node.path) | Q(path__in=above))
        .select_related("provider")
        .only("title", "kind", "fields", "remaining", "unit", "provider__name")
        .order_by("provider__name", "id")[:200]
    )
    from doorstep.cogov.models import Project

    shown = (
        Project.objects.outside_door(PUBLIC)
        .filter(path__startswith=node.path)
        .exclude(status__in=["proposed", "review", "rejected", "stopped"])
        .select_related("node")
        .only("title", "kind", "status", "starts_on", "ends_on", "served", "node__name")
        .order_by("-starts_on", "-id")[:100]
    )
    met = (
        Need.objects.outside_door(PUBLIC)
        .filter(path__startswith=node.path, status=NeedStatus.MET)
        .count()
    )
    from doorstep.cogov.models import PairingOffer

    # 结对服务清单: what the departments paired with this community (or the grid's) offer.
    paired = (
        PairingOffer.objects.outside_door(PUBLIC)
        .filter(Q(pairing__path__startswith=node.path) | Q(pairing__path__in=above))
        .filter(pairing__kind="department", pairing__starts_on__lte=timezone.localdate())
        .filter(pairing__ends_on__gt=timezone.localdate())
        .select_related("pairing__department", "pairing__node")
        .order_by("pairing__department__name", "id")[:200]
    )
    url = links.absolute(request.path)
    return render(
        request,
        "cogov/public.html",
        {
            "node": node,
            "paired": paired,
            "needs": open_needs,
            "offers": offers,
            "projects": shown,
            "met": met,
            "url": url,
            "qr": mark_safe(links.qr_svg(url)),  # noqa: S308 - segno's own SVG
        },
    )


@login_required
def wish_to_need(request: HttpRequest, number: str) -> HttpResponse:
    """A resident's 微心愿 (a case) joins the needs list of its grid (需求清单)."""
    from doorstep.cases.models import Case, CaseKind

    user = actor_of(request)
    if not user.has_perm("cogov.add_need"):
        raise PermissionDenied("没有登记需求的权限")
    case = (
        Case.objects.visible_to(user)
        .filter(number=number[:32], kind=CaseKind.MICRO_WISH)
        .select_related("territory", "building")
        .first()
    )
    if case is None:
        raise Http404("该微心愿不存在或无权查看")
    done = Need.objects.visible_to(user).filter(case=case).first()
    error, status = "", 200
    if request.method == "POST" and done is None:
        try:
            need = services.promote_wish(
                actor=user,
                case=case,
                field=request.POST.get("field"),
                wants=request.POST.get("wants"),
            )
        except CogovError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, "微心愿已转入需求清单")
            return redirect("cogov:need", pk=need.pk)
    return render(
        request,
        "cogov/wish_to_need.html",
        {
            "case": case,
            "done": done,
            "error": error,
            "fields": Field.choices,
            "kinds": ResourceKind.choices,
        },
        status=status,
    )
