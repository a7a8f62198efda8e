"""Every map of the platform draws the offline basemap (streets, buildings, water, green)
under its markers with no request leaving the machine (the open_page fixture fails the test
on any), and a click on a grid of the cockpit map opens that grid's cockpit. Screenshots:
e2e/artifacts/basemap_*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.places.partition import shape_of

from .conftest import ARTIFACTS, sign_in_demo

pytestmark = pytest.mark.e2e


def _drawn(page, selector: str, name: str) -> None:
    box = page.locator(f"{selector}[data-basemap-drawn]")
    expect(box).to_be_visible()
    assert int(box.get_attribute("data-basemap-drawn") or 0) > 100  # streets and buildings
    expect(page.locator(f"{selector} .leaflet-basemap-pane canvas")).to_have_count(1)
    expect(page.locator(f"{selector} .leaflet-control-attribution")).to_contain_text(
        "© OpenStreetMap contributors"
    )
    box.screenshot(path=ARTIFACTS / f"basemap_{name}.png")


def test_every_map_has_the_basemap_and_a_grid_click_drills_down(demo_street, open_page):
    page = open_page()
    sign_in_demo(page, "resident")
    page.goto("/sites/")
    _drawn(page, "#site-map", "sites")
    page.goto("/nearest/")
    _drawn(page, "#site-map", "nearest")
    page.goto("/cases/new/")
    page.get_by_label("在地图上标出").check()
    _drawn(page, "#map", "case_picker")

    page = open_page()
    sign_in_demo(page, "street")
    page.goto("/circle/")
    _drawn(page, "#circle-map", "circle")
    page.goto(f"/cockpit/{demo_street.pk}/")
    _drawn(page, "#cockpit-map", "cockpit")
    # zoomed in, the names of streets show in Chinese
    page.evaluate("() => { document.getElementById('cockpit-map').doorstepMap.setZoom(17); }")
    expect(page.locator("#cockpit-map .basemap-label", has_text="学院路").first).to_be_attached()

    grid = Organisation.objects.filter(path__startswith=demo_street.path, kind=Kind.GRID).order_by(
        "name"
    )[3]
    inside = shape_of(grid.outline).representative_point()
    page.goto(f"/cockpit/{demo_street.pk}/")
    expect(page.locator("#cockpit-map[data-drawn='1']")).to_be_visible()
    page.locator("#cockpit-map").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([lat, lon]) => {
        const el = document.getElementById('cockpit-map'), map = el.doorstepMap;
        map.setView([lat, lon], 17, {animate: false});
        const p = map.latLngToContainerPoint([lat, lon]), r = el.getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""",
        [inside.y, inside.x],
    )
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(rf"/cockpit/{grid.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(grid.name)
