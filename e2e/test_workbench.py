"""Every demo login lands on its 工作台 in a real browser, on a desktop and on a phone (every
navigation item on screen; the resident's in a bar at the bottom); each count card opens a
list that says the same number. Screenshots:
e2e/artifacts/workbench_<login>_{desktop,phone}.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, DEMO_LOGINS, DESKTOP, PHONE, sign_in_demo

pytestmark = pytest.mark.e2e

# The phrase each list page uses for its total.
TOTAL = re.compile(r"共 (\d+) (?:件|条)|(\d+) 天内未走访的 (\d+) 户|期间走访")


def _total_on(page) -> int | None:
    text = page.locator("main").inner_text()
    m = re.search(r"共 (\d+) (?:件|条|个)", text)
    if m:
        return int(m.group(1))
    m = re.search(r"待我表决 (\d+) 项", text)
    if m:
        return int(m.group(1))
    m = re.search(r"我有 (\d+) 户待走访", text)
    if m:
        return int(m.group(1))
    m = re.search(r"天内未走访的 (\d+) 户", text)
    if m:
        return int(m.group(1))
    m = re.search(r"天内未走访的联系点 (\d+) 个", text)
    if m:
        return int(m.group(1))
    m = re.search(r"联系户 (\d+) 户，期间走访 (\d+) 户", text)
    if m:
        return int(m.group(1)) - int(m.group(2))
    return None


def test_every_login_sees_its_workbench_and_each_count_opens_as_many(demo_street, open_page):
    page = open_page()
    for username in DEMO_LOGINS:
        page.context.clear_cookies()
        page.set_viewport_size(DESKTOP)
        sign_in_demo(page, username)
        expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")
        expect(page.locator("[data-card]").first).to_be_visible()
        page.screenshot(path=ARTIFACTS / f"workbench_{username}_desktop.png", full_page=True)
        cards = page.locator(".wb-card:has(.wb-count)")
        links = [
            (
                cards.nth(i).get_attribute("data-card"),
                int(cards.nth(i).locator(".wb-count").get_attribute("data-count") or "0"),
                cards.nth(i).locator("a.wb-head").get_attribute("href"),
            )
            for i in range(cards.count())
        ]
        # The same session on a phone's width: nothing wider than the screen.
        page.set_viewport_size(PHONE)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")
        page.screenshot(path=ARTIFACTS / f"workbench_{username}_phone.png", full_page=True)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, (username, width)
        # Every item of the navigation is on the screen (a bar at the bottom for residents).
        items = page.locator("nav.main-nav a")
        assert items.count() >= 3
        for item in items.all():
            expect(item).to_be_in_viewport()
        bar = page.locator("nav.main-nav").bounding_box()
        assert bar is not None
        at_bottom = bar["y"] + bar["height"] >= PHONE["height"] - 1
        assert at_bottom == (username in ("resident", "owner")), (username, bar)  # residents both
        # Each count card's link opens a list that says the same number.
        for key, count, href in links:
            page.goto(href)
            assert _total_on(page) == count, (username, key, page.url)
