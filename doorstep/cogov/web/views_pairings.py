"""结对 pages: departments paired with communities and their 结对服务清单, cadres linked to
communities and grids (the street records both), and a cadre's 三结三问 visits with what
came of them and the 民生实事 counted from the records."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Building
from doorstep.cogov import alliances, pairings
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import (
    PAIRED_NODE_KINDS,
    CadreLevel,
    Field,
    Need,
    Pairing,
    PairingOffer,
    PairingQuerySet,
    ResourceKind,
)
from doorstep.core.ids import parse_id
from doorstep.service.models import Visit, VisitKind
from doorstep.service.visits import ASKS

from .forms import leaf_categories
from .views_lists import day_param, within

DEPARTMENTS = "the departments a street may pair with its communities, by name"
DEEDS = "which visits pushed a 民生实事 to closure, to narrow a list already scoped"
VISITS_SHOWN = 200


def _pairings(user: Any) -> PairingQuerySet:
    return Pairing.objects.visible_to(user).select_related("node", "department", "cadre")


@login_required
def pairing_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not user.has_perm("cogov.view_pairing"):
        raise PermissionDenied("没有查看结对的权限")
    today = timezone.localdate()
    shown = _pairings(user)
    org = within(user, request.GET.get("org"))
    if org is not None:
        shown = shown.filter(path__startswith=org.path)
    on = day_param(request.GET.get("on"))
    if on is not None:
        shown = shown.in_force(on)
    rows = list(
        shown.prefetch_related(Prefetch("offers", queryset=PairingOffer.objects.order_by("id")))
    )
    nodes = [
        o
        for o in Organisation.objects.visible_to(user)
        .filter(kind__in=PAIRED_NODE_KINDS)
        .order_by("path")
        if alliances.may(user, "cogov.add_pairing", o)
    ]
    return render(
        request,
        "cogov/pairings.html",
        {
            "departments": [
                (p, p.in_force(today), p.in_force() and pairings.may_offer(user, p))
                for p in rows
                if p.kind == "department"
            ],
            "cadres": [(p, p.in_force(today)) for p in rows if p.kind == "cadre"],
            "department_count": len({p.department_id for p in rows if p.kind == "department"}),
            "cadre_count": len({p.cadre_id for p in rows if p.kind == "cadre"}),
            "org": org,
            "on": on,
            "communities": [o for o in nodes if o.kind == Kind.COMMUNITY],
            "nodes": nodes,
            "all_departments": (
                Organisation.objects.outside_door(DEPARTMENTS)
                .filter(kind=Kind.DEPARTMENT)
                .order_by("name")
                if nodes
                else []
            ),
            "levels": CadreLevel.choices,
            "may_end": user.has_perm("cogov.change_pairing"),
            "today": today,
        },
    )


@login_required
@require_POST
def pairing_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    post = request.POST
    node = (
        Organisation.objects.visible_to(user)
        .filter(kind__in=PAIRED_NODE_KINDS, pk=parse_id(post.get("node")) or 0)
        .first()
    )
    try:
        if post.get("kind") == "department":
            department = (
                Organisation.objects.outside_door(DEPARTMENTS)
                .filter(kind=Kind.DEPARTMENT, pk=parse_id(post.get("department")) or 0)
                .first()
            )
            pairing = pairings.pair_department(
                actor=user, department=department, node=node,
                starts_on=post.get("starts_on"), ends_on=post.get("ends_on"),
            )  # fmt: skip
            messages.success(request, f"已登记{pairing.department}与{pairing.node}结对")
        elif post.get("kind") == "cadre":
            cadre = pairings.cadre_by_username(post.get("cadre"))
            pairing = pairings.link_cadre(
                actor=user, cadre=cadre, node=node, level=post.get("level"),
                post=post.get("post"), starts_on=post.get("starts_on"),
                ends_on=post.get("ends_on"),
            )  # fmt: skip
            messages.success(request, f"已登记{pairing.cadre}联系{pairing.node}")
        else:
            raise CogovError("请选择结对类型", "kind")
    except CogovError as exc:
        messages.error(request, exc.message)
    return redirect("cogov:pairings")


@login_required
@require_POST
def pairing_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    user = actor_of(request)
    pairing = _pairings(user).filter(pk=int(pk)).first()
    if pairing is None:
        raise Http404("结对不存在或无权查看")
    post = request.POST
    try:
        if act == "end":
            pairings.end_pairing(actor=user, pairing=pairing, on=post.get("on"))
            messages.success(request, f"{pairing}的结对已结束")
        elif act == "offer":
            line = pairings.add_offer(
                actor=user, pairing=pairing, title=post.get("title"),
                detail=post.get("detail"), frequency=post.get("frequency"),
            )  # fmt: skip
            messages.success(request, f"已发布结对服务项目“{line.title}”")
        else:
            raise Http404("没有这个操作")
    except CogovError as exc:
        messages.error(request, exc.message)
    return redirect("cogov:pairings")


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    """A cadre's links, the visit form and their visits; staff see the cadres' visits in
    their area."""
    user = actor_of(request)
    if not user.has_perm("service.view_visit"):
        raise PermissionDenied("没有查看走访记录的权限")
    links = list(pairings.links_of(user))
    shown = Visit.objects.visible_to(user).filter(kind=VisitKind.CADRE)
    org = within(user, request.GET.get("org"))
    if org is not None:
        shown = shown.filter(path__startswith=org.path)
    since, until = day_param(request.GET.get("from")), day_param(request.GET.get("to"))
    if since is not None:
        shown = shown.filter(visited_on__gte=since)
    if until is not None:
        shown = shown.filter(visited_on__lte=until)
    deeds = request.GET.get("deeds") == "1"
    if deeds:
        shown = shown.filter(pk__in=Visit.objects.outside_door(DEEDS).filter(pairings.deeds_q()))
    visits = (
        shown.select_related("node", "visitor", "follow_up_case")
        .prefetch_related(Prefetch("needs", queryset=Need.objects.order_by("id")))
        .order_by("-visited_on", "-id")
    )
    places = _visit_places(user, links)
    due = pairings.due_links(user) if links else []
    return render(
        request,
        "cogov/visits.html",
        {
            "links": links,
            "due": due,
            "due_links_count": len(due),
            "visits": visits[:VISITS_SHOWN],
            "visit_count": visits.count(),
            "narrowed": {"org": org, "from": since, "to": until, "deeds": deeds},
            "record": pairings.record_of(user)
            if links or user.has_perm("service.add_visit")
            else None,
            "places": places,
            "buildings": Building.objects.visible_to(user)
            .filter(grid__path__in=[o.path for o in places if o.kind == Kind.GRID])
            .order_by("name")[:300]
            if places
            else [],
            "asks": ASKS,
            "fields": Field.choices,
            "wants": ResourceKind.choices,
            "categories": leaf_categories() if places else [],
            "today": timezone.localdate(),
        },
    )


def _visit_places(user: Any, links: list[Pairing]) -> list[Organisation]:
    """The linked nodes and the grids of a linked community."""
    if not links:
        return []
    q = Organisation.objects.visible_to(user).filter(kind__in=PAIRED_NODE_KINDS)
    paths = [p.node.path for p in links]
    return [o for o in q.order_by("path") if any(o.path.startswith(x) for x in paths)]


@login_required
@require_POST
def visit_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    post = request.POST
    node = (
        Organisation.objects.visible_to(user)
        .filter(kind__in=PAIRED_NODE_KINDS, pk=parse_id(post.get("node")) or 0)
        .first()
    )
    building = (
        Building.objects.visible_to(user).filter(pk=parse_id(post.get("building")) or 0).first()
    )
    need = None
    if post.get("need_title", "").strip():
        need = {
            "title": post.get("need_title"),
            "field": post.get("need_field"),
            "wants": post.get("need_wants"),
            "people": post.get("need_people") or 1,
            "building": building,
        }
    case = None
    if post.get("case_description", "").strip():
        from doorstep.cases.models import Category

        case = {
            "category": Category.objects.filter(
                active=True, pk=parse_id(post.get("case_category")) or 0
            ).first(),
            "description": post.get("case_description"),
            "building": building,
        }
    try:
        visit = pairings.record_cadre_visit(
            actor=user, node=node, visited_on=post.get("visited_on"),
            asks=post.getlist("asks"), found=post.get("found"), need=need, case=case,
        )  # fmt: skip
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        done = ["走访已记录"]
        if need:
            done.append("需求已登记到需求清单")
        if visit.follow_up_case is not None:
            done.append(f"已转办工单 {visit.follow_up_case.number}")
        messages.success(request, "，".join(done))
    return redirect("cogov:visits")
