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
from doorstep.nearby.activities.models import SignUp, SignUpRole
from doorstep.service.models import Visit, VisitKind

from . import project_flow
from .models import (
    Agreement,
    Alliance,
    Fund,
    FundLine,
    LineKind,
    Need,
    NeedStatus,
    Pairing,
    PairingKind,
    Project,
    Resource,
    ResourceStatus,
)
from .pairings import deeds_q

WHY = "figures of a node the viewer may open in the cockpit: counts and sums only"
UNIT_KINDS = (Kind.CO_BUILDING, Kind.DEPARTMENT)


def unit_activity_turnout(org: Organisation) -> Any:
    """Volunteers' check-ins at the activities held in the node's area that a co-building
    unit or a department ran or co-ran: each is one 人次."""
    by_unit = Q(activity__organiser__kind__in=UNIT_KINDS) | Q(
        activity__co_organisers__kind__in=UNIT_KINDS
    )
    return SignUp.objects.filter(
        by_unit,
        activity__territory_path__startswith=org.path,
        role=SignUpRole.VOLUNTEER,
        checked_in_at__isnull=False,
    )


def unit_project_volunteers(org: Organisation) -> Any:
    """The node's finished projects that co-building units took part in (their volunteers
    are counted on the project)."""
    return (
        Project.objects.outside_door(WHY)
        .filter(path__startswith=org.path, partners__isnull=False)
        .filter(status__in=[project_flow.P.PUBLIC, project_flow.P.RATED])
        .distinct()
    )


def cadre_visits(org: Organisation) -> Any:
    """区、街两级干部's 三结三问 visits to the node's area."""
    return Visit.objects.outside_door(WHY).filter(kind=VisitKind.CADRE, path__startswith=org.path)


def pairing_figures(org: Organisation, start: dt.date, end: dt.date) -> dict[str, int]:
    """Alliances led in the area and the units with an agreement in force on the last day
    of the period; departments paired with its communities and the cadres linked to it then;
    cadres' visits in the period, and the 民生实事 their visits pushed to closure so far."""
    on = min(end, timezone.localdate())
    alliances = Alliance.objects.outside_door(WHY).filter(path__startswith=org.path)
    members = (
        Agreement.objects.filter(alliance__in=alliances, starts_on__lte=on, ends_on__gt=on)
        .values("unit")
        .distinct()
        .count()
    )
    pairings = (
        Pairing.objects.outside_door(WHY)
        .filter(path__startswith=org.path)
        .in_force(on)
        .aggregate(
            paired_departments=Count(
                "department", distinct=True, filter=Q(kind=PairingKind.DEPARTMENT)
            ),
            linked_cadres=Count("cadre", distinct=True, filter=Q(kind=PairingKind.CADRE)),
        )
    )
    visits = cadre_visits(org)
    return {
        "alliances": alliances.count(),
        "alliance_units": members,
        **pairings,
        "cadre_visits": visits.filter(visited_on__gte=start, visited_on__lte=end).count(),
    }


def cadre_deeds(org: Organisation, end: dt.date) -> int:
    """The 民生实事 cadres' visits up to `end` pushed to closure (one reads the cases: the
    cockpit keeps it apart from the other figures, which case writes do not change)."""
    return (
        cadre_visits(org)
        .filter(visited_on__lte=end)
        .filter(deeds_q())
        .values("pk")
        .distinct()
        .count()
    )


def cogov(org: Organisation, start: dt.date, end: dt.date, *, deeds: bool = True) -> dict[str, Any]:
    """Units and resources serving the node, needs, projects by stage, the fund's income in
    the period and spending on the node's projects, units' volunteers (on its projects and
    at the activities units ran in it), alliances, pairings and cadres' visits, and (unless
    `deeds` is off) what those visits pushed to closure (`cadre_deeds`)."""
    offered = (
        Resource.objects.outside_door(WHY)
        .filter(status=ResourceStatus.ACTIVE)
        .filter(Q(path__startswith=org.path) | Q(path__in=prefixes(org.path, include_self=False)))
    )
    resources = offered.aggregate(
        n=Count("pk"),
        units=Count("provider", distinct=True, filter=Q(provider__kind__in=UNIT_KINDS)),
    )
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
    on_projects = (
        Project.objects.outside_door(WHY)
        .filter(pk__in=unit_project_volunteers(org).values("pk"))
        .aggregate(v=Sum("volunteers"))["v"]
        or 0
    )
    at_activities = unit_activity_turnout(org).values("pk").distinct().count()
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    # income to the node's funds and spending on its projects, in one pass over the
    # period's lines (neither undone by a reversal)
    lines = (
        FundLine.objects.filter(posted_at__gte=since, posted_at__lt=until)
        .filter(
            Q(kind=LineKind.INCOME, fund__path__startswith=org.path)
            | Q(kind=LineKind.EXPENSE, project__path__startswith=org.path)
        )
        .filter(reversed_by__isnull=True)
        .aggregate(
            income=Sum("amount", filter=Q(kind=LineKind.INCOME)),
            spent=Sum("amount", filter=Q(kind=LineKind.EXPENSE)),
        )
    )
    income = lines["income"] or Decimal("0")
    spent = lines["spent"] or Decimal("0")
    balance = (
        Fund.objects.outside_door(WHY)
        .filter(path__startswith=org.path)
        .aggregate(s=Sum("balance"))["s"]
    )
    return {
        "units": resources["units"],
        "resources": resources["n"],
        "needs_open": needs["open"] + needs["matched"],
        "needs_met": needs["met"],
        "projects_live": sum(n for code, _l, n in stages if code in project_flow.LIVE),
        "projects_done": by_stage.get(project_flow.P.PUBLIC, 0)
        + by_stage.get(project_flow.P.RATED, 0),
        "stages": stages,
        "fund_in": income,
        "fund_out": spent,
        "fund_balance": balance,
        "unit_volunteers": on_projects + at_activities,
        "unit_volunteers_projects": on_projects,
        "unit_volunteers_activities": at_activities,
        **pairing_figures(org, start, end),
        **({"cadre_deeds": cadre_deeds(org, end)} if deeds else {}),
    }
