"""On the demo street (what `make demo` loads), every cockpit figure of the street, each
community and a grid equals a direct count over the rows behind it, and the street's
monthly briefing says the same figures."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db.models import Q, Sum
from django.utils import timezone
from docx import Document

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import (
    VULNERABLE_TAGS,
    CentralHousehold,
    HouseholdLink,
    PartyMember,
    Resident,
)
from doorstep.atlas.places.models import Building, Household
from doorstep.cases.models import Case, CaseEvent
from doorstep.cases.rates import RATES
from doorstep.cases.workflow import OPEN
from doorstep.cockpit.briefing import compose, render_docx
from doorstep.cockpit.panels import AGE_BANDS, Period, cockpit, compared, compared_kept


@pytest.fixture(scope="module")
def demo(demo_module):
    """The demo street (seeded once per test process, copied in for this module)."""
    return demo_module


def _pct(rate):
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _nodes(street: Organisation) -> list[Organisation]:
    communities = list(Organisation.objects.filter(parent=street, kind=Kind.COMMUNITY))
    grid = Organisation.objects.filter(path__startswith=street.path, kind=Kind.GRID).first()
    return [street, *communities, grid]


def test_population_housing_and_party_equal_direct_counts(demo, db):
    today = timezone.localdate()
    period = Period(today.replace(day=1), today)
    for org in _nodes(demo):
        f = cockpit(org, period, today)
        residents = list(Resident.objects.filter(grid__path__startswith=org.path))
        pop = f["population"]
        assert pop["residents"] == len(residents) > 0
        assert pop["male"] == sum(1 for r in residents if r.gender == "M")
        assert pop["female"] == sum(1 for r in residents if r.gender == "F")
        for kind in ("registered", "floating", "tenant"):
            assert pop["by_type"].get(kind, 0) == sum(
                1 for r in residents if r.residence_type == kind
            )
        for low, high, label in AGE_BANDS:
            assert pop["age_bands"][label] == sum(
                1 for r in residents if r.birth_date and low <= _age(r.birth_date, today) < high
            )
        for code, label in VULNERABLE_TAGS:  # decrypted here, counted there
            assert pop["vulnerable"][label] == sum(1 for r in residents if code in (r.tags or []))
        homes = Household.objects.filter(grid__path__startswith=org.path)
        assert f["housing"]["households"] == homes.count()
        for tenure in ("rented", "vacant", "owner"):
            assert f["housing"][tenure] == homes.filter(tenure=tenure).count()
        assert f["housing"]["buildings"] == (
            Building.objects.filter(grid__path__startswith=org.path).count()
        )
        party = f["party"]
        assert party["party_members"] == (
            PartyMember.objects.filter(resident__grid__path__startswith=org.path).count()
        )
        assert party["households_linked"] == (
            HouseholdLink.objects.filter(household__grid__path__startswith=org.path).count()
        )
        assert party["central_households"] == (
            CentralHousehold.objects.filter(organisation__path__startswith=org.path).count()
        )
        assert party["in_service_reported"] == (
            PartyMember.objects.filter(reported_community__path__startswith=org.path).count()
        )
    assert cockpit(demo, period, today)["population"]["vulnerable"]["独居老人"] > 0


def test_case_figures_equal_direct_counts(demo, db):
    today = timezone.localdate()
    for period in (
        Period(today.replace(day=1), today),
        Period(today - dt.timedelta(days=90), today),
    ):
        for org in _nodes(demo):
            f = cockpit(org, period, today)["cases"]
            under = Case.objects.filter(territory_path__startswith=org.path)
            received_ids = CaseEvent.objects.filter(
                case__territory_path__startswith=org.path,
                data__received=True,
                at__date__gte=period.start,
                at__date__lte=period.end,
            ).values("case_id")
            cohort = under.filter(pk__in=received_ids).exclude(status="cancelled")
            closed = cohort.filter(status__in=("closed", "archived"))
            assert f["rates"]["received"] == cohort.count()
            assert f["rates"]["closed"] == closed.count()
            assert f["rates"]["closed_late"] == closed.exclude(resolved_on_time=True).count()
            assert sum(n for _, n in f["top_categories"][:8]) <= f["rates"]["received"]
            # 已超期 and 将到期 are open cases only; a case closed late is 超期办结.
            open_ = under.filter(status__in=OPEN)
            assert f["overdue"] == open_.filter(flag="overdue").count()
            assert f["due_soon"] == open_.filter(flag="soon").count()
            assert not under.exclude(status__in=OPEN).exclude(flag="normal").exists()
            for code in RATES:
                assert f["rates"][code] is None or 0 <= f["rates"][code] <= 1, (org, code)
    month = cockpit(demo, Period(today - dt.timedelta(days=90), today), today)["cases"]
    assert month["rates"]["received"] > 0


def test_the_demo_streets_briefing_is_a_valid_docx_with_the_cockpits_figures(demo, db):
    street = demo
    today = timezone.localdate()
    first = today.replace(day=1)
    figures = cockpit(street, Period(first, today), today)
    document = Document(io.BytesIO(render_docx(compose(street, today, today))))
    text = "\n".join(p.text for p in document.paragraphs)
    r, s = figures["cases"]["rates"], figures["services"]
    assert (
        f"共受理群众诉求 {r['received']:,} 件，其中已办结 {r['closed']:,} 件，"
        f"办结率 {_pct(r['closing_rate'])}"
    ) in text
    assert f"开展活动 {s['activities']:,} 场次，服务居民 {s['attendances']:,} 人次" in text
    residents = figures["population"]["residents"]
    assert residents > 0 and f"辖区实有人口 {residents:,} 人" in text
    assert f"{street.name}{today.year}年{today.month}月工作简报" in text


def test_the_briefings_comparison_figures_equal_the_cockpits(demo, db):
    """compared() (the period before, in the briefing) counts as the cockpit does."""
    street = demo
    today = timezone.localdate()
    seen = set()
    for node in _nodes(street):
        for back in (0, 1, 2, 6):
            end = today - dt.timedelta(days=30 * back)
            period = Period(end.replace(day=1), end)
            figures = cockpit(node, period, today)
            expected = {
                "received": figures["cases"]["rates"]["received"],
                "activities": figures["services"]["activities"],
                "volunteer_hours": figures["services"]["volunteer_hours"],
            }
            assert compared(node, period) == expected
            assert compared_kept(node, period) == expected  # the briefing's, kept in parts
            seen |= {k for k, v in expected.items() if v}
    assert seen == {"received", "activities", "volunteer_hours"}  # none only ever zero


def test_deliberation_figures_equal_a_count_of_each_list(demo, db):
    """Each deliberation figure, though several share a query, equals the count of its
    list page's rows (`narrow` over the node and the days), one query per figure."""
    from doorstep.deliberation import figures as d
    from doorstep.deliberation.models import (
        Answer,
        Meeting,
        QuestionKind,
        ReceptionVisit,
        Resolution,
        SignIn,
        Topic,
        TopicStatus,
    )
    from doorstep.service.models import Visit, VisitKind

    def direct(org, start, end):
        meetings = d.narrow(Meeting.objects.all(), "starts_at", org, start, end)
        visits = d.received(ReceptionVisit.objects.all())
        seen = d.narrow(visits, "at", org, start, end)
        knocks = Visit.objects.filter(kind=VisitKind.KNOCK, path__startswith=org.path)
        knocks = knocks.filter(visited_on__gte=start, visited_on__lte=end)
        responses = d.responses_under(org, start, end)
        return {
            "topics_raised": d.narrow(Topic.objects.all(), "created_at", org, start, end).count(),
            "topics_answered": d.narrow(
                Topic.objects.all(), "answered_at", org, start, end
            ).count(),
            "topics_awaiting": Topic.objects.filter(
                path__startswith=org.path, status=TopicStatus.OPEN, answer_due__isnull=False
            ).count(),
            "meetings": meetings.count(),
            "attendance": SignIn.objects.filter(meeting__in=meetings.values("pk")).count(),
            "resolutions": d.narrow(
                Resolution.objects.all(), "published_at", org, start, end
            ).count(),
            "resolutions_acted": d.narrow(
                Resolution.objects.all(), "acted_at", org, start, end
            ).count(),
            "deputies_received": seen.exclude(deputy=None).values("deputy").distinct().count(),
            "residents_received": seen.count(),
            "issues_raised": d.narrow(visits, "recorded_at", org, start, end).count(),
            "issues_resolved": d.narrow(visits, "outcome_at", org, start, end).count(),
            "knock_visits": knocks.count(),
            "knock_households": knocks.values("household").distinct().count(),
            "survey_responses": responses.count(),
            "survey_suggestions": Answer.objects.filter(
                response__in=responses.values("pk"), question__kind=QuestionKind.TEXT
            )
            .exclude(text="")
            .count(),
        }

    today = timezone.localdate()
    seen = set()
    for node in _nodes(demo):
        for days in (0, 30, 365):
            start = today.replace(day=1) - dt.timedelta(days=days)
            got = d.deliberation(node, start, today)
            assert got == direct(node, start, today), (node.name, days)
            seen |= {k for k, v in got.items() if v}
    assert seen == set(got)  # the demo has some of each


