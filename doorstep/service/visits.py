"""Party central households' visits to their linked households (党员联户), and coverage:
how many linked households were visited in a period, per building and grid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.atlas.people.models import CentralHousehold, Dimension, HouseholdLink, PopulationTally

from . import ledger
from .errors import Denied, ServiceError
from .models import RuleCode, Visit, VisitKind, VisitOutcome


def central_of(user: Actor) -> CentralHousehold | None:
    return (
        CentralHousehold.objects.filter(keeper__resident__user=user)
        .select_related("organisation")
        .first()
    )


VISIT_EVERY = 30  # days: a linked household not visited for this long is due a visit


def due_links(central: CentralHousehold, today: dt.date) -> Any:
    """The central household's links not visited in the last `VISIT_EVERY` days, the
    longest waiting first (never visited before all)."""
    since = today - dt.timedelta(days=VISIT_EVERY)
    return (
        HouseholdLink.objects.filter(central=central)
        .annotate(last=Max("household__visits__visited_on"))
        .filter(Q(last__isnull=True) | Q(last__lt=since))
        .select_related("household__unit__building")
        .order_by(F("last").asc(nulls_first=True), "household_id")
    )


def log_visit(
    *,
    actor: Actor,
    household: Any,
    visited_on: dt.date,
    found: str,
    follow_up_case: Any = None,
) -> Visit:
    """The keeper of a central household logs a visit to one of its linked households."""
    central = central_of(actor)
    if central is None:
        raise Denied("只有党员中心户可以记录联户走访")
    link = HouseholdLink.objects.filter(central=central, household=household).first()
    if link is None:
        raise Denied("该户不是您的联系户")
    with transaction.atomic():
        visit = record_visit(
            visitor=actor,
            kind=VisitKind.HOUSEHOLD,
            visited_on=visited_on,
            found=found,
            path=household.grid.path,
            central=central,
            household=household,
            follow_up_case=follow_up_case,
        )
        ledger.grant(
            user=actor,
            code=RuleCode.VISIT_LOGGED,
            source=f"visit:{household.pk}:{visited_on:%Y-%m-%d}",
            organisation=household.grid,
        )
    return visit


ASKS = {"need": "问需", "advice": "问计", "effect": "问效"}  # 三结三问
BACKDATE_DAYS = 60  # a visit may be logged up to this many days after it was made


def record_visit(
    *,
    visitor: Actor,
    kind: str,
    visited_on: Any,
    found: Any,
    path: str,
    asks: Any = (),
    outcome: str = "",
    **place: Any,
) -> Visit:
    """Every kind of visit is written here (the caller has checked who may): what was
    found, when (not ahead of today, at most `BACKDATE_DAYS` back), and for a cadre's visit
    which of 问需/问计/问效 it asked."""
    found = found.strip() if isinstance(found, str) else ""
    if not found or len(found) > 500 or any(ord(c) < 32 and c not in "\n\t" for c in found):
        raise ServiceError("请填写走访情况（不超过500字）", "found")
    if not isinstance(visited_on, dt.date):
        raise ServiceError("请填写走访日期", "visited_on")
    today = timezone.localdate()
    if visited_on > today:
        raise ServiceError("走访日期不能晚于今天", "visited_on")
    if visited_on < today - dt.timedelta(days=BACKDATE_DAYS):
        raise ServiceError(f"只能补记{BACKDATE_DAYS}天内的走访", "visited_on")
    if not set(asks or ()) <= set(ASKS):
        raise ServiceError("问需、问计、问效只能从清单中选择", "asks")
    asked = [code for code in ASKS if code in set(asks or ())]
    if kind == VisitKind.CADRE and not asked:
        raise ServiceError("请至少选择问需、问计、问效中的一项", "asks")
    if kind == VisitKind.KNOCK and outcome not in VisitOutcome.values:
        raise ServiceError("请选择走访结果", "outcome")
    return Visit.objects.create(
        kind=kind,
        path=path,
        visited_on=visited_on,
        found=found,
        asks=asked,
        outcome=outcome if kind == VisitKind.KNOCK else "",
        visitor=visitor,
        **place,
    )


@dataclass(frozen=True)
class LinkCoverage:
    linked: int
    visited: int

    @property
    def share(self) -> float | None:
        return self.visited / self.linked if self.linked else None


def coverage(path: str, *, since: dt.date, until: dt.date) -> LinkCoverage:
    """Linked households under the path (the node's population counter, not a count over
    the links), and how many of them were visited in the period."""
    links = HouseholdLink.objects.filter(household__grid__path__startswith=path)
    org_id = int(path.strip("/").split("/")[-1])
    linked = PopulationTally.objects.filter(
        organisation_id=org_id, dimension=Dimension.LINKED, key=""
    ).values_list("n", flat=True)
    visited = (
        links.filter(
            household__visits__visited_on__gte=since,
            household__visits__visited_on__lte=until,
        )
        .values("household_id")
        .distinct()
        .count()
    )
    return LinkCoverage(linked.first() or 0, visited)


def coverage_by(path: str, *, since: dt.date, until: dt.date, by: str) -> list[dict[str, Any]]:
    """Per building ("building") or grid ("grid"): linked and visited households."""
    field = {
        "building": "household__unit__building",
        "grid": "household__grid",
    }[by]
    in_period = Q(
        household__visits__visited_on__gte=since,
        household__visits__visited_on__lte=until,
    )
    rows = (
        HouseholdLink.objects.filter(household__grid__path__startswith=path)
        .values(f"{field}_id", f"{field}__name")
        .annotate(
            linked=Count("household", distinct=True),
            visited=Count("household", filter=in_period, distinct=True),
        )
        .order_by(f"{field}__name")
    )
    return [
        {
            "id": r[f"{field}_id"],
            "name": r[f"{field}__name"],
            "linked": r["linked"],
            "visited": r["visited"],
        }
        for r in rows
    ]
