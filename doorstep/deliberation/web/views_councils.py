"""Councils (议事会 "1+N"): the list, setting one up with its seats, a council's page with
its seats, members in force and meetings, adding a member and ending a term, and calling
a meeting with an agenda of accepted topics."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.models import Compound
from doorstep.core.ids import parse_id
from doorstep.deliberation import councils, meetings
from doorstep.deliberation.errors import DeliberationError
from doorstep.deliberation.models import (
    Council,
    CouncilMember,
    MajorityRule,
    MeetingFormat,
    SeatKind,
    Topic,
    TopicStatus,
)


def _council(user: Any, pk: Any) -> Council:
    found = (
        Council.objects.visible_to(user)
        .select_related("node", "compound")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if found is None:
        raise Http404("议事会不存在或无权查看")
    return found


def _communities(user: Any) -> list[Organisation]:
    if not user.has_perm(councils.KEEP):
        return []
    return [
        c
        for c in Organisation.objects.visible_to(user).filter(kind=Kind.COMMUNITY).order_by("name")
        if councils.may_keep(user, c.path)
    ]


def _list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = actor_of(request)
    communities = _communities(user)
    return render(
        request,
        "deliberation/councils.html",
        {
            "councils": Council.objects.visible_to(user).select_related("node", "compound")[:200],
            "communities": communities,
            "compounds": Compound.objects.visible_to(user)
            .filter(community__in=communities)
            .order_by("name")
            if communities
            else [],
            "kinds": SeatKind.choices,
            "rules": MajorityRule.choices,
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def council_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@login_required
@require_POST
def council_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    post = request.POST
    community = next(
        (c for c in _communities(user) if c.pk == parse_id(post.get("community"))), None
    )
    compound = None
    if post.get("compound"):
        compound = (
            Compound.objects.visible_to(user).filter(pk=parse_id(post.get("compound")) or 0).first()
        )
        if compound is None:
            return _list(request, error="请选择本社区的小区", status=400)
    try:
        council = councils.set_up(
            actor=user, community=community, compound=compound, name=post.get("name"),
            seats={k: post.get(f"seat_{k}", "0") for k in SeatKind.values},
            quorum=post.get("quorum") or MajorityRule.HALF,
            majority=post.get("majority") or MajorityRule.HALF,
        )  # fmt: skip
    except DeliberationError as exc:
        return _list(request, error=exc.message, status=exc.status)
    return redirect("deliberation:council", pk=council.pk)


def _detail(request: HttpRequest, council: Council, *, error: str = "", status: int = 200) -> Any:
    user = actor_of(request)
    keeps = councils.may_keep(user, council.path)
    members = list(councils.in_force(council).select_related("unit"))
    held: dict[str, int] = {}
    for m in members:
        held[m.kind] = held.get(m.kind, 0) + 1
    seats = [(s, held.get(s.kind, 0)) for s in council.seats.all()]
    return render(
        request,
        "deliberation/council.html",
        {
            "council": council,
            "seats": seats,
            "members": members,
            "meetings": council.meetings.order_by("-starts_at")[:50],
            "keeps": keeps,
            "convenes": meetings.may_keep(user, council),
            "accepted": Topic.objects.visible_to(user)
            .filter(path=council.path, status=TopicStatus.ACCEPTED)
            .order_by("-created_at")[:100],
            "kinds": [(s.kind, s.get_kind_display()) for s, _n in seats],
            "formats": MeetingFormat.choices,
            "today": timezone.localdate(),
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def council_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _council(actor_of(request), pk))


@login_required
@require_POST
def council_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    user = actor_of(request)
    council = _council(user, pk)
    post = request.POST
    try:
        if act == "member":
            account = None
            if post.get("username"):
                account = (
                    get_user_model()
                    .objects.filter(
                        username=str(post.get("username")).strip()[:150], is_active=True
                    )
                    .first()
                )
                if account is None:
                    raise DeliberationError("找不到该账号", "username")
            councils.add_member(
                actor=user, council=council, kind=post.get("kind"), name=post.get("name"),
                starts_on=post.get("starts_on"), ends_on=post.get("ends_on"), user=account,
                is_chair=post.get("is_chair") == "1",
            )  # fmt: skip
        elif act == "end":
            member = CouncilMember.objects.filter(
                council=council, pk=parse_id(post.get("member")) or 0
            ).first()
            if member is None:
                raise Http404("成员不存在")
            councils.end_term(actor=user, member=member, on=post.get("on"))
        else:  # meeting
            picked = {parse_id(v) for v in post.getlist("topics")}
            agenda = [
                t
                for t in Topic.objects.visible_to(user).filter(path=council.path).order_by("pk")
                if t.pk in picked
            ]
            meeting = meetings.convene(
                actor=user, council=council, title=post.get("title"), format=post.get("format"),
                starts_at=post.get("starts_at"), ends_at=post.get("ends_at"),
                place=post.get("place", ""), topics=agenda,
            )  # fmt: skip
            return redirect("deliberation:meeting", pk=meeting.pk)
    except DeliberationError as exc:
        return _detail(request, _council(user, pk), error=exc.message, status=exc.status)
    return redirect("deliberation:council", pk=council.pk)
