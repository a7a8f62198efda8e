"""The assessment page (考核) of a node: a scorecard's monthly results for the communities or
grids under it — the figures behind every score, points, totals, ranks and 红黑榜 — and, for
staff who may change indicators, a form to edit the card's weights and targets (audited).

`?card=ID&month=YYYY-MM` picks the card (default: the first that applies to the node) and
the month (default: this month). A malformed or unknown card or month is refused with a
message (400) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from doorstep.core import audit
from doorstep.core.ids import parse_id
from doorstep.core.models import AuditAction
from doorstep.organisations.models import Kind, Organisation

from . import access
from .assessment import assess, month_bounds
from .indicators import REGISTRY
from .models import Indicator, Level, Scorecard

MONTH = re.compile(r"(\d{4})-(\d{1,2})")
DEPTH: dict[str, int] = {Kind.DISTRICT: 0, Kind.STREET: 1, Kind.COMMUNITY: 2, Kind.GRID: 3}
MAX_WEIGHT = Decimal("99999.99")
MAX_TARGET = Decimal("99999999.9999")


class BadRequest(Exception):
    pass


def cards_for(org: Organisation) -> list[Scorecard]:
    """Active scorecards whose level lies below the node."""
    mine = DEPTH.get(org.kind, 99)
    below = [level for level in Level.values if DEPTH[level] > mine]
    return list(Scorecard.objects.filter(active=True, level__in=below).order_by("level", "pk"))


def month_from(raw: str, today: dt.date) -> dt.date:
    raw = raw.strip()
    if not raw:
        return today.replace(day=1)
    m = MONTH.fullmatch(raw[:10])
    try:
        if m is None:
            raise ValueError
        month = dt.date(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise BadRequest("月份格式应为 年-月，例如 2026-05") from None
    if month > today:
        raise BadRequest("该月尚未开始")
    return month


def card_from(raw: str, cards: list[Scorecard]) -> Scorecard:
    raw = raw.strip()
    if not raw:
        if not cards:
            raise BadRequest("本级没有适用的考核方案（考核对象为下级社区或网格）")
        return cards[0]
    card_id = parse_id(raw)
    if card_id is None:
        raise BadRequest("考核方案编号应为数字")
    found = next((c for c in cards if c.pk == card_id), None)
    if found is None:
        raise BadRequest("考核方案不存在、已停用或不适用于本级")
    return found


def _number(raw: Any, label: str, low: Decimal, high: Decimal, strict: bool) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise BadRequest(f"{label}应为数字") from None
    if not value.is_finite() or value > high or value < low or (strict and value == low):
        bound = "大于" if strict else "不小于"
        raise BadRequest(f"{label}应{bound} {low} 且不超过 {high}")
    return value


def _edits(request: HttpRequest, indicators: list[Indicator]) -> list[tuple[Indicator, dict]]:
    """The changed indicators with their new weight and target (BadRequest on any error)."""
    changes = []
    for ind in indicators:
        label = REGISTRY[ind.code].label
        weight = _number(
            request.POST.get(f"weight_{ind.pk}", ""), f"{label}的权重", Decimal(0), MAX_WEIGHT, True
        ).quantize(Decimal("0.01"))
        target = _number(
            request.POST.get(f"target_{ind.pk}", ""), f"{label}的目标值", Decimal(0), MAX_TARGET,
            False,
        ).quantize(Decimal("0.0001"))  # fmt: skip
        if weight != ind.weight or target != ind.target:
            changes.append((ind, {"weight": weight, "target": target}))
    return changes


def _save(request: HttpRequest, card: Scorecard, indicators: list[Indicator]) -> None:
    if not request.user.has_perm("cockpit.change_indicator"):
        raise PermissionDenied("没有修改考核指标的权限")
    changes = _edits(request, indicators)
    if not changes:
        return
    with transaction.atomic():
        detail = {}
        for ind, new in changes:
            detail[ind.code] = {
                "weight": [str(ind.weight), str(new["weight"])],
                "target": [str(ind.target), str(new["target"])],
            }
            ind.weight, ind.target = new["weight"], new["target"]
            ind.save(update_fields=["weight", "target"])
        audit.record(actor=request.user, action=AuditAction.UPDATE, target=card, detail=detail)


@login_required
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.node(request.user, pk)
    today = timezone.localdate()
    cards = cards_for(org)
    try:
        month = month_from(str(request.GET.get("month") or ""), today)
        card = card_from(str(request.GET.get("card") or ""), cards)
    except BadRequest as exc:
        return render(request, "cockpit/error.html", {"error": str(exc)}, status=400)
    indicators = list(card.indicators.order_by("order", "pk"))
    error = ""
    if request.method == "POST":
        try:
            _save(request, card, indicators)
        except BadRequest as exc:
            error = str(exc)
        else:
            query = urlencode({"card": card.pk, "month": f"{month:%Y-%m}"})
            return redirect(f"{reverse('cockpit:assessment', args=[org.pk])}?{query}")
    rows = assess(card, org, month)
    start, end = month_bounds(month)
    context = {
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
        "may_edit": request.user.has_perm("cockpit.change_indicator"),
        "error": error,
    }
    return render(request, "cockpit/assessment.html", context, status=400 if error else 200)
