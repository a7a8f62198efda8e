"""Every demo login lands on its 工作台 in a real browser, on a desktop and on a phone; each
count card opens a list that says the same number. Screenshots:
e2e/artifacts/workbench_<login>_{desktop,phone}.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from doorstep.demo.common import DEMO_PASSWORD

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

LOGINS = (
    "resident",
    "grid",
    "member",
    "volunteer",
    "community",
    "street",
    "liaison",
    "sysadmin",
    "secadmin",
    "auditor",
)
# The phrase each list page uses for its total.
TOTAL = re.compile(r"共 (\d+) (?:件|条)|(\d+) 天内未走访的 (\d+) 户|期间走访")


def _sign_in(page, username: str) -> None:
    page.goto("/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))


def _total_on(page) -> int | None:
    text = page.locator("main").inner_text()
    m = re.search(r"共 (\d+) (?:件|条)", text)
    if m:
        return int(m.group(1))
    m = re.search(r"天内未走访的 (\d+) 户", text)
    if m:
        return int(m.group(1))
    m = re.search(r"联系户 (\d+) 户，期间走访 (\d+) 户", text)
    if m:
        return int(m.group(1)) - int(m.group(2))
    return None


def test_every_login_sees_its_workbench_and_each_count_opens_as_many(demo_street, open_page):
    for username in LOGINS:
        page = open_page()
        _sign_in(page, username)
        expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")
        expect(page.locator("[data-card]").first).to_be_visible()
        page.screenshot(path=ARTIFACTS / f"workbench_{username}_desktop.png", full_page=True)
        counts = page.locator(".wb-card .wb-count")
        cards = [
            (
                counts.nth(i).locator("xpath=ancestor::article").get_attribute("data-card"),
                int(counts.nth(i).get_attribute("data-count") or "0"),
            )
            for i in range(counts.count())
        ]
        for key, count in cards:
            page.goto("/")
            page.locator(f'article[data-card="{key}"] a.wb-head').click()
            page.wait_for_load_state()
            assert _total_on(page) == count, (username, key, page.url)
        phone = open_page(phone=True)
        _sign_in(phone, username)
        expect(phone.get_by_role("heading", level=1)).to_contain_text("工作台")
        phone.screenshot(path=ARTIFACTS / f"workbench_{username}_phone.png", full_page=True)
        # Nothing wider than the phone's screen.
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390 + 1, (username, width)