def test_cogov_figures_equal_a_count_of_each(demo, db):
    """The co-governance figures that share a query equal one count each."""
    from decimal import Decimal

    from doorstep.cogov import figures as g
    from doorstep.cogov.models import FundLine, LineKind, Pairing, PairingKind, Resource
    from doorstep.core.access import prefixes

    def direct(org, start, end):
        offered = Resource.objects.filter(status="active").filter(
            Q(path__startswith=org.path) | Q(path__in=prefixes(org.path, include_self=False))
        )
        tz = timezone.get_current_timezone()
        lines = FundLine.objects.filter(
            posted_at__gte=dt.datetime.combine(start, dt.time(), tz),
            posted_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz),
            reversed_by__isnull=True,
        )
        on = min(end, timezone.localdate())
        pairings = Pairing.objects.filter(path__startswith=org.path).in_force(on)
        return {
            "units": offered.filter(provider__kind__in=g.UNIT_KINDS)
            .values("provider")
            .distinct()
            .count(),
            "resources": offered.count(),
            "fund_in": lines.filter(
                kind=LineKind.INCOME, fund__path__startswith=org.path
            ).aggregate(s=Sum("amount"))["s"]
            or Decimal("0"),
            "fund_out": lines.filter(
                kind=LineKind.EXPENSE, project__path__startswith=org.path
            ).aggregate(s=Sum("amount"))["s"]
            or Decimal("0"),
            "paired_departments": pairings.filter(kind=PairingKind.DEPARTMENT)
            .values("department")
            .distinct()
            .count(),
            "linked_cadres": pairings.filter(kind=PairingKind.CADRE)
            .values("cadre")
            .distinct()
            .count(),
        }

    today = timezone.localdate()
    seen = set()
    for node in _nodes(demo):
        for days in (0, 30, 365):
            start = today.replace(day=1) - dt.timedelta(days=days)
            expected = direct(node, start, today)
            got = g.cogov(node, start, today)
            assert {k: got[k] for k in expected} == expected, (node.name, days)
            seen |= {k for k, v in expected.items() if v}
    assert seen == set(expected)  # the demo has some of each


def test_the_map_counts_each_grids_households_and_overdue_cases(demo, db):
    """The map reads households from the counters: each grid's equals a count of its rows,
    and its coverage the latest run's."""
    from doorstep.cockpit.gridmap import grid_map
    from doorstep.cockpit.panels import latest_run_rows

    today = timezone.localdate()
    period = Period(today.replace(day=1), today)
    drawn = grid_map(demo, period)
    shares = {r["org_id"]: r.get("household_share") for r in latest_run_rows().get("grids", [])}
    rows = {row["id"]: row for row in drawn["grids"]}
    grids = Organisation.objects.filter(path__startswith=demo.path, kind=Kind.GRID)
    assert set(rows) == {g.pk for g in grids} and len(rows) > 1
    for grid in grids:
        homes = Household.objects.filter(grid=grid).count()
        assert rows[grid.pk]["households"] == homes, grid.name
        assert rows[grid.pk]["overdue"] == Case.objects.overdue().filter(territory=grid).count()
        assert rows[grid.pk]["coverage"] == shares.get(grid.pk)
    assert sum(row["households"] for row in rows.values()) > 0
