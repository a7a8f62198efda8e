"""Acceptance walk for people who serve (issue 5), in a real browser.

A party member takes a post (楼道长) and the community approves it; the member claims a
micro-wish from the pool, starts and resolves it; the resident rates 满意. The member's
verified hours and points rise by the configured amounts, the monthly ranking shows them,
and the service certificate downloads (.docx and PDF) and verifies on the public page.
Screenshots: e2e/artifacts/service_*.png."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.service import teams
from doorstep.service.models import Certificate, PointAccount, PointRule, ServiceRecord

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


@pytest.fixture
def service_world(live_world, settings, tmp_path):
    from doorstep.cases.testing import build_case_world

    settings.MEDIA_ROOT = tmp_path
    cw = build_case_world(live_world)
    p, w = cw.personas, cw.world
    teams.create_post(
        actor=p["community_officer"], organisation=w.grid_a, title="楼道长",
        duties="楼道卫生、安全隐患巡查", slots=2,
    )  # fmt: skip
    case = cases.create_case(
        actor=p["resident"], category=cw.wish, description="想请人帮忙给老人修一下轮椅",
        location=locate(building=w.building_a),
    )  # fmt: skip
    case = cases.perform(case, "accept", actor=p["community_officer"])
    cw.case = cases.perform(case, "publish", actor=p["community_officer"])
    return cw


def _as(open_page, sign_in, username: str, url: str, phone: bool = False):
    page = open_page(phone=phone)
    page.goto(url)
    sign_in(page, username)
    page.wait_for_url(re.compile(re.escape(url.split("?")[0])))
    return page


def _move(page, code: str, note: str | None = None) -> None:
    form = page.locator(f"#move-{code}")
    if form.evaluate("el => el.tagName") == "DETAILS" and form.get_attribute("open") is None:
        form.locator("summary").click()
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    form.locator(f"button[data-move={code}]").click()
    expect(page.locator(".alert.success")).to_be_visible()


def test_member_post_claim_rating_hours_points_ranking_certificate(
    service_world, open_page, sign_in
):
    cw = service_world
    p = cw.personas
    number = cw.case.number
    resolved = PointRule.objects.get(code="case_resolved", organisation__isnull=True).points
    satisfied = PointRule.objects.get(code="case_satisfied", organisation__isnull=True).points

    # 1. The member takes a post; the community approves it.
    member = _as(open_page, sign_in, "member", "/service/posts/", phone=True)
    post = member.locator(".post-list li", has_text="楼道长")
    post.get_by_role("button", name="我要认岗").click()
    expect(member.get_by_text("已申请认领“楼道长”")).to_be_visible()
    officer = _as(open_page, sign_in, "community1", "/service/posts/")
    queue = officer.locator("#post-queue li", has_text="党员李建国")
    queue.get_by_role("button", name="同意", exact=True).click()
    expect(officer.get_by_text("已同意")).to_be_visible()

    # 2. Before: nothing verified, no points.
    member.goto("/service/me/")
    expect(member.locator("#verified-hours b")).to_have_text("0")
    expect(member.locator("#points-balance b")).to_have_text("0")
    expect(member.locator("#my-posts")).to_contain_text("楼道长")
    expect(member.locator("#my-posts")).to_contain_text("在岗")

    # 3. The member claims the micro-wish from the pool, starts and resolves it.
    member.goto("/cases/pool/")
    member.locator(f"#pool-{number}").get_by_role("button", name="接单").click()
    expect(member.locator("#case-status")).to_have_text("已签收")
    _move(member, "start")
    _move(member, "resolve", note="已修好轮椅刹车，并教老人日常检查")
    officer.goto(f"/cases/{number}/")
    _move(officer, "verify")

    # 4. The resident rates 满意.
    resident = _as(open_page, sign_in, "resident", f"/cases/{number}/", phone=True)
    form = resident.locator("#move-rate")
    form.get_by_label("满意", exact=True).check()
    form.get_by_label("已解决").check()
    form.get_by_role("button", name="提交评价").click()
    expect(resident.locator("#case-status")).to_have_text("已办结")

    # 5. Hours and points rose by the configured amounts.
    member.goto("/service/me/")
    expect(member.locator("#verified-hours b")).to_have_text("1")
    expect(member.locator("#points-balance b")).to_have_text(str(resolved + satisfied))
    expect(member.locator("#my-claims")).to_contain_text("修一下轮椅")
    member.screenshot(path=ARTIFACTS / "service_me.png", full_page=True)
    account = PointAccount.objects.get(user=p["party_member"])
    assert account.balance == resolved + satisfied
    assert ServiceRecord.objects.get(user=p["party_member"]).hours == Decimal("1.00")

    # 6. The monthly ranking shows the member with those points.
    member.goto("/service/honours/?kind=pioneer&period=month")
    mine = member.locator("#ranking tr.mine")
    expect(mine).to_contain_text("党员李建国")
    expect(mine).to_contain_text(str(resolved + satisfied))
    expect(member.locator("#my-rank")).to_contain_text("第 1 名")
    member.screenshot(path=ARTIFACTS / "service_ranking.png", full_page=True)

    # 7. The certificate: requested, downloaded as Word and PDF, verified by anyone.
    member.goto("/service/certificates/")
    today = timezone.localdate()
    member.locator("input[name=period_start]").fill(today.replace(day=1).isoformat())
    member.locator("input[name=period_end]").fill(today.isoformat())
    member.get_by_role("button", name="出具证明").click()
    cert = Certificate.objects.get(user=p["party_member"])
    assert cert.hours == Decimal("1.00")
    row = member.locator("tr", has_text=cert.number)
    expect(row).to_be_visible()
    with member.expect_download() as word:
        row.get_by_role("link", name="Word").click()
    assert word.value.suggested_filename.endswith(".docx")
    with member.expect_download() as pdf:
        row.get_by_role("link", name="PDF").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    member.screenshot(path=ARTIFACTS / "service_certificates.png", full_page=True)

    anyone = open_page(phone=True)
    anyone.goto("/certificates/verify/")
    anyone.get_by_label("证明编号").fill(cert.number.lower())
    anyone.get_by_role("button", name="核验").click()
    expect(anyone.get_by_text("证明有效")).to_be_visible()
    expect(anyone.locator("dl")).to_contain_text("李**")
    expect(anyone.locator("dl")).to_contain_text("1.00 小时")
    anyone.screenshot(path=ARTIFACTS / "service_certificate_verified.png", full_page=True)
