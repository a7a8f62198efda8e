"""The assessment page (考核) of a node: a scorecard's monthly results for the communities or
grids under it — the figures behind every score, points, totals, ranks and 红黑榜.

Officers who may change the card in force (its owner in their scope, see `scorecards`) get a
form for its weights, targets, directions and indicators; a street officer looking at a
default card gets "为本街道定制考核方案", which copies it for the street.

`?card=ID&month=YYYY-MM` picks the card (default: the first in force at the node) and the
month (default: this month). A malformed or unknown card or month, or a bad edit, is refused
with a message (400) and nothing is written; an edit without the right is a 403.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from doorstep.atlas.organisations.models import Organisation

from . import access
from .assessment import assess, month_bounds
from .assessment_forms import card_from, month_from, parse_edit
from .indicators import REGISTRY
from .models import Direction, Scorecard
from .scorecards import (
    ScorecardError,
    cards_for,
    customise_scorecard,
    customise_target,
    edit_scorecard,
    may_edit,
    owner_word,
)


def chosen(request: HttpRequest, org: Organisation) -> tuple[list[Scorecard], Scorecard, dt.date]:
    """The cards in force at the node, the one asked for and the month (ScorecardError)."""
    cards = cards_for(org)
    month = month_from(str(request.GET.get("month") or ""), timezone.localdate())
    return cards, card_from(str(request.GET.get("card") or ""), cards), month


def _post(request: HttpRequest, org: Organisation, card: Scorecard) -> Scorecard:
    """Make the submitted change; the card to show afterwards (a copy after customising)."""
    action = str(request.POST.get("action") or "edit")
    if action == "customise":
        return customise_scorecard(card=card, org=org, actor=request.user)
    if action != "edit":
        raise ScorecardError("未知操作")
    if not may_edit(request.user, card):
        raise PermissionDenied("没有修改该考核方案的权限")
    indicators = list(card.indicators.order_by("order", "pk"))
    edit_scorecard(card=card, edit=parse_edit(request.POST, indicators), actor=request.user)
    return card


def _context(
    request: HttpRequest, org: Organisation, cards: list[Scorecard], card: Scorecard, month: dt.date
) -> dict[str, Any]:
    today = timezone.localdate()
    indicators = list(card.indicators.order_by("order", "pk"))
    rows = assess(card, org, month)
    start, end = month_bounds(month)
    owner = customise_target(request.user, org, card)
    used = {i.code for i in indicators}
    return {
        "org": org,
        "card": card,
        "cards": cards,
        "month": f"{month:%Y-%m}",
        "start": start,
        "end": min(end, today),
        "indicators": [(i, REGISTRY[i.code]) for i in indicators],
        "weight_sum": sum((i.weight for i in indicators), Decimal(0)),
        "rows": rows,
        "red": [r for r in rows if r.board == "red"],
        "black": [r for r in rows if r.board == "black"],
        "may_edit": may_edit(request.user, card),
        "customise_owner": owner,
        "customise_label": f"为{owner_word(owner)}定制考核方案" if owner else "",
        "directions": Direction.choices,
        "addable": [(code, spec) for code, spec in REGISTRY.items() if code not in used],
        "export_query": urlencode({"card": card.pk, "month": f"{month:%Y-%m}"}),
    }


@login_required
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.node(request.user, pk)
    try:
        cards, card, month = chosen(request, org)
    except ScorecardError as exc:
        return render(request, "cockpit/error.html", {"error": exc.message}, status=400)
    error = ""
    if request.method == "POST":
        try:
            card = _post(request, org, card)
        except ScorecardError as exc:
            error = exc.message
        else:
            query = urlencode({"card": card.pk, "month": f"{month:%Y-%m}"})
            return redirect(f"{reverse('cockpit:assessment', args=[org.pk])}?{query}")
    context = _context(request, org, cards, card, month)
    context["error"] = error
    return render(request, "cockpit/assessment.html", context, status=400 if error else 200)
