"""Resolutions (决议): the community's list with each one's state (公示中, 待落实, 落实中,
已办结), publishing one from a passed vote, and a resolution's page — its text and notice
period, the objections and their answers (objectors are not named to residents), the
objection form for neighbours in notice, and staff's answers and carrying it out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.cases.models import Category
from doorstep.cogov.models import Field, ResourceKind
from doorstep.cogov.web.forms import leaf_categories
from doorstep.core.ids import parse_id
from doorstep.deliberation import resolutions, topics
from doorstep.deliberation.errors import DeliberationError, NotAllowed
from doorstep.deliberation.models import Ballot, Objection, Resolution

from .lists import narrowed

STATES = ["公示中", "待落实", "落实中", "已办结"]


def _resolution(user: Any, pk: Any) -> Resolution:
    found = (
        Resolution.objects.visible_to(user)
        .select_related("node", "topic", "ballot", "project", "case", "need")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if found is None:
        raise Http404("决议不存在或无权查看")
    return found


@login_required
def resolution_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    field = "acted_at" if request.GET.get("by") == "acted" else "published_at"
    seen, asked = narrowed(request, user, Resolution.objects.visible_to(user), field)
    rows = [(r, resolutions.state_of(r)) for r in seen.select_related("node", "need")[:500]]
    wanted = request.GET.get("state", "")
    if wanted in STATES:
        rows = [(r, s) for r, s in rows if s == wanted]
    return render(
        request,
        "deliberation/resolutions.html",
        {
            "rows": rows,
            "states": STATES,
            "state": wanted,
            "asked": asked,
            "pending_count": len(rows),
        },  # fmt: skip
    )


@login_required
@require_POST
def resolution_new(request: HttpRequest) -> HttpResponse:
    """Publish a resolution from a passed owners' vote (from the ballot's page)."""
    user = actor_of(request)
    post = request.POST
    ballot = Ballot.objects.visible_to(user).filter(pk=parse_id(post.get("ballot")) or 0).first()
    if ballot is None:
        raise Http404("表决不存在或无权查看")
    try:
        resolution = resolutions.publish(
            actor=user,
            title=post.get("title") or ballot.title,
            text_=post.get("text"),
            ballot=ballot,
            notice_days=post.get("notice_days"),
        )
    except DeliberationError as exc:
        from .views_ballots import _detail as ballot_page

        return ballot_page(request, ballot, error=exc.message, status=exc.status)
    return redirect("deliberation:resolution", pk=resolution.pk)


def _detail(
    request: HttpRequest, resolution: Resolution, *, error: str = "", status: int = 200
) -> Any:
    user = actor_of(request)
    keeps = resolutions.may(user, resolutions.KEEP, resolution.path)
    objections = list(resolution.objections.select_related("raised_by"))
    return render(
        request,
        "deliberation/resolution.html",
        {
            "r": resolution,
            "state": resolutions.state_of(resolution),
            "objections": objections,
            "names_objectors": keeps,
            "may_object": resolution.in_notice() and topics.lives_in(user, resolution),  # type: ignore[arg-type]
            "keeps": keeps,
            "why_not": resolutions.why_not_act(resolution) if keeps else None,
            "categories": leaf_categories() if keeps else [],
            "fields": Field.choices,
            "wants": ResourceKind.choices,
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def resolution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _resolution(actor_of(request), pk))


@login_required
@require_POST
def resolution_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    user = actor_of(request)
    resolution = _resolution(user, pk)
    post = request.POST
    try:
        if act == "object":
            resolutions.object_to(actor=user, resolution=resolution, text_=post.get("text"))
        elif act == "answer":
            objection = Objection.objects.filter(
                resolution=resolution, pk=parse_id(post.get("objection")) or 0
            ).first()
            if objection is None:
                raise NotAllowed("异议不存在")
            resolutions.answer(actor=user, objection=objection, text_=post.get("answer"))
        elif act == "project":
            resolutions.start_project(
                actor=user,
                resolution=resolution,
                starts_on=post.get("starts_on"),
                ends_on=post.get("ends_on"),
            )
        elif act == "case":
            category = Category.objects.filter(
                active=True, children__isnull=True, pk=parse_id(post.get("category")) or 0
            ).first()
            resolutions.open_case(actor=user, resolution=resolution, category=category)
        else:  # need
            resolutions.list_need(
                actor=user, resolution=resolution, field=post.get("field"), wants=post.get("wants")
            )
    except DeliberationError as exc:
        return _detail(request, _resolution(user, pk), error=exc.message, status=exc.status)
    return redirect("deliberation:resolution", pk=resolution.pk)
