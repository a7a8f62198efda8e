"""The street cockpit on the 学院路 demo in a real browser: a number on each panel equals
the API's figure, the 已超期 tile drills down to exactly those cases, a vulnerable group's
tile drills down to a list of that many people, and the normal and big-screen modes are
saved as e2e/artifacts/cockpit_*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from doorstep.cases.models import Case
from doorstep.demo.common import DEMO_PASSWORD

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_street_cockpit_matches_the_api_and_drills_into_its_lists(demo_street, open_page):
    street = demo_street
    overdue = set(
        Case.objects.filter(territory_path__startswith=street.path, flag="overdue").values_list(
            "number", flat=True
        )
    )
    page = open_page()
    page.goto("/cockpit/")
    page.get_by_label("用户名").fill("street")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(rf"/cockpit/{street.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("学院路街道")
    for chart in ("chart-trend", "chart-top", "chart-ages", "chart-sites"):
        expect(page.locator(f"#{chart}[data-drawn='1'] canvas")).to_have_count(1)
    data = page.evaluate(f"() => fetch('/api/cockpit/{street.pk}').then(r => r.json())")
    checks = {
        "received": data["cases"]["rates"]["received"],
        "residents": data["population"]["residents"],
        "households": data["housing"]["households"],
        "party_members": data["party"]["party_members"],
        "sites": data["services"]["sites"],
        "overdue": data["cases"]["overdue"],
    }
    for key, value in checks.items():
        expect(page.locator(f"[data-figure={key}] b")).to_have_text(str(value))
    assert checks["overdue"] == len(overdue) and checks["residents"] > 20000
    expect(page.locator("#compare tbody tr")).to_have_count(4)
    expect(page.locator("#cockpit-map[data-drawn='1'] path.leaflet-interactive")).to_have_count(10)
    page.get_by_role("button", name="已超期").click()
    expect(page.locator("#cockpit-map")).to_have_attribute("data-measure", "overdue")
    page.screenshot(path=ARTIFACTS / "cockpit_street.png", full_page=True)

    page.locator("[data-figure=overdue]").click()
    page.wait_for_url(re.compile(r"/cases/\?"))
    shown = set(re.findall(r"110108\d{13}", page.locator("main").inner_text()))
    assert shown and shown <= overdue  # the list behind the number: overdue cases only
    page.screenshot(path=ARTIFACTS / "cockpit_overdue_drill_down.png", full_page=True)

    # a vulnerable group's tile opens the list of exactly that many people, masked
    page.goto(f"/cockpit/{street.pk}/")
    tile = page.locator("#vulnerable a.tile[data-figure=tag-elderly_alone]")
    expect(tile.locator("span")).to_have_text("独居老人")
    elderly = int(tile.locator("b").inner_text())
    assert elderly > 0
    tile.click()
    page.wait_for_url(re.compile(rf"/cockpit/{street.pk}/list/residents/\?tag=elderly_alone"))
    heading = page.locator("#drill-heading")
    expect(heading).to_have_text(f"学院路街道 · 独居老人 · 共 {elderly} 人")
    expect(heading).to_have_attribute("data-total", str(elderly))
    expect(page.locator("#drill-rows tbody tr")).to_have_count(min(elderly, 50))
    assert not re.search(r"\d{17}[\dX]", page.locator("main").inner_text())  # masked only
    assert "独居老人" in page.locator("#drill-rows tbody tr").first.inner_text()
    page.screenshot(path=ARTIFACTS / "cockpit_drill_vulnerable.png", full_page=True)

    # The big screen at 1920×1080: everything on one screen, no scroll bar, and no figure
    # cut off or running into the next ("100.0%91.3%").
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"/cockpit/{street.pk}/?screen=1")
    expect(page.locator("body.big-screen")).to_be_visible()
    for chart in ("chart-trend", "chart-top", "chart-ages", "chart-sites"):
        expect(page.locator(f"#{chart}[data-drawn='1'] canvas")).to_have_count(1)
    expect(page.locator("#cockpit-map[data-drawn='1']")).to_be_visible()
    size = page.evaluate(
        """() => { const d = document.documentElement;
        return [d.scrollWidth, d.scrollHeight, innerWidth, innerHeight]; }"""
    )
    assert size[0] <= size[2] and size[1] <= size[3], size
    fits = page.evaluate(
        """() => {
        const out = [], view = document.documentElement.getBoundingClientRect();
        for (const el of document.querySelectorAll('.panel, .tile, .chart, #cockpit-map')) {
            const r = el.getBoundingClientRect();
            if (getComputedStyle(el).display === 'none' || el.closest('.age-bands')) continue;
            const panel = el.closest('.panel').getBoundingClientRect();
            if (r.bottom > Math.min(panel.bottom, innerHeight) + 1 || r.right > panel.right + 1)
                out.push(['outside', el.id || el.dataset.figure || el.className]);
            if (el.classList.contains('chart') && r.height < 80) out.push(['flat', el.id]);
        }
        for (const b of document.querySelectorAll('.tile b'))
            if (b.scrollWidth > b.clientWidth) out.push(['cut', b.textContent]);
        return out;
    }"""
    )
    page.screenshot(path=ARTIFACTS / "cockpit_big_screen.png")
    assert fits == [], fits
    page.screenshot(path=ARTIFACTS / "cockpit_big_screen.png")
