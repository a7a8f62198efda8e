"""The five panels of a node's cockpit, as plain figures (no personal data).

Each function takes an organisation (its materialised path scopes every count) and a
period; counts are indexed aggregates over the node's subtree, and the case figures read
the rollup rows kept in the same transaction as the events (never a scan of all cases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people import tallies
from doorstep.atlas.people.models import VULNERABLE_TAGS, Dimension, Gender, PartyMember
from doorstep.atlas.people.queries import subtree_counts
from doorstep.atlas.places.models import Tenure
from doorstep.cases.calendar import TZ
from doorstep.cases.models import Case, CaseEvent, CategoryRollup, Flag, Rollup
from doorstep.cases.rates import RATES, rates_for, rates_for_each
from doorstep.cogov.figures import cadre_deeds
from doorstep.cogov.figures import cogov as cogov_figures
from doorstep.core.figure_cache import remembered
from doorstep.deliberation.figures import deliberation as deliberation_figures
from doorstep.nearby.activities.services import attendance
from doorstep.nearby.circle.models import CoverageRun
from doorstep.nearby.sites.models import Booking, ServiceSite
from doorstep.service.figures import figures as service_figures

AGE_BANDS = ((0, 18, "0–17岁"), (18, 35, "18–34岁"), (35, 60, "35–59岁"), (60, 80, "60–79岁"),
             (80, 200, "80岁以上"))  # fmt: skip
TOP_CATEGORIES = 8


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _grids(org: Organisation) -> Any:
    """The subtree's grids as a subquery: each table is then read through its grid index
    (a join on the organisation's path would scan)."""
    return Organisation.objects.filter(path__startswith=org.path, kind=Kind.GRID).values("pk")


def _bands(today: dt.date) -> list[tuple[str, str, str]]:
    # born after (today - high years) and on or before (today - low years)
    return [
        (label, _years_ago(today, high).isoformat(), _years_ago(today, low).isoformat())
        for low, high, label in AGE_BANDS
    ]


def population(org: Organisation, today: dt.date, counted: Any = None) -> dict[str, Any]:
    """Residents by type, sex, age band and vulnerable group, from the node's population
    counters (kept with every write to a resident; no resident row is read, no tag is
    decrypted)."""
    t = counted or tallies.read(org, _bands(today))
    by_type = t[Dimension.TYPE]
    return {
        "residents": sum(by_type.values()),
        "male": t[Dimension.SEX].get(Gender.MALE, 0),
        "female": t[Dimension.SEX].get(Gender.FEMALE, 0),
        "by_type": {k: v for k, v in sorted(by_type.items()) if v},
        "age_bands": t["age_bands"],
        "unknown_age": t["unknown_age"],
        "vulnerable": {label: t[Dimension.TAG].get(code, 0) for code, label in VULNERABLE_TAGS},
    }


def housing(org: Organisation, counts: Any = None, counted: Any = None) -> dict[str, Any]:
    """Buildings (one indexed count) and households by tenure (the population counters)."""
    counts = counts or subtree_counts(org, [org], from_counters=True)[org.pk]
    counted = counted or tallies.read(org, [])
    tenure = {k: v for k, v in sorted(counted[Dimension.TENURE].items()) if v}
    return {
        "buildings": counts.buildings,
        "households": sum(tenure.values()),
        "rented": tenure.get(Tenure.RENTED, 0),
        "vacant": tenure.get(Tenure.VACANT, 0),
        "owner": tenure.get(Tenure.OWNER, 0),
        "by_tenure": tenure,
    }


def party(
    org: Organisation,
    period: Period,
    counts: Any = None,
    serving: Any = None,
    counted: Any = None,
) -> dict[str, Any]:
    counts = counts or subtree_counts(org, [org], from_counters=True)[org.pk]
    counted = counted or tallies.read(org, [])
    reported = PartyMember.objects.filter(reported_community__path__startswith=org.path)
    serving = serving or service_figures(org, period.start, period.end)
    return {
        "party_organisations": counts.party_organisations,
        "party_branches": counts.party_branches,
        "party_members": counted[Dimension.MEMBER].get("", 0),
        "central_households": counts.central_households,
        "households_linked": counted[Dimension.LINKED].get("", 0),
        "in_service_reported": reported.count(),
        "posts": serving["posts"],
        "post_slots": serving["post_slots"],
        "posts_filled": serving["posts_filled"],
        "link_coverage": serving["link_coverage"],
        "visited_households": serving["visited_households"],
        "teams": serving["teams"],
        "team_members": serving["members"],
    }


def _granularity(period: Period) -> tuple[str, Any]:
    """Days for up to two months, weeks up to a year, months beyond."""
    if period.days <= 62:
        return "day", TruncDay
    if period.days <= 366:
        return "week", TruncWeek
    return "month", TruncMonth


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _whole_months(period: Period) -> bool:
    """Whether the period is whole calendar months (the current one counting as whole: no
    case is filed after today)."""
    ends_a_month = (period.end + dt.timedelta(days=1)).day == 1
    return period.start.day == 1 and (ends_a_month or period.end >= timezone.localdate())


class TopCategory(tuple[str, int]):
    """One bar of the categories chart: (name, n) as the briefing and the exports read it,
    plus the category's id (None for 未分类) for the chart's links to the case list."""

    category_id: int | None

    def __new__(cls, name: str, n: int, category_id: int | None) -> TopCategory:
        row = super().__new__(cls, (name, n))
        row.category_id = category_id
        return row

    def __getnewargs__(self) -> tuple[str, int, int | None]:  # type: ignore[override]
        return (self[0], self[1], self.category_id)  # so copies and pickles keep the id


def top_categories(org: Organisation, period: Period, received: int) -> list[TopCategory]:
    """The categories most received (受理) in the period, as the 受理量 figure counts them.
    For whole months, from the category counters (cases without a category are the rest of
    the received figure); for other periods, a count over the period's receiving events."""
    if _whole_months(period):
        rows = list(
            CategoryRollup.objects.filter(
                organisation=org, month__gte=period.start, month__lte=period.end
            )
            .values("category_id", "category__name")
            .annotate(n=Sum("received"))
            .filter(n__gt=0)
            .order_by("-n", "category__name", "category_id")
        )
        named = [TopCategory(r["category__name"], r["n"], r["category_id"]) for r in rows]
        rest = received - sum(row[1] for row in named)
        if rest > 0:
            named = sorted([*named, TopCategory("未分类", rest, None)], key=lambda r: (-r[1], r[0]))
        return named[:TOP_CATEGORIES]
    # the local days as a range of moments, which the index on `at` can read
    received_events = CaseEvent.objects.filter(
        case__territory_path__startswith=org.path,
        at__gte=dt.datetime.combine(period.start, dt.time(), TZ),
        at__lt=dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), TZ),
        data__received=True,
    )
    top = (
        received_events.values("case__category_id", "case__category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "case__category__name", "case__category_id")
    )
    return [
        TopCategory(r["case__category__name"] or "未分类", r["n"], r["case__category_id"])
        for r in top[:TOP_CATEGORIES]
    ]


SHOWN_RATES = ("closing_rate", "on_time_rate", "satisfaction_rate", "response_rate", "solve_rate")


def cases(org: Organisation, period: Period) -> dict[str, Any]:
    rates = rates_for(org, period.start, period.end)
    under = Case.objects.filter(territory_path__startswith=org.path)
    step, trunc = _granularity(period)
    trend = list(
        Rollup.objects.filter(organisation=org, day__gte=period.start, day__lte=period.end)
        .annotate(bucket=trunc("day"))
        .values("bucket")
        .annotate(received=Sum("received"), closed=Sum("closed"))
        .order_by("bucket")
    )
    return {
        "rates": rates,
        "shown_rates": [(code, RATES[code].label) for code in SHOWN_RATES],
        **under.open().aggregate(
            # as Case.objects.overdue() and .due_soon() count them, in one pass
            overdue=Count("pk", filter=Q(flag=Flag.OVERDUE)),
            due_soon=Count("pk", filter=Q(flag=Flag.SOON)),
        ),
        "top_categories": top_categories(org, period, rates["received"]),
        "trend": [(_day(r["bucket"]).isoformat(), r["received"], r["closed"]) for r in trend],
        "trend_step": step,
    }


def _attendance(org: Organisation, period: Period) -> dict[str, Any]:
    return attendance(
        org,
        start=dt.datetime.combine(period.start, dt.time(), TZ),
        end=dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), TZ),
    )


