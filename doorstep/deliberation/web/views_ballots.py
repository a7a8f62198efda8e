"""Owners' votes: the list, drawing one up, a ballot's page (the question, both thresholds
live, the result, the voter's own buttons on a phone, staff's paper entry), and how each
part voted for staff who may see it (each view audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.places.models import Compound, Household
from doorstep.core.access import scope_of
from doorstep.core.ids import parse_id
from doorstep.deliberation import ballots, resolutions
from doorstep.deliberation.errors import DeliberationError
from doorstep.deliberation.models import (
    Ballot,
    BallotStatus,
    BallotVote,
    Channel,
    Resolution,
    RollEntry,
)
from doorstep.deliberation.models.ballots import ChoiceLabel, MatterChoice


def _viewer(request: HttpRequest) -> Any:
    user = actor_of(request)
    if not user.has_perm("deliberation.view_ballot"):
        raise PermissionDenied("没有查看表决的权限")
    return user


def _ballot(user: Any, pk: Any) -> Ballot:
    found = (
        Ballot.objects.visible_to(user)
        .select_related("compound")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if found is None:
        raise Http404("表决不存在或无权查看")
    return found


def _compounds(user: Any) -> list[Compound]:
    """The compounds the user may draw up a vote for."""
    if not user.has_perm("deliberation.add_ballot"):
        return []
    scope = scope_of(user, "deliberation.add_ballot")
    return [
        c
        for c in Compound.objects.visible_to(user).select_related("community").order_by("name")
        if scope.covers(c.community.path)
    ]


def _list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = actor_of(request)
    mine = request.GET.get("mine") == "1"
    pending = ballots.pending_for(user) if mine else None
    return render(
        request,
        "deliberation/ballots.html",
        {
            "ballots": pending
            if pending is not None
            else Ballot.objects.visible_to(user).select_related("compound").distinct()[:200],
            "mine": mine,
            "pending_count": len(pending) if pending is not None else None,
            "compounds": _compounds(user),
            "matters": MatterChoice.choices,
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def ballot_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return _list(request)


@login_required
@require_POST
def ballot_new(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    post = request.POST
    compound = next((c for c in _compounds(user) if c.pk == parse_id(post.get("compound"))), None)
    try:
        ballot = ballots.draw_up(
            actor=user, compound=compound, title=post.get("title"), question=post.get("question"),
            matter=post.get("matter"), opens_at=post.get("opens_at"), closes_at=post.get("closes_at"),
        )  # fmt: skip
    except DeliberationError as exc:
        return _list(request, error=exc.message, status=exc.status)
    return redirect("deliberation:ballot", pk=ballot.pk)


def _detail(request: HttpRequest, ballot: Ballot, *, error: str = "", status: int = 200) -> Any:
    user = actor_of(request)
    tally = ballots.tally(ballot) if ballot.status != BallotStatus.DRAFT else None
    mine = ballots.my_parts(user, ballot)
    addresses = {
        h.pk: h.address
        for h in Household.objects.outside_door(
            "addresses of the ballot's parts, shown to those on its roll or running it"
        )
        .select_related("unit__building")
        .filter(pk__in=[h for h, _c in mine])
    }
    unvoted = []
    if user.has_perm("deliberation.add_ballotvote") and ballot.status == BallotStatus.OPEN:
        voted = BallotVote.objects.filter(ballot=ballot).values("household_id")
        unvoted = list(
            Household.objects.visible_to(user)
            .select_related("unit__building")
            .filter(pk__in=RollEntry.objects.filter(ballot=ballot).values("household_id"))
            .exclude(pk__in=voted)
            .order_by("unit__building__name", "unit__number", "room")[:500]
        )
    runs = user.has_perm("deliberation.change_ballot") and scope_of(
        user, "deliberation.change_ballot"
    ).covers(ballot.path)
    now = timezone.now()
    return render(
        request,
        "deliberation/ballot.html",
        {
            "ballot": ballot,
            "tally": tally,
            "lines": ballots.thresholds(tally) if tally else [],
            "mine": [
                (h, addresses.get(h, ""), dict(ChoiceLabel.choices).get(c or "")) for h, c in mine
            ],
            "choices": ChoiceLabel.choices,
            "may_vote": ballot.status == BallotStatus.OPEN
            and ballot.opens_at <= now < ballot.closes_at,
            "paper": unvoted,
            "runs": runs,
            "may_close": runs and ballot.status == BallotStatus.OPEN and now >= ballot.closes_at,
            "resolution": Resolution.objects.visible_to(user).filter(ballot=ballot).first(),
            "resolves": ballot.passed is True
            and resolutions.may(user, resolutions.PUBLISH, ballot.path),
            "sees_choices": user.has_perm("deliberation.view_vote_choices")
            and scope_of(user, "deliberation.view_vote_choices").covers(ballot.path),
            "error": error,
        },
        status=status,
    )


@login_required
def ballot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    return _detail(request, _ballot(user, pk))


@login_required
@require_POST
def ballot_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    user = _viewer(request)
    ballot = _ballot(user, pk)
    post = request.POST
    try:
        if act == "open":
            ballots.open_ballot(actor=user, ballot=ballot)
        elif act == "close":
            ballots.close_ballot(actor=user, ballot=ballot)
        else:
            on_roll = RollEntry.objects.filter(
                ballot=ballot, household_id=parse_id(post.get("household")) or 0
            ).values("household_id")
            household = (
                Household.objects.outside_door(
                    "a part on the ballot's roll; the service checks who may vote it"
                )
                .filter(pk__in=on_roll)
                .first()
            )
            ballots.cast(
                actor=user, ballot=ballot, household=household, choice_=post.get("choice"),
                channel=Channel.PAPER if act == "paper" else Channel.ONLINE,
            )  # fmt: skip
    except DeliberationError as exc:
        return _detail(request, _ballot(user, pk), error=exc.message, status=exc.status)
    return redirect("deliberation:ballot", pk=ballot.pk)


@login_required
def ballot_choices(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    ballot = _ballot(user, pk)
    try:
        said = ballots.choices_of(actor=user, ballot=ballot)
    except DeliberationError as exc:
        raise PermissionDenied(exc.message) from None
    parts = (
        Household.objects.outside_door("the ballot's parts, for staff allowed to see its choices")
        .select_related("unit__building")
        .filter(pk__in=RollEntry.objects.filter(ballot=ballot).values("household_id"))
        .order_by("unit__building__name", "unit__number", "room")
    )
    labels = dict(ChoiceLabel.choices)
    return render(
        request,
        "deliberation/ballot_choices.html",
        {"ballot": ballot, "rows": [(h, labels.get(said.get(h.pk, ""), "未投票")) for h in parts]},
    )
