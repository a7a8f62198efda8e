"""Figures of an organisation for the cockpit (one query module, read only): teams,
members, posts filled, verified hours, 人次 served, household-link coverage, points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from .models import (
    HoldingStatus,
    LineKind,
    PointLine,
    Post,
    RecordStatus,
    ServiceRecord,
    Team,
    TeamMember,
)
from .visits import coverage


def _hours(value: Any) -> Decimal:
    """Sums of hours to the hundredth (SQLite sums decimals as floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def figures(org: Any, since: dt.date, until: dt.date) -> dict[str, Any]:
    """Everything under the organisation; hours and 人次 within [since, until]."""
    path = org.path
    teams = Team.objects.filter(organisation_path__startswith=path, active=True)
    members = (
        TeamMember.objects.filter(team__in=teams, left_at__isnull=True)
        .values("user_id")
        .distinct()
        .count()
    )
    posts = Post.objects.filter(organisation_path__startswith=path, active=True).aggregate(
        posts=Count("pk", distinct=True),
        slots=Sum("slots"),
    )
    filled = (
        Post.objects.filter(organisation_path__startswith=path, active=True)
        .filter(holdings__status=HoldingStatus.HOLDING)
        .aggregate(n=Count("holdings", distinct=True))["n"]
    )
    recs = ServiceRecord.objects.filter(
        organisation_path__startswith=path,
        started_at__date__gte=since,
        started_at__date__lte=until,
    ).aggregate(
        verified_hours=Sum("hours", filter=Q(status=RecordStatus.VERIFIED)),
        pending_hours=Sum("hours", filter=Q(status=RecordStatus.PENDING)),
        served=Count("pk", filter=Q(status=RecordStatus.VERIFIED)),
        servers=Count("user", filter=Q(status=RecordStatus.VERIFIED), distinct=True),
    )
    points = PointLine.objects.filter(
        organisation_path__startswith=path,
        created_at__date__gte=since,
        created_at__date__lte=until,
    ).aggregate(
        granted=Sum("amount", filter=Q(kind__in=(LineKind.GRANT, LineKind.REVERSAL))),
        redeemed=Sum("amount", filter=Q(kind__in=(LineKind.REDEMPTION, LineKind.REFUND))),
    )
    links = coverage(path, since=since, until=until)
    return {
        "teams": teams.count(),
        "members": members,
        "posts": posts["posts"] or 0,
        "post_slots": posts["slots"] or 0,
        "posts_filled": filled or 0,
        "verified_hours": _hours(recs["verified_hours"]),
        "pending_hours": _hours(recs["pending_hours"]),
        "served": recs["served"] or 0,
        "servers": recs["servers"] or 0,
        "points_granted": points["granted"] or 0,
        "points_redeemed": -(points["redeemed"] or 0),
        "linked_households": links.linked,
        "visited_households": links.visited,
        "link_coverage": links.share,
    }