def compared(org: Organisation, period: Period) -> dict[str, Any]:
    """The figures a briefing compares with the period before — cases received,
    activities held, verified volunteer hours — each as `cases` and `services` count it,
    without the rest of the cockpit."""
    return {
        "received": rates_for(org, period.start, period.end)["received"],
        "activities": _attendance(org, period)["sessions"],
        "volunteer_hours": service_figures(org, period.start, period.end)["verified_hours"],
    }


def services(org: Organisation, period: Period, serving: Any = None) -> dict[str, Any]:
    sites = ServiceSite.objects.filter(territory_path__startswith=org.path, active=True)
    bookings = Booking.objects.filter(
        room__site__territory_path__startswith=org.path,
        start__date__gte=period.start,
        start__date__lte=period.end,
        status__in=("approved", "checked_in", "no_show"),
    )
    held = _attendance(org, period)
    serving = serving or service_figures(org, period.start, period.end)
    return {
        "sites": sites.count(),
        "sites_by_kind": dict(sites.values_list("kind").annotate(n=Count("pk")).order_by("kind")),
        "coverage": coverage_share(org),
        "bookings": bookings.count(),
        "activities": held["sessions"],
        "attendances": held["attendances"],
        "volunteer_hours": serving["verified_hours"],
        "served": serving["served"],
    }


