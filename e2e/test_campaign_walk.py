"""Acceptance walk of a door-knocking campaign (敲门行动) on the demo street, in a real
browser: a grid worker follows 敲门行动待走访 from the workbench on a phone, knocks on a
door, meets the old man who lives alone and notes a need; the community's campaign page
shows coverage per grid equal to a direct count; the need is on the needs list.
Screenshots: e2e/artifacts/campaign_*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, sign_in_demo

pytestmark = pytest.mark.e2e


def test_a_knock_on_a_phone_shows_in_coverage_and_the_needs_list(demo_street, open_page):
    from doorstep.deliberation.models import Campaign, CampaignTarget

    campaign = Campaign.objects.get()
    phone = open_page(phone=True)
    sign_in_demo(phone, "grid")
    card = phone.locator('[data-card="doors"]')
    expect(card).to_be_visible()
    card.get_by_role("link", name=campaign.title).first.click()
    expect(phone.locator("h1")).to_have_text(campaign.title)
    door = phone.locator('.door[data-reached="0"]').first
    address = door.locator("h2").inner_text()
    door.get_by_label("走访情况").fill("独居，膝盖不好，下楼买菜困难")
    door.locator("summary", has_text="发现需求").click()
    door.get_by_label("需求").fill("独居老人上门送菜")
    door.get_by_label("服务领域").select_option("elderly")
    door.get_by_label("所需资源").select_option("service")
    door.get_by_role("button", name="入户见面").click()
    done = phone.locator(".door", has=phone.get_by_role("heading", name=address))
    expect(done).to_have_attribute("data-reached", "1")
    expect(done).to_contain_text("已走访（入户见面")
    phone.screenshot(path=str(ARTIFACTS / "campaign_knock_phone.png"), full_page=True)

    staff = open_page()
    sign_in_demo(staff, "community")
    staff.goto(f"/campaigns/{campaign.pk}/")
    body = staff.content()
    keys = set(CampaignTarget.objects.filter(campaign=campaign).values_list("grid_path", flat=True))
    assert keys
    for key in keys:
        row = re.search(
            rf'<tr data-key="{key}"><td>[^<]*</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>', body
        )
        targets = CampaignTarget.objects.filter(campaign=campaign, grid_path=key)
        assert row and (int(row.group(1)), int(row.group(2))) == (
            targets.count(), targets.filter(reached_by__isnull=False).count(),
        )  # fmt: skip
    staff.screenshot(path=str(ARTIFACTS / "campaign_coverage.png"), full_page=True)
    staff.goto("/cogov/")  # 需求清单
    expect(staff.locator("main")).to_contain_text("独居老人上门送菜")
