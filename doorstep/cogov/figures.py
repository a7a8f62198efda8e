"""The co-governance figures of a node, for the cockpit and the briefing (reads only).

Counted over the node's subtree (needs, projects, fund spending on its projects) and, for
what is offered to it, over the areas above it as well (a street's co-building units serve
every community of the street). No personal data: counts and sums.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core.access import prefixes

from . import project_flow
from .models import Fund, FundLine, LineKind, Need, NeedStatus, Project, Resource, ResourceStatus

WHY = "figures of a node the viewer may open in the cockpit: counts and sums only"
UNIT_KINDS = (Kind.CO_BUILDING, Kind.DEPARTMENT)


def cogov(org: Organisation, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Units and resources serving the node, needs, projects by stage, the fund's income in
    the period and spending on the node's projects, and units' volunteers on its projects."""
    offered = (
        Resource.objects.outside_door(WHY)
        .filter(status=ResourceStatus.ACTIVE)
        .filter(Q(path__startswith=org.path) | Q(path__in=prefixes(org.path, include_self=False)))
    )
    units = offered.filter(provider__kind__in=UNIT_KINDS).values("provider").distinct().count()
    needs = (
        Need.objects.outside_door(WHY)
        .filter(path__startswith=org.path)
        .aggregate(
            open=Count("id", filter=Q(status=NeedStatus.OPEN)),
            matched=Count("id", filter=Q(status=NeedStatus.MATCHED)),
            met=Count("id", filter=Q(status=NeedStatus.MET)),
        )
    )
    projects = Project.objects.outside_door(WHY).filter(path__startswith=org.path)
    by_stage = dict(projects.values_list("status").annotate(n=Count("id")).order_by())
    stages = [
        (code, project_flow.STATUS_LABELS[code], by_stage.get(code, 0))
        for code in project_flow.STAGES
    ]
    done = projects.filter(status__in=[project_flow.P.PUBLIC, project_flow.P.RATED])
    unit_volunteers = (
        done.filter(partners__isnull=False).distinct().aggregate(v=Sum("volunteers"))["v"] or 0
    )
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    in_period = FundLine.objects.filter(posted_at__gte=since, posted_at__lt=until)
    income = in_period.filter(
        kind=LineKind.INCOME, fund__path__startswith=org.path, reversed_by__isnull=True
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    spent = in_period.filter(
        kind=LineKind.EXPENSE, project__path__startswith=org.path, reversed_by__isnull=True
    ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    balance = (
        Fund.objects.outside_door(WHY)
        .filter(path__startswith=org.path)
        .aggregate(s=Sum("balance"))["s"]
    )
    return {
        "units": units,
        "resources": offered.count(),
        "needs_open": needs["open"] + needs["matched"],
        "needs_met": needs["met"],
        "projects_live": sum(n for code, _l, n in stages if code in project_flow.LIVE),
        "projects_done": by_stage.get(project_flow.P.PUBLIC, 0)
        + by_stage.get(project_flow.P.RATED, 0),
        "stages": stages,
        "fund_in": income,
        "fund_out": spent,
        "fund_balance": balance,
        "unit_volunteers": unit_volunteers,
    }