def latest_run_rows() -> dict[str, Any]:
    """The summary of the latest finished coverage run ({} when there is none)."""
    run = CoverageRun.objects.filter(status="done").defer("buildings").first()
    return (run.summary or {}) if run is not None else {}


def coverage_share(org: Organisation) -> float | None:
    """The household share covered within 15 minutes, from the latest finished run."""
    summary = latest_run_rows()
    if not summary:
        return None
    if org.kind in (Kind.STREET, Kind.DISTRICT):
        totals = summary.get("totals") or {}
        return totals.get("household_share")
    for row in summary.get("communities", []) + summary.get("grids", []):
        if row.get("org_id") == org.pk:
            return row.get("household_share")
    return None


def _serving(org: Organisation, period: Period) -> dict[str, Any]:
    """The service figures the party and services panels share."""
    return remembered(
        "service:figures",
        (org.pk, org.path, period.start, period.end),
        lambda: service_figures(org, period.start, period.end),
    )


def _people(org: Organisation, period: Period, today: dt.date) -> dict[str, Any]:
    # The subtree's buildings, households and party organisations, shared by housing and
    # party; residents and party members come from the population counters.
    counts = subtree_counts(org, [org], from_counters=True)[org.pk]
    counted = tallies.read(org, _bands(today))
    serving = _serving(org, period)
    return {
        "population": population(org, today, counted),
        "housing": housing(org, counts, counted),
        "party": party(org, period, counts, serving, counted),
    }


def rates_kept(orgs: list[Organisation], period: Period) -> dict[int, dict]:
    """`rates_for_each`, through the figure cache."""
    key = (tuple(o.pk for o in orgs), period.start, period.end)
    return remembered(
        "cases:rates_for_each", key, lambda: rates_for_each(orgs, period.start, period.end)
    )


def compared_kept(org: Organisation, period: Period) -> dict[str, Any]:
    """`compared`, through the figure cache, its parts kept apart: the cases received
    change with every case written, the activities and the volunteer hours seldom."""
    key = (org.pk, org.path, period.start, period.end)
    held = remembered("cockpit:attendance", key, lambda: _attendance(org, period))
    return {
        "received": rates_kept([org], period)[org.pk]["received"],
        "activities": held["sessions"],
        "volunteer_hours": _serving(org, period)["verified_hours"],
    }


def cockpit(org: Organisation, period: Period, today: dt.date) -> dict[str, Any]:
    """Every panel of the node. Each part is kept in the figure cache
    (core/figure_cache.py) until a table it read is written: under load the case tables
    change every few seconds, the people, places, services and co-governance ones seldom."""
    key = (org.pk, org.path, org.kind, period.start, period.end, today)
    return {
        **remembered("cockpit:people", key, lambda: _people(org, period, today)),
        "cases": remembered("cockpit:cases", key, lambda: cases(org, period)),
        "services": remembered(
            "cockpit:services", key, lambda: services(org, period, _serving(org, period))
        ),
        "cogov": {
            **remembered(
                "cockpit:cogov",
                key,
                lambda: cogov_figures(org, period.start, period.end, deeds=False),
            ),
            "cadre_deeds": remembered(
                "cockpit:cadre_deeds", key, lambda: cadre_deeds(org, period.end)
            ),
        },
        "deliberation": remembered(
            "cockpit:deliberation",
            key,
            lambda: deliberation_figures(org, period.start, period.end),
        ),
    }
