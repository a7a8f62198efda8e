"""Last month's briefing and assessment of the 学院路 demo street in a real browser, as the
street officer: the briefing's figures equal the cockpit's (page and API), the Word download
says the same, and on the assessment page every total is the sum of the points shown beside
it, in rank order, as in the Excel export; the street then customises the grid card and
changes a weight. Screenshots: e2e/artifacts/assessment_*.png."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect

from doorstep.atlas.organisations.models import ADMIN_KINDS
from doorstep.demo.common import DEMO_PASSWORD

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def _last_month() -> tuple[dt.date, dt.date]:
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _api(page, org_id: int, start: dt.date, end: dt.date) -> dict:
    url = f"/api/cockpit/{org_id}?start={start}&end={end}"
    return page.evaluate(f"() => fetch('{url}').then(r => r.json())")


def _sentences(page) -> str:
    return "".join(page.locator("#briefing .briefing-sentence").all_inner_texts())


def test_last_months_briefing_and_assessment_add_up(demo_street, open_page, tmp_path):
    street = demo_street
    start, end = _last_month()
    page = open_page()
    page.goto(f"/cockpit/{street.pk}/?start={start}&end={end}")
    page.get_by_label("用户名").fill("street")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(rf"/cockpit/{street.pk}/"))
    data = _api(page, street.pk, start, end)
    rates, services = data["cases"]["rates"], data["services"]
    expect(page.locator("[data-figure=received] b")).to_have_text(str(rates["received"]))

    # The briefing of the same month, opened from the cockpit.
    page.locator("#briefing-link").click()
    page.wait_for_url(re.compile(rf"/briefing/\?month={start:%Y-%m}"))
    title = f"学院路街道{start.year}年{start.month}月工作简报"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#briefing-period")).to_contain_text(
        f"{start.year}年{start.month}月1日至{end.month}月{end.day}日"
    )
    text = _sentences(page)
    found = re.search(
        r"本月共受理群众诉求 ([\d,]+) 件，其中已办结 ([\d,]+) 件，办结率 (\S+?%|—)", text
    )
    assert found, text
    assert _number(found[1]) == rates["received"] > 0
    assert _number(found[2]) == rates["closed"]
    assert found[3] == _percent(rates["closing_rate"])
    assert f"满意率 {_percent(rates['satisfaction_rate'])}" in text
    assert f"目前超期未办结 {data['cases']['overdue']:,} 件" in text
    assert f"开展活动 {services['activities']:,} 场次" in text
    assert f"服务居民 {services['attendances']:,} 人次" in text
    assert f"辖区实有人口 {data['population']['residents']:,} 人" in text
    # The communities' table: each row equals that community's own figures.
    children = list(street.children.filter(kind__in=ADMIN_KINDS).order_by("name"))
    rows = page.locator("#briefing table tbody tr")
    expect(rows).to_have_count(len(children))
    for row, child in zip(rows.all(), children, strict=True):
        cells = row.locator("td").all_inner_texts()
        own = _api(page, child.pk, start, end)["cases"]["rates"]
        assert cells == [
            child.name,
            f"{own['received']:,}",
            f"{own['closed']:,}",
            _percent(own["closing_rate"]),
            _percent(own["on_time_rate"]),
            _percent(own["satisfaction_rate"]),
        ]
    page.screenshot(path=ARTIFACTS / "assessment_briefing.png", full_page=True)

    # The Word document says the same.
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Word 文档").click()
    path = tmp_path / "briefing.docx"
    download.value.save_as(path)
    document = Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == title
    assert "".join(p for p in paragraphs if p in text) == text  # every sentence, in order
    table = document.tables[0]
    assert [c.text for c in table.rows[1].cells] == rows.first.locator("td").all_inner_texts()

    # The assessment of the same month: communities, then grids.
    page.goto(f"/cockpit/{street.pk}/assessment/?month={start:%Y-%m}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("社区考核")
    expect(page.locator("#results tbody tr")).to_have_count(len(children))
    _check_totals(page)
    page.get_by_label("考核方案").select_option(label="网格考核（双挂钩）（网格）")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("网格考核（双挂钩）")
    expect(page.locator("#results tbody tr")).to_have_count(10)
    expect(page.locator("#black-board")).to_contain_text("黑榜")
    totals = _check_totals(page)
    overdue = page.locator("#results tbody tr").first.locator("td[data-code=overdue] small")
    expect(overdue).to_contain_text(f"{start.month}月末超期未办结")
    page.screenshot(path=ARTIFACTS / "assessment_grids.png", full_page=True)

    # The export holds the same ranking.
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    exported = [(r[1], Decimal(str(r[-2]))) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert exported == totals

    # The street makes the card its own; its form then edits the street's copy only.
    page.get_by_role("button", name="为本街道定制考核方案").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("学院路街道网格考核（双挂钩）")
    expect(page.locator("#card-owner")).to_have_text("本方案由学院路街道制定，适用于其辖区。")
    page.get_by_label("超期件数权重").fill("15")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#results thead")).to_contain_text("超期件数15 分")
    _check_totals(page)
    page.screenshot(path=ARTIFACTS / "assessment_customised.png", full_page=True)


def _check_totals(page) -> list[tuple[str, Decimal]]:
    """Each row's total is the sum of its points; totals fall as ranks rise."""
    out = []
    ranks = []
    for row in page.locator("#results tbody tr").all():
        points = [Decimal(t) for t in row.locator("td[data-code] strong").all_inner_texts()]
        total = Decimal(row.locator("td.total strong").inner_text())
        assert points and total == sum(points)
        ranks.append(int(row.locator("td").first.inner_text().split()[0]))
        out.append((row.locator("td").nth(1).inner_text(), total))
    assert ranks[0] == 1 and ranks == sorted(ranks)
    assert [t for _, t in out] == sorted((t for _, t in out), reverse=True)
    return out
