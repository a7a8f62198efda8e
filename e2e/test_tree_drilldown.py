"""From the organisation tree down to one resident, in a real browser (desktop and phone)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

MASKED_ID = "110***********000X"


def _expand(page, name: str) -> None:
    """Click a node's "+" and wait for htmx to put its children under it."""
    toggle = page.get_by_role("button", name=f"展开 {name}", exact=True)
    toggle.click()
    node = page.locator("li", has=toggle).first
    expect(node.locator(":scope > ul > li").first).to_be_visible()


def _open_resident_from_grid(page, grid: str) -> None:
    """From a grid's page: its building, the household 101, then 王芳."""
    expect(page.get_by_role("heading", level=1)).to_contain_text(grid)
    page.get_by_role("link", name="静淑苑1号楼").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("静淑苑1号楼")
    page.get_by_role("link", name="101室").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("静淑苑1号楼1单元101室")
    page.get_by_role("link", name="王芳").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("王芳")


def test_street_officer_drills_down_from_the_tree_to_a_masked_resident(
    live_world, open_page, sign_in
):
    page = open_page()
    page.goto("/org/")  # not logged in: the login form, which brings us back here
    expect(page.get_by_role("heading", name="家门口 · 登录")).to_be_visible()
    sign_in(page, "street")

    page.get_by_role("link", name="组织树", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("组织树")
    expect(page.locator(".coverage")).to_contain_text("建有网格党支部的网格：1 / 3")
    _expand(page, "学院路街道")
    _expand(page, "清华东路社区")
    _expand(page, "清华东路第一网格")
    tree = page.locator(".tree")
    expect(tree.get_by_role("link", name="清华东路第一网格党支部")).to_be_visible()
    expect(tree.get_by_role("link", name="李建国党员中心户")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "tree_expanded.png", full_page=True)

    tree.get_by_role("link", name="清华东路第一网格", exact=True).click()
    _open_resident_from_grid(page, "清华东路第一网格")

    expect(page.locator("#id-card")).to_have_text(MASKED_ID)
    expect(page.locator("#phone")).to_have_text("139****5678")
    expect(page.get_by_role("button", name=re.compile("查看明文"))).to_have_count(0)
    assert PLANTED_ID_CARD not in page.content()
    page.screenshot(path=ARTIFACTS / "tree_drilldown.png", full_page=True)


def test_grid_worker_on_a_phone_sees_masked_numbers_and_no_unmask(live_world, open_page, sign_in):
    page = open_page(phone=True)
    page.goto(f"/households/{live_world.household_a.pk}/")
    sign_in(page, "grid_a")

    page.get_by_role("link", name="王芳").click()
    expect(page.locator("#id-card")).to_have_text(MASKED_ID)
    expect(page.get_by_role("button", name=re.compile("查看明文"))).to_have_count(0)
    refused = page.request.post(f"/residents/{live_world.planted.pk}/unmask/")
    assert refused.status == 403
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()


def test_grid_leader_on_a_phone_unmasks_and_it_is_audited(live_world, open_page, sign_in):
    page = open_page(phone=True)
    page.goto("/org/")
    sign_in(page, "leader_a")

    page.get_by_role("link", name="清华东路第一网格", exact=True).first.click()
    _open_resident_from_grid(page, "清华东路第一网格")
    expect(page.locator("#id-card")).to_have_text(MASKED_ID)

    page.get_by_role("button", name=re.compile("查看明文")).click()
    expect(page.locator("#unmasked")).to_contain_text(PLANTED_ID_CARD)
    expect(page.locator("#unmasked")).to_contain_text("本次查看已记入审计日志")

    entry = AuditEntry.objects.get(action=AuditAction.UNMASK)
    assert entry.actor_name == "leader_a"
    assert entry.target_id == str(live_world.planted.pk)
    page.screenshot(path=ARTIFACTS / "resident_unmask_mobile.png", full_page=True)


def test_logging_in_from_the_front_page_lands_on_the_workbench(live_world, open_page, sign_in):
    page = open_page()
    page.goto("/")
    sign_in(page, "street")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("工作台")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="组织树").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("组织树")
