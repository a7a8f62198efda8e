"""Which points rule applies where, and how much of its cap is left in a period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from doorstep.cases.calendar import TZ

from .models import LineKind, Period, PointLine, PointRule, RuleCode


def rule_for(code: str, organisation: Any) -> PointRule | None:
    """The nearest active rule for the code at or above the organisation, else the default."""
    ancestors = [int(x) for x in organisation.path.strip("/").split("/") if x]
    rules = {
        r.organisation_id: r
        for r in PointRule.objects.filter(code=code, active=True, organisation_id__in=ancestors)
    }
    for org_id in reversed(ancestors):
        if org_id in rules:
            return rules[org_id]
    return PointRule.objects.filter(code=code, organisation__isnull=True, active=True).first()


def period_start(period: str, at: dt.datetime) -> dt.datetime:
    local = at.astimezone(TZ)
    day = local.date()
    if period == Period.DAY:
        start = day
    elif period == Period.WEEK:
        start = day - dt.timedelta(days=day.weekday())
    elif period == Period.MONTH:
        start = day.replace(day=1)
    else:
        start = day.replace(month=1, day=1)
    return dt.datetime.combine(start, dt.time(), TZ)


def room_left(rule: PointRule, user: Any, at: dt.datetime | None = None) -> int | None:
    """Points the user may still earn under the rule this period (None: no cap)."""
    if rule.cap is None:
        return None
    since = period_start(rule.period, at or timezone.now())
    earned = (
        PointLine.objects.filter(
            user=user,
            rule=rule.code,
            kind__in=(LineKind.GRANT, LineKind.REVERSAL),
            created_at__gte=since,
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(0, rule.cap - earned)


def set_rule(
    *,
    actor: Any,
    organisation: Any,
    code: str,
    points: int,
    cap: int | None,
    period: str,
    active: bool,
) -> PointRule:
    """Staff set the rule for an action in their own area (the district-wide defaults stay
    as they are); the change is audited."""
    from django.db import transaction

    from doorstep.accounts.scopes import scope_of
    from doorstep.core import audit

    from .errors import Denied, ServiceError

    if not (
        actor.has_perm("service.change_pointrule") and scope_of(actor).covers(organisation.path)
    ):
        raise Denied("只能设置本辖区的积分规则")
    if code not in RuleCode.values or period not in Period.values:
        raise ServiceError("规则或周期不正确")
    if not 0 <= points <= 10_000 or (cap is not None and not 1 <= cap <= 1_000_000):
        raise ServiceError("积分应在0到10000之间，上限应在1到1000000之间", "points")
    with transaction.atomic():
        rule, _ = PointRule.objects.update_or_create(
            code=code,
            organisation=organisation,
            defaults={"points": points, "cap": cap, "period": period, "active": active},
        )
        audit.record(
            actor=actor,
            action="update",
            target=rule,
            detail={"points": points, "cap": cap, "period": period, "active": active},
        )
    return rule
