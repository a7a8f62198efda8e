"""The 15-minute service circle on the 学院路 demo, drawn in a real browser.

The street is seeded from the real OpenStreetMap extract (buildings, road network, the demo's
service sites and a first coverage run); the street officer opens /circle/ and the map is
saved as e2e/artifacts/circle_coverage_map.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from doorstep.demo.common import DEMO_PASSWORD
from doorstep.nearby.sites.models import ServiceSite

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_street_officer_sees_the_coverage_map(demo_street, open_page):
    # The demo's 12 service sites (a co-building unit's open venue among them) and the
    # communities' 4 reception studios (两代表一委员工作室).
    sites = ServiceSite.objects.filter(territory_path__startswith=demo_street.path)
    assert sites.exclude(kind="studio").count() == 12
    assert sites.filter(kind="studio").count() == 4
    page = open_page()
    page.goto("/circle/?kind=centre&kind=station&kind=rider_station&kind=neighbourhood&k=3")
    page.get_by_label("用户名").fill("street")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/circle/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("15分钟党群便民服务圈")
    expect(page.locator("#circle-map[data-drawn='1']")).to_be_visible()
    # Roads (one canvas layer), buildings coloured by coverage and the sites are drawn,
    # over the basemap (a canvas of its own, below)
    expect(page.locator("#circle-map .leaflet-overlay-pane canvas")).to_have_count(1)
    expect(page.locator("#circle-map .leaflet-basemap-pane canvas")).to_have_count(1)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text(
        "© OpenStreetMap contributors"
    )
    expect(page.locator("#by-community tbody tr")).to_have_count(4)
    expect(page.locator("#suggestions tbody tr").first).to_be_visible()
    shares = page.locator("[data-share=households] b").inner_text()
    assert shares.endswith("%") and 0 < float(shares[:-1]) <= 100
    counts = page.evaluate(
        """() => {
        const d = JSON.parse(document.getElementById('circle-data').textContent);
        const states = [0, 0, 0];
        d.buildings.forEach(b => states[b[2]]++);
        return {roads: d.roads.edges.length / 2, sites: d.sites.length, states: states};
    }"""
    )
    assert counts["roads"] > 1000 and counts["sites"] == 10
    assert counts["states"][0] > 0 and counts["states"][1] > 0
    page.locator("#circle-map").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "circle_coverage_map.png", full_page=False)
    page.locator("main").screenshot(path=ARTIFACTS / "circle_coverage_page.png")
