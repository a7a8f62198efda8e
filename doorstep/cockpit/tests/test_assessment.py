"""Assessments (考核): the score maths worked by hand on the persona world with played cases,
edits of weights and targets, dense ranks and 红黑榜, lower-is-better indicators, 无数据,
scope, and refused input (nothing written)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.cases.rates import rates_for
from doorstep.cockpit.assessment import Row, assess, attainment, rank_rows
from doorstep.cockpit.models import Direction, Indicator, Scorecard
from doorstep.core.models import AuditEntry

pytestmark = pytest.mark.django_db

FULL_LOOP = [
    ("accept", "community_officer", {}),
    ("publish", "community_officer", {}),
    ("claim", "party_member", {}),
    ("start", "party_member", {}),
    ("resolve", "party_member", {"note": "办好了"}),
    ("verify", "community_officer", {}),
    ("rate", "resident", {"rating": "satisfied", "solved": True}),
]


def _case(cw, building, steps):
    p = cw.personas
    case = cases.create_case(
        actor=p["resident"], category=cw.repair, description="楼道灯坏了",
        location=locate(building=building),
    )  # fmt: skip
    for code, who, extra in steps:
        case = cases.perform(case, code, actor=p[who], **extra)
    return case


@pytest.fixture
def played(cw):
    """grid_a: one case closed, one only accepted (办结率 50%); grid_b: one closed (100%);
    grid_c: no cases (无数据)."""
    w = cw.world
    _case(cw, w.building_a, FULL_LOOP)
    _case(cw, w.building_a, FULL_LOOP[:1])
    _case(cw, w.building_b, FULL_LOOP)
    return cw


@pytest.fixture
def card(world):
    """The street's own grid card: closing_rate 60 points at target 100%; grid_branch 40
    points at target 1."""
    card = Scorecard.objects.create(name="测试网格考核", level="grid", organisation=world.street)
    Indicator.objects.create(scorecard=card, code="closing_rate", weight=60, target=100, order=1)
    Indicator.objects.create(scorecard=card, code="grid_branch", weight=40, target=1, order=2)
    return card


def _month():
    return timezone.localdate().replace(day=1)


def _totals(rows):
    return {r.org.name: r.total for r in rows}


def test_default_scorecards_exist():
    grid = Scorecard.objects.get(name="网格考核（双挂钩）", level="grid")
    community = Scorecard.objects.get(name="社区考核", level="community")
    for c in (grid, community):
        assert sum(i.weight for i in c.indicators.all()) == 100
    codes = set(grid.indicators.values_list("code", flat=True))
    assert {"grid_branch", "link_coverage", "closing_rate", "satisfaction_rate"} <= codes


def test_score_maths_by_hand(played, card):
    w = played.world
    month = _month()
    # The played cases gave the rates the hand calculation below assumes.
    today = timezone.localdate()
    ra, rb = rates_for(w.grid_a, month, today), rates_for(w.grid_b, month, today)
    assert (ra["received"], ra["closed"]) == (2, 1)
    assert (rb["received"], rb["closed"]) == (1, 1)
    assert rates_for(w.grid_c, month, today)["received"] == 0

    rows = assess(card, w.street, month)
    # grid_a: 60 × 50/100 + 40 × min(1/1, 1) = 70; grid_b: 60 × 1 + 40 × 0 = 60;
    # grid_c: 无数据 → 0 + no branch → 0.
    assert _totals(rows) == {
        w.grid_a.name: Decimal("70.00"),
        w.grid_b.name: Decimal("60.00"),
        w.grid_c.name: Decimal("0.00"),
    }
    assert [r.org for r in rows] == [w.grid_a, w.grid_b, w.grid_c]
    assert [r.rank for r in rows] == [1, 2, 3]
    a = rows[0].cells[0]
    assert a.figure.value == Decimal("50.00") and a.attainment == Decimal("0.5")
    assert a.figure.detail == "办结 1 件 / 受理 2 件"
    c = rows[2].cells[0]
    assert c.figure.value is None and c.points == 0 and c.shown == "无数据"
    # Three rows: no 黑榜, 红榜 holds the first only.
    assert [r.board for r in rows] == ["red", "", ""]

    # Under community_1 only its two grids are scored.
    assert _totals(assess(card, w.community_1, month)) == {
        w.grid_a.name: Decimal("70.00"),
        w.grid_b.name: Decimal("60.00"),
    }


def test_edits_change_the_score(played, card, login):
    w = played.world
    client = login("street_officer", played.world)
    url = reverse("cockpit:assessment", args=[w.street.pk])
    closing = card.indicators.get(code="closing_rate")
    branch = card.indicators.get(code="grid_branch")
    month = f"{_month():%Y-%m}"
    response = client.post(
        f"{url}?card={card.pk}&month={month}",
        {
            f"weight_{closing.pk}": "60",
            f"target_{closing.pk}": "50",
            f"weight_{branch.pk}": "10",
            f"target_{branch.pk}": "1",
        },
    )
    assert response.status_code == 302
    closing.refresh_from_db()
    branch.refresh_from_db()
    assert (closing.target, branch.weight) == (Decimal(50), Decimal(10))
    # grid_a: 60 × min(50/50, 1) + 10 = 70; grid_b: 60 + 0 = 60.
    assert _totals(assess(card, w.community_1, _month())) == {
        w.grid_a.name: Decimal("70.00"),
        w.grid_b.name: Decimal("60.00"),
    }
    entry = AuditEntry.objects.filter(action="update", target_type="cockpit.scorecard").last()
    assert entry is not None
    assert entry.detail["changed"]["closing_rate"]["target"] == ["100.0000", "50.0000"]
    page = client.get(f"{url}?card={card.pk}&month={month}")
    assert page.status_code == 200
    assert "办结 1 件 / 受理 2 件" in page.content.decode()


def test_lower_is_better_and_no_data():
    assert attainment(Decimal(4), Decimal(2), Direction.LOWER) == Decimal("0.5")
    assert attainment(Decimal(1), Decimal(2), Direction.LOWER) == 1
    assert attainment(Decimal(0), Decimal(0), Direction.LOWER) == 1
    assert attainment(Decimal(3), Decimal(0), Direction.LOWER) == 0
    assert attainment(None, Decimal(5), Direction.LOWER) == 0
    assert attainment(None, Decimal(5), Direction.HIGHER) == 0
    assert attainment(Decimal(150), Decimal(100), Direction.HIGHER) == 1
    assert attainment(Decimal(7), Decimal(0), Direction.HIGHER) == 1


def test_lower_is_better_on_played_cases(played):
    """An overdue-free grid meets a lower-is-better target in full; 重办率 without closings
    is 无数据."""
    w = played.world
    card = Scorecard.objects.create(name="低者为优", level="grid")
    Indicator.objects.create(
        scorecard=card, code="overdue", weight=10, target=1, direction="lower", order=1
    )
    Indicator.objects.create(
        scorecard=card, code="reopen_rate", weight=20, target=5, direction="lower", order=2
    )
    rows = {r.org: r for r in assess(card, w.street, _month())}
    assert rows[w.grid_b].cells[0].figure.value == 0
    assert rows[w.grid_b].cells[0].points == 10
    assert rows[w.grid_b].cells[1].figure.value == 0  # closed 1, reopened 0
    assert rows[w.grid_b].cells[1].points == 20
    assert rows[w.grid_c].cells[1].figure.value is None
    assert rows[w.grid_c].total == 10


@dataclass
class _Org:
    name: str
    pk: int = 0


def _rows(totals):
    return [Row(_Org(f"{i:02d}"), [], Decimal(t)) for i, t in enumerate(totals)]


def test_dense_ranks_and_boards():
    rows = _rows([40, 90, 80, 50, 80, 70, 40, 60])
    rank_rows(rows)
    assert [r.total for r in rows] == [90, 80, 80, 70, 60, 50, 40, 40]
    assert [r.rank for r in rows] == [1, 2, 2, 3, 4, 5, 6, 6]
    assert [r.board for r in rows] == ["red"] * 3 + [""] * 2 + ["black"] * 3

    tied = _rows([90, 80, 70, 70, 60, 50, 40, 30])
    rank_rows(tied)
    assert [r.board for r in tied] == ["red"] * 4 + ["", "black", "black", "black"]

    few = _rows([50, 70, 70, 10])
    rank_rows(few)
    assert [r.rank for r in few] == [1, 1, 2, 3]
    assert [r.board for r in few] == ["red", "red", "", ""]

    nothing = _rows([0, 0])
    rank_rows(nothing)
    assert [r.board for r in nothing] == ["", ""]


def test_page_shows_results_and_form_only_with_perm(played, card, login):
    w = played.world
    officer = login("community_officer", w)
    url = reverse("cockpit:assessment", args=[w.community_1.pk])
    page = officer.get(f"{url}?card={card.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    assert "红榜" in body and w.grid_a.name in body and "indicator-form" not in body
    # The default card applies too (grids under a community).
    assert officer.get(url).status_code == 200
    closing = card.indicators.get(code="closing_rate")
    denied = officer.post(
        f"{url}?card={card.pk}", {f"weight_{closing.pk}": "1", f"target_{closing.pk}": "1"}
    )
    assert denied.status_code == 403
    closing.refresh_from_db()
    assert closing.weight == 60
    street = login("street_officer", w)
    assert (
        "indicator-form"
        in street.get(
            reverse("cockpit:assessment", args=[w.street.pk]) + f"?card={card.pk}"
        ).content.decode()
    )


def test_scope_404(played, card, login):
    w = played.world
    url = reverse("cockpit:assessment", args=[w.street.pk])
    assert login("grid_worker_a", w).get(f"{url}?card={card.pk}").status_code == 404
    assert login("resident", w).get(url).status_code == 404
    other = reverse("cockpit:assessment", args=[w.community_2.pk])
    assert login("community_officer", w).get(other).status_code == 404


@pytest.mark.parametrize(
    "query",
    ["month=2026-13", "month=abc", "month=9999-01", "card=abc", "card=999999", "card=-1",
     "card=99999999999999999999"],
)  # fmt: skip
def test_bad_month_or_card_400(played, card, login, query):
    w = played.world
    url = reverse("cockpit:assessment", args=[w.street.pk])
    response = login("street_officer", w).get(f"{url}?{query}")
    assert response.status_code == 400
    assert "alert" in response.content.decode()


def test_card_not_for_this_level_or_inactive_400(played, card, login):
    w = played.world
    community_card = Scorecard.objects.get(level="community")
    url = reverse("cockpit:assessment", args=[w.community_1.pk])
    client = login("street_officer", w)
    assert client.get(f"{url}?card={community_card.pk}").status_code == 400
    grid_url = reverse("cockpit:assessment", args=[w.grid_a.pk])
    assert client.get(grid_url).status_code == 400  # nothing is scored below a grid
    card.active = False
    card.save()
    assert client.get(f"{url}?card={card.pk}").status_code == 400


@pytest.mark.parametrize("weight,target", [("0", "1"), ("-5", "1"), ("abc", "1"), ("5", "-1"),
                                           ("NaN", "1"), ("5", "Infinity"), ("1e9", "1")])  # fmt: skip
def test_bad_edit_writes_nothing(played, card, login, weight, target):
    w = played.world
    client = login("street_officer", w)
    url = reverse("cockpit:assessment", args=[w.street.pk]) + f"?card={card.pk}"
    closing = card.indicators.get(code="closing_rate")
    branch = card.indicators.get(code="grid_branch")
    before = AuditEntry.objects.count()
    response = client.post(
        url,
        {
            f"weight_{branch.pk}": "25",
            f"target_{branch.pk}": "1",
            f"weight_{closing.pk}": weight,
            f"target_{closing.pk}": target,
        },
    )
    assert response.status_code == 400
    assert "alert" in response.content.decode()
    assert AuditEntry.objects.count() == before
    assert list(card.indicators.order_by("order").values_list("weight", "target")) == [
        (Decimal(60), Decimal(100)),
        (Decimal(40), Decimal(1)),
    ]


def test_street_officer_may_change_indicators(world):
    assert world.personas["street_officer"].has_perm("cockpit.change_indicator")
    assert not world.personas["community_officer"].has_perm("cockpit.change_indicator")


def test_default_scorecards_come_back_after_a_flush():
    from django.core.management import call_command

    from doorstep.cockpit.models import Scorecard

    Scorecard.objects.all().delete()
    call_command("migrate", verbosity=0)  # post_migrate runs for an up-to-date database too
    assert set(Scorecard.objects.values_list("level", flat=True)) == {"grid", "community"}
