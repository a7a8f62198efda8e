"""Acceptance walk of an owners' vote on the demo street (静淑苑), in a real browser:

the community staff opens a past vote where the headcount passed but the floor area did
not, and the page says 未通过 with both figures; its second round says 通过; an owner
opens the workbench on a phone, follows 待我表决 and votes; a tenant of the estate is not
asked; staff draw up a new vote, open it and enter a paper ballot, and the live figures
move. Screenshots: e2e/artifacts/votes_*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import ARTIFACTS, sign_in_demo

pytestmark = pytest.mark.e2e


def test_owners_vote_fails_on_area_then_passes_and_an_owner_votes_on_a_phone(
    demo_street, open_page
):
    from doorstep.deliberation.models import Ballot, BallotVote

    failed = Ballot.objects.get(passed=False)
    passed = Ballot.objects.get(passed=True)
    open_vote = Ballot.objects.get(status="open")

    staff = open_page()
    sign_in_demo(staff, "community")
    staff.goto(f"/votes/{failed.pk}/")
    expect(staff.locator("#ballot-result h2")).to_have_text("表决结果：未通过")
    rows = staff.locator("#thresholds tbody tr")
    expect(rows.nth(0)).to_have_attribute("data-met", "0")  # 参与表决的专有部分面积
    expect(rows.nth(1)).to_have_attribute("data-met", "1")  # 参与表决的业主人数
    expect(rows.nth(0)).to_contain_text("㎡")
    expect(rows.nth(1)).to_contain_text("人")
    staff.screenshot(path=str(ARTIFACTS / "votes_failed_on_area.png"), full_page=True)
    staff.goto(f"/votes/{passed.pk}/")
    expect(staff.locator("#ballot-result h2")).to_have_text("表决结果：通过")

    # The owner, on a phone: the workbench says a vote waits, and one tap votes.
    owner = open_page(phone=True)
    sign_in_demo(owner, "owner")
    card = owner.locator('[data-card="ballots"]')
    expect(card).to_contain_text("待我表决")
    card.get_by_role("link", name=open_vote.title).click()
    expect(owner.locator("h1")).to_contain_text(open_vote.title)
    before = BallotVote.objects.filter(ballot=open_vote).count()
    owner.locator("#my-vote").get_by_role("button", name="同意").click()
    expect(owner.locator("#my-vote")).to_contain_text("已投票（同意）")
    assert BallotVote.objects.filter(ballot=open_vote).count() > before
    owner.screenshot(path=str(ARTIFACTS / "votes_owner_phone.png"), full_page=True)

    # Staff draw up a new vote, open it and enter a paper ballot: the figures move.
    staff.goto("/votes/")
    form = staff.locator("#ballot-new")
    form.get_by_label("事项类别").select_option("ordinary")
    form.get_by_label("表决事项").fill("修订管理规约")
    form.get_by_label("表决内容").fill("是否同意按附件修订《静淑苑管理规约》？")
    now = timezone.localtime()
    form.get_by_label("投票开始").fill((now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("投票截止").fill((now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name="保存表决").click()
    expect(staff.locator("h1")).to_contain_text("修订管理规约")
    staff.get_by_role("button", name="开启表决").click()
    expect(staff.locator("h1 .badge")).to_have_text("表决中")
    expect(staff.locator("#thresholds tbody tr").nth(1)).to_contain_text("0 人")
    paper = staff.locator("#paper-entry")
    paper.get_by_label("表决意见").select_option("yes")
    paper.get_by_role("button", name="录入").click()
    expect(staff.locator("#thresholds tbody tr").nth(1)).to_contain_text("1 人")
