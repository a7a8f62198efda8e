"""A community officer clicks from the cockpit's case figures to the case list: the 受理量
tile and a category's bar open the list for the node and the period, showing the period as
a chip and as many cases as the figure; the list is saved as e2e/artifacts/cockpit_*.png."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from doorstep.cockpit.panels import Period, cockpit

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


@pytest.fixture
def played(live_world):
    from doorstep.cases.testing import build_case_world
    from doorstep.cockpit.tests.test_cockpit_figures import _play

    cw = build_case_world(live_world)
    _play(cw, 12, 3)
    return cw


def test_a_tile_and_a_bar_open_the_lists_behind_them(played, open_page, sign_in):
    org = played.world.community_1
    today = timezone.localdate()
    figures = cockpit(org, Period(today.replace(day=1), today), today)["cases"]
    received = figures["rates"]["received"]
    name, bar = figures["top_categories"][0]
    assert received > 0 and bar > 0
    page = open_page()
    page.goto("/cockpit/")
    sign_in(page, "community1")
    page.wait_for_url(re.compile(rf"/cockpit/{org.pk}/"))

    page.locator("[data-figure=received]").click()
    page.wait_for_url(re.compile(r"/cases/\?.*received_from="))
    expect(page.locator("#active-filters")).to_contain_text(
        f"受理于 {today.replace(day=1):%Y-%m-%d} 至 {today:%Y-%m-%d}"
    )
    expect(page.locator("main")).to_contain_text(f"共 {received} 件")
    page.screenshot(path=ARTIFACTS / "cockpit_received_drill_down.png", full_page=True)

    page.go_back()
    page.emulate_media(reduced_motion="reduce")  # bars drawn at once, not grown
    page.reload()
    chart = page.locator("#chart-top[data-drawn='1'] canvas")
    expect(chart).to_have_count(1)
    # the first bar's middle, in page pixels, from the chart itself
    x, y = page.evaluate(
        """(half) => {
          const chart = echarts.getInstanceByDom(document.getElementById("chart-top"));
          return chart.convertToPixel({ seriesIndex: 0 }, [half, 0]);
        }""",
        bar / 2,
    )
    box = chart.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(re.compile(r"/cases/\?.*category=\d+"))
    expect(page.locator("main")).to_contain_text(f"共 {bar} 件")
    expect(page.locator("#active-filters")).to_contain_text("受理于")
    page.screenshot(path=ARTIFACTS / "cockpit_category_drill_down.png", full_page=True)
