"""敲门行动 pages: the campaigns a user sees and launching one; a campaign's page with its
coverage per grid and building, the households not yet reached and splitting it among
visitors; and a visitor's phone page of their doors, where each knock is logged."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.models import Membership
from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import VULNERABLE_TAGS
from doorstep.atlas.places.models import Building, Household
from doorstep.cogov.models import Field, ResourceKind
from doorstep.cogov.web.forms import leaf_categories
from doorstep.core.ids import parse_id
from doorstep.deliberation import campaigns
from doorstep.deliberation.errors import DeliberationError
from doorstep.deliberation.figures import knocks
from doorstep.deliberation.models import Campaign, CampaignTarget
from doorstep.service.models import VisitOutcome

from .lists import asked_period

VISITOR_ROLES = ("grid_worker", "grid_leader", "party_member", "cadre", "volunteer")


def _campaign(user: Any, pk: Any) -> Campaign:
    found = (
        Campaign.objects.visible_to(user)
        .select_related("node")
        .filter(pk=parse_id(pk) or 0)
        .distinct()
        .first()
    )
    if found is None:
        raise Http404("行动不存在或无权查看")
    return found


def _nodes(user: Any) -> list[Organisation]:
    if not user.has_perm(campaigns.LAUNCH):
        return []
    return [
        n
        for n in Organisation.objects.visible_to(user)
        .filter(kind__in=[Kind.STREET, Kind.COMMUNITY, Kind.GRID])
        .order_by("path")
        if campaigns.may_launch(user, n.path)
    ]


def _list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = actor_of(request)
    mine = campaigns.assigned_to(user).count()
    asked = asked_period(request, user)
    if asked:
        asked.update(knocks(asked["org"], asked["from"], asked["to"]))
    return render(
        request,
        "deliberation/campaigns.html",
        {
            "asked": asked,
            "campaigns": Campaign.objects.visible_to(user).select_related("node").distinct()[:200],
            "mine": mine,
            "pending_count": mine,  # what the workbench's 待走访 card counted
            "nodes": (nodes := _nodes(user)),
            "grids": [n for n in nodes if n.kind == Kind.GRID],
            "tags": VULNERABLE_TAGS,
            "today": timezone.localdate(),
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@login_required
@require_POST
def campaign_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    post = request.POST
    nodes = _nodes(user)
    node = next((n for n in nodes if n.pk == parse_id(post.get("node"))), None)
    picked = {parse_id(v) for v in post.getlist("grids")}
    grids = [n for n in nodes if n.kind == Kind.GRID and n.pk in picked]
    try:
        buildings = _buildings(user, node, str(post.get("buildings", "")))
        campaign = campaigns.launch(
            actor=user, node=node, title=post.get("title"), purpose=post.get("purpose", ""),
            starts_on=post.get("starts_on"), ends_on=post.get("ends_on"),
            tag=post.get("tag") or None, grids=grids, buildings=buildings,
        )  # fmt: skip
    except DeliberationError as exc:
        return _list(request, error=exc.message, status=exc.status)
    return redirect("deliberation:campaign", pk=campaign.pk)


def _buildings(user: Any, node: Organisation | None, names: str) -> list[Building]:
    """Buildings named one per line or separated by 、，, within the node and the user's
    scope; a name not found there is refused."""
    wanted = [n.strip() for n in re.split(r"[\n、，,]+", names[:2000]) if n.strip()]
    if not wanted or node is None:
        return []
    found = {
        b.name: b
        for b in Building.objects.visible_to(user).filter(
            grid__path__startswith=node.path, name__in=wanted
        )
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        raise DeliberationError(f"行动范围内找不到楼栋：{'、'.join(missing[:5])}", "buildings")
    return [found[n] for n in dict.fromkeys(wanted)]


def _visitors(campaign: Campaign) -> list[Any]:
    """The people who may be sent: grid staff, members, cadres and volunteers in its area."""
    ids = Membership.objects.filter(
        organisation__path__startswith=campaign.path, role__code__in=VISITOR_ROLES
    ).values("user_id")
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("username"))


def _detail(request: HttpRequest, campaign: Campaign, *, error: str = "", status: int = 200) -> Any:
    user = actor_of(request)
    keeps = campaigns.may_launch(user, campaign.path)
    missed = list(
        campaigns.unreached(campaign).select_related("household__unit__building", "assignee")[:300]
    )
    addresses = {
        h.pk: h.address
        for h in Household.objects.outside_door(
            "the addresses of a campaign's households not yet reached, for its keepers"
        )
        .select_related("unit__building")
        .filter(pk__in=[t.household_id for t in missed])
    }
    return render(
        request,
        "deliberation/campaign.html",
        {
            "campaign": campaign,
            "by_grid": campaigns.coverage(campaign, by="grid"),
            "by_building": campaigns.coverage(campaign, by="building"),
            "targets": campaign.targets.count(),
            "reached": campaign.targets.filter(reached_by__isnull=False).count(),
            "missed": [(t, addresses.get(t.household_id, "")) for t in missed] if keeps else [],
            "keeps": keeps,
            "visitors": _visitors(campaign) if keeps else [],
            "mine": campaigns.assigned_to(user).filter(campaign=campaign).count(),
            "error": error,
        },
        status=status,
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _campaign(actor_of(request), pk))


@login_required
@require_POST
def campaign_split(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    campaign = _campaign(user, pk)
    picked = {parse_id(v) for v in request.POST.getlist("visitors")}
    try:
        campaigns.split(
            actor=user,
            campaign=campaign,
            visitors=[v for v in _visitors(campaign) if v.pk in picked],
        )
    except DeliberationError as exc:
        return _detail(request, campaign, error=exc.message, status=exc.status)
    return redirect("deliberation:campaign", pk=campaign.pk)


def _doors(request: HttpRequest, campaign: Campaign, *, error: str = "", status: int = 200) -> Any:
    user = actor_of(request)
    doors = list(
        CampaignTarget.objects.filter(campaign=campaign, assignee=user)
        .select_related("household__unit__building", "reached_by__follow_up_case")
        .order_by("reached_by", "building_id", "household_id")[:300]
    )
    addresses = {
        h.pk: h.address
        for h in Household.objects.outside_door("the addresses of the visitor's own doors")
        .select_related("unit__building")
        .filter(pk__in=[d.household_id for d in doors])
    }
    return render(
        request,
        "deliberation/campaign_doors.html",
        {
            "campaign": campaign,
            "doors": [(d, addresses.get(d.household_id, "")) for d in doors],
            "outcomes": VisitOutcome.choices,
            "categories": leaf_categories(),
            "fields": Field.choices,
            "wants": ResourceKind.choices,
            "error": error,
        },
        status=status,
    )


@login_required
def campaign_doors(request: HttpRequest, pk: int) -> HttpResponse:
    return _doors(request, _campaign(actor_of(request), pk))


@login_required
@require_POST
def campaign_knock(request: HttpRequest, pk: int, target_id: int) -> HttpResponse:
    user = actor_of(request)
    campaign = _campaign(user, pk)
    target = CampaignTarget.objects.filter(campaign=campaign, pk=target_id).first()
    if target is None:
        raise Http404("走访对象不存在")
    post = request.POST
    need = None
    if post.get("need_title"):
        need = {"title": post.get("need_title"), "field": post.get("need_field"),
                "wants": post.get("need_wants")}  # fmt: skip
    case = None
    if post.get("case_description"):
        case = {"category": post.get("case_category"), "description": post.get("case_description")}
    try:
        campaigns.knock(actor=user, target=target, outcome=post.get("outcome"),
                        found=post.get("found", ""), need=need, case=case)  # fmt: skip
    except DeliberationError as exc:
        return _doors(request, campaign, error=exc.message, status=exc.status)
    return redirect("deliberation:campaign_doors", pk=campaign.pk)
