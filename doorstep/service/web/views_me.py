"""The me page (我的服务) of a party member or volunteer: posts, claims, hours (verified and
pending, never mixed), points, teams, linked households and their visits, certificates."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from doorstep.atlas.people.models import HouseholdLink
from doorstep.cases.models import Assignment
from doorstep.service import dual_report, ledger, records, visits
from doorstep.service.models import (
    Certificate,
    LineKind,
    Period,
    PointLine,
    PostHolding,
    ServiceRecord,
    TeamMember,
)
from doorstep.service.rules import period_start


def _month_points(user: Any) -> int:
    """Points earned this month (grants less reversals; spending does not count)."""
    since = period_start(Period.MONTH, timezone.now())
    earned = (
        PointLine.objects.visible_to(user)
        .filter(user=user, created_at__gte=since, kind__in=(LineKind.GRANT, LineKind.REVERSAL))
        .aggregate(total=Sum("amount"))["total"]
    )
    return int(earned or 0)


def _my_rank(user: Any) -> dict[str, Any] | None:
    """My place this month on my community's list (先锋榜样 for members, else 优秀志愿者)."""
    from doorstep.atlas.people.models import PartyMember
    from doorstep.service import honours

    community = honours.home_community(user)
    if community is None:
        return None
    member = PartyMember.objects.outside_door("whether the user is a party member")
    kind = "pioneer" if member.filter(resident__user=user).exists() else "volunteer"
    start = honours.current_start("month")
    for entry in honours.ranking(
        community, kind=kind, period_kind="month", period_start=start, limit=None
    ):
        if entry.user_id == user.pk:
            return {"rank": entry.rank, "community": community, "kind": kind}
    return None


@login_required
def me(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    central = visits.central_of(user)
    member = dual_report.member_of(user)
    linked: list[Any] = []
    if central is not None:
        linked = list(
            HouseholdLink.objects.filter(central=central)
            .select_related("household__unit__building")
            .annotate(last_visit=Max("household__visits__visited_on"))
            .order_by("household__unit__building__name", "household__room")
        )
    context = {
        "holdings": PostHolding.objects.filter(user=user)
        .exclude(status="declined")
        .select_related("post__organisation")
        .order_by("-applied_at")[:20],
        "claims": Assignment.objects.filter(user=user, via="claim")
        .select_related("case")
        .order_by("-created_at")[:10],
        "hours": records.totals(user),
        "recent": ServiceRecord.objects.visible_to(user)
        .filter(user=user)
        .order_by("-started_at")[:10],
        "account": ledger.balance_of(user),
        "month_points": _month_points(user),
        "lines": PointLine.objects.visible_to(user)
        .filter(user=user)
        # The ledger's own order: each line's 余额 follows from the one before it. (A line's
        # time may be earlier than an older line's, e.g. credits for work done before.)
        .order_by("-id")[:10],
        "teams": TeamMember.objects.filter(user=user, left_at__isnull=True).select_related(
            "team__theme", "team__organisation"
        ),
        "central": central,
        "is_member": member is not None,
        "reported": member.reported_community if member is not None else None,
        "linked": linked,
        "links_due_count": visits.due_links(central, timezone.localdate()).count()
        if central
        else 0,
        "visit_every": visits.VISIT_EVERY,
        "certificates": Certificate.objects.visible_to(user).filter(user=user)[:10],
        "my_rank": _my_rank(user),
    }
    return render(request, "service/me.html", context)
