"""Points pages: my balance and ledger, the redemption catalogue of my communities, and
redeeming (refused beyond the balance or the stock, with the reason)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.nearby.sites.scoping import home_street_q
from doorstep.service import ledger
from doorstep.service.errors import ServiceError
from doorstep.service.models import PointLine, Redemption, Reward


def _catalogue(user: Any) -> Any:
    street = home_street_q(user, "organisation_path")
    return (
        Reward.objects.visible_to(user).filter(street, active=True).select_related("organisation")
    )


@login_required
def points(request: HttpRequest, status: int = 200) -> HttpResponse:
    user: Any = request.user
    context = {
        "account": ledger.balance_of(user),
        "rewards": _catalogue(user),
        "lines": PointLine.objects.visible_to(user)
        .filter(user=user)
        # The ledger's own order: each line's 余额 follows from the one before it. (A line's
        # time may be earlier than an older line's, e.g. credits for work done before.)
        .order_by("-id")[:50],
        "redemptions": Redemption.objects.filter(user=user).select_related("reward")[:20],
    }
    return render(request, "service/points.html", context, status=status)


@login_required
@require_POST
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    reward = _catalogue(request.user).filter(pk=pk).first()
    if reward is None:
        raise Http404("该物品不存在或已下架")
    raw = str(request.POST.get("quantity") or "1")
    try:
        quantity = int(raw) if len(raw) < 6 else 0
    except ValueError:
        quantity = 0
    user = actor_of(request)
    try:
        ledger.redeem(user=user, reward=reward, quantity=quantity, actor=user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return points(request, status=exc.status)
    messages.success(request, f"已兑换 {reward.name}×{quantity}，请到{reward.organisation}领取")
    return redirect("serve:points")
