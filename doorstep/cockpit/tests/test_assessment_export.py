"""The assessment results as Excel: the same ranks, figures, points and totals as the page,
one audited export per download; out of scope is a 404 and bad input a 400, neither
audited."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.cockpit.models import Indicator, Scorecard
from doorstep.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LOOP = [
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
def card(cw):
    """grid_a: 办结 1 / 受理 2 and a grid branch; grid_b: 办结 1 / 受理 1; grid_c: nothing."""
    w = cw.world
    _case(cw, w.building_a, LOOP)
    _case(cw, w.building_a, LOOP[:1])
    _case(cw, w.building_b, LOOP)
    card = Scorecard.objects.create(name="测试网格考核", level="grid", organisation=w.street)
    Indicator.objects.create(scorecard=card, code="closing_rate", weight=60, target=100, order=1)
    Indicator.objects.create(scorecard=card, code="grid_branch", weight=40, target=1, order=2)
    return card


def _exports() -> int:
    return AuditEntry.objects.filter(action="export").count()


def test_export_holds_the_pages_table_and_is_audited(cw, card, login):
    w = cw.world
    month = f"{timezone.localdate():%Y-%m}"
    client = login("street_officer", w)
    page = client.get(reverse("cockpit:assessment", args=[w.street.pk]) + f"?card={card.pk}")
    link = reverse("cockpit:assessment_export", args=[w.street.pk])
    assert f'href="{link}?card={card.pk}&amp;month={month}"' in page.content.decode()

    response = client.get(f"{link}?card={card.pk}&month={month}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    year, mon = int(month[:4]), int(month[5:])
    assert lines[0][0] == f"学院路街道 测试网格考核 考核结果（{year}年{mon}月）"
    assert lines[1] == [
        "排名", "名称", "办结率（%）", "办结率得分（满分 60）", "网格党支部（个）",
        "网格党支部得分（满分 40）", "总分", "红黑榜",
    ]  # fmt: skip
    # grid_a: 60 × 50% + 40 = 70; grid_b: 60 + 0 (no branch); grid_c: 无数据 and no branch.
    assert lines[2:] == [
        [1, w.grid_a.name, 50, 30, 1, 40, 70, "红榜"],
        [2, w.grid_b.name, 100, 60, 0, 0, 60, None],  # an empty cell
        [3, w.grid_c.name, "无数据", 0, 0, 0, 0, None],
    ]
    entry = AuditEntry.objects.filter(action="export").get()
    assert entry.actor == w.personas["street_officer"]
    assert (entry.target_type, entry.target_id) == ("organisations.organisation", str(w.street.pk))
    assert entry.detail == {
        "what": "cockpit:assessment", "rows": 3, "card": card.pk, "month": month,
    }  # fmt: skip


def test_export_under_a_community_has_its_grids_only(cw, card, login):
    w = cw.world
    response = login("community_officer", w).get(
        reverse("cockpit:assessment_export", args=[w.community_1.pk]) + f"?card={card.pk}"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [r[1] for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert names == [w.grid_a.name, w.grid_b.name]
    totals = [Decimal(str(r[6])) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert totals == [Decimal(70), Decimal(60)]


@pytest.mark.parametrize("who,node,query,status", [
    ("community_officer", "community_2", "", 404),
    ("grid_worker_a", "street", "", 404),
    ("street_officer", "street", "month=2026-13", 400),
    ("street_officer", "street", "card=abc", 400),
    ("street_officer", "community_1", "card=999999", 400),
])  # fmt: skip
def test_refused_exports_are_not_audited(cw, card, login, who, node, query, status):
    w = cw.world
    before = _exports()
    org = getattr(w, node)
    response = login(who, w).get(reverse("cockpit:assessment_export", args=[org.pk]) + f"?{query}")
    assert response.status_code == status
    assert _exports() == before
