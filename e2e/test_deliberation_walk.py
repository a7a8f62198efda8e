"""Acceptance walk of listening and deciding (议事协商), in a real browser, on an estate
of eight exclusive parts (静淑苑5号楼: 王 owns three, 陈, 林 — with a proxy —, 周 one
each, the developer two unsold; 张 rents 104):

residents raise and second a topic on their phones → the community accepts it → a 1+6
议事圆桌会: members sign in by the QR code's address, staff sign the absent-minded one in
from the paper sheet, the council votes, the chair signs the minutes off → an owners' vote
on phones where the headcount passes but the floor area does not: 未通过 with both figures
→ a second vote passes → the resolution is published with the topic and the vote, a
tenant objects, staff answer, and after the notice a 协商式治理项目 starts. The server's
clock is moved past each deadline (time_machine; the browser keeps its own).
Screenshots: e2e/artifacts/deliberation_*.png."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

SEATS = ("branch", "owners", "property", "grid_leader", "grid_worker", "building", "resident")


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _as(page, username: str, sign_in) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    sign_in(page, username)
    page.wait_for_url(lambda url: "login" not in url)


def _council(world, estate):
    from doorstep.core.testing import make_user
    from doorstep.deliberation import councils

    officer = world.personas["community_officer"]
    secretary = make_user("secretary", "党支部书记宋林", ("resident", world.community_1))
    council = councils.set_up(
        actor=officer, community=world.community_1, compound=estate.compound,
        name="静淑苑小区议事会", seats=dict.fromkeys(SEATS, 1),
    )  # fmt: skip
    today = timezone.localdate()
    people = [("branch", "宋林", secretary, True), ("owners", "王业主", estate.people["owner_wang"], False),
              ("property", "物业经理", None, False), ("grid_leader", "网格长甲", world.personas["grid_leader_a"], False),
              ("grid_worker", "网格员甲", world.personas["grid_worker_a"], False),
              ("building", "陈业主", estate.people["owner_chen"], False), ("resident", "林业主", estate.people["owner_lin"], False)]  # fmt: skip
    for kind, name, user, chair in people:
        councils.add_member(
            actor=officer, council=council, kind=kind, name=name, user=user, is_chair=chair,
            starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=700),
        )  # fmt: skip
    return council


def _vote(staff, owners, compound_id: int, title: str, voters: list[str], paper: list[int]):
    """Draw up and open a vote (staff), the owners vote on their phones, staff enter paper."""
    from doorstep.deliberation.models import Ballot

    now = timezone.now()
    staff.goto("/votes/")
    form = staff.locator("#ballot-new")
    form.get_by_label("小区").select_option(str(compound_id))
    form.get_by_label("表决事项").fill(title)
    form.get_by_label("表决内容").fill("是否同意5号楼加装电梯，费用按楼层分摊？")
    form.get_by_label("投票开始").fill(_local(now - dt.timedelta(hours=1)))
    form.get_by_label("投票截止").fill(_local(now + dt.timedelta(hours=2)))
    form.get_by_role("button", name="保存表决").click()
    staff.get_by_role("button", name="开启表决").click()
    ballot = Ballot.objects.get(title=title)
    expect(staff.locator("#ballot-result")).to_contain_text("实时计票")
    for login in voters:
        phone = owners[login]
        phone.goto(f"/votes/{ballot.pk}/")
        phone.locator("#my-vote").get_by_role("button", name="同意").first.click()
        expect(phone.locator("#my-vote")).to_contain_text("已投票（同意）")
    for household in paper:
        staff.goto(f"/votes/{ballot.pk}/")
        staff.locator("#paper-entry").get_by_label("房屋").select_option(str(household))
        staff.locator("#paper-entry").get_by_role("button", name="录入").click()
    return ballot


def _close(staff, ballot, sign_in):
    with time_machine.travel(ballot.closes_at + dt.timedelta(minutes=1), tick=True):
        _as(staff, "community1", sign_in)
        staff.goto(f"/votes/{ballot.pk}/")
        staff.get_by_role("button", name="结束表决，公布结果").click()
        expect(staff.locator("#ballot-result h2")).to_contain_text("表决结果")


def test_a_topic_through_a_meeting_and_two_votes_to_a_project(live_world, open_page, sign_in):
    from doorstep.cogov.models import Project
    from doorstep.deliberation.models import Meeting, Resolution, Topic
    from doorstep.deliberation.tests.conftest import build_estate

    world = live_world
    estate = build_estate(world)
    council = _council(world, estate)
    owners = {}
    for login in (
        "owner_chen",
        "owner_zhou",
        "proxy_liu",
        "owner_wang",
        "tenant_zhang",
        "secretary",
    ):
        owners[login] = open_page(phone=True)
        _as(owners[login], login, sign_in)
    staff = open_page()
    _as(staff, "community1", sign_in)

    # residents raise and second a topic
    chen = owners["owner_chen"]
    chen.goto("/topics/")
    form = chen.locator("#topic-new")
    form.get_by_label("议题").fill("5号楼加装电梯")
    form.get_by_label("说明").fill("楼里老人多，上下楼难，建议加装电梯。")
    form.get_by_role("button", name="提交议题").click()
    expect(chen.locator("h1")).to_contain_text("5号楼加装电梯")
    topic = Topic.objects.get(title="5号楼加装电梯")
    zhou = owners["owner_zhou"]
    zhou.goto(f"/topics/{topic.pk}/")
    zhou.get_by_role("button", name="附议").click()
    expect(zhou.locator("#topic-seconds")).to_contain_text("已有 1 位居民附议")
    zhou.screenshot(path=str(ARTIFACTS / "deliberation_second.png"), full_page=True)

    # the community (for the branch) accepts it
    staff.goto(f"/topics/{topic.pk}/")
    staff.locator("#topic-screen").get_by_role("button", name="受理", exact=True).click()
    expect(staff.locator("#topic-answer")).to_contain_text("已受理")

    # a 1+6 议事圆桌会 with sign-in, a council vote and minutes the chair signs off
    now = timezone.now()
    staff.goto(f"/councils/{council.pk}/")
    expect(staff.locator("#seats h2")).to_have_text("席位（1+6）")
    form = staff.locator("#meeting-new")
    form.get_by_label("会议名称").fill("加装电梯议事圆桌会")
    form.get_by_label("开始时间").fill(_local(now - dt.timedelta(minutes=10)))
    form.get_by_label("结束时间").fill(_local(now + dt.timedelta(hours=2)))
    form.get_by_label("地点").fill("静淑苑党群服务站")
    form.get_by_label("5号楼加装电梯").check()
    form.get_by_role("button", name="召集并通知成员").click()
    meeting = Meeting.objects.get(title="加装电梯议事圆桌会")
    expect(staff.locator("#quorum")).to_contain_text("应到 7 人，实到 0 人")
    expect(staff.locator("#quorum svg")).to_be_visible()  # the QR code members scan
    for login in ("secretary", "owner_chen", "owner_wang"):
        phone = owners[login]
        phone.goto(f"/meetings/{meeting.pk}/sign-in/{meeting.token}/")
        phone.get_by_role("button", name="签到").click()
        expect(phone.locator("#quorum")).to_be_visible()
    staff.reload()
    expect(staff.locator("#quorum")).to_have_attribute("data-met", "0")
    staff.locator("#quorum").get_by_label("按纸质签到表代签").select_option(label="物业经理")
    staff.get_by_role("button", name="代签").click()
    expect(staff.locator("#quorum")).to_have_attribute("data-met", "1")
    expect(staff.locator("#quorum")).to_contain_text("实到 4 人")
    decide = staff.locator("form.decide")
    decide.get_by_label("协商意见").fill("同意加装，费用按楼层分摊，提交业主共同决定")
    decide.get_by_label("同意").fill("4")
    decide.get_by_label("反对").fill("0")
    decide.get_by_label("弃权").fill("0")
    decide.get_by_role("button", name="记录").click()
    expect(staff.locator(".agenda-item")).to_have_attribute("data-outcome", "adopted")
    staff.locator("#minutes").get_by_label("纪要").fill(
        "应到7人，实到4人。议题：5号楼加装电梯，4票同意，通过，提交业主表决。"
    )
    staff.get_by_role("button", name="保存纪要").click()
    secretary = owners["secretary"]
    secretary.goto(f"/meetings/{meeting.pk}/")
    secretary.get_by_role("button", name="召集人签发纪要").click()
    expect(secretary.locator("h1")).to_contain_text("纪要已签发")
    secretary.screenshot(path=str(ARTIFACTS / "deliberation_minutes.png"), full_page=True)

    # an owners' vote: enough owners, too little floor area → 未通过 with both figures
    first = _vote(staff, owners, estate.compound.pk, "5号楼加装电梯（第一次表决）",
                  ["owner_chen", "proxy_liu", "owner_zhou"], [estate.parts["107"].pk])  # fmt: skip
    tenant = owners["tenant_zhang"]
    tenant.goto(f"/votes/{first.pk}/")
    expect(tenant.locator("#my-vote")).to_have_count(0)  # a tenant is not asked
    _close(staff, first, sign_in)
    expect(staff.locator("#ballot-result h2")).to_have_text("表决结果：未通过")
    rows = staff.locator("#thresholds tbody tr")
    expect(rows.nth(0)).to_have_attribute("data-met", "0")  # floor area
    expect(rows.nth(1)).to_have_attribute("data-met", "1")  # owners
    expect(rows.nth(0)).to_contain_text("㎡")
    expect(rows.nth(1)).to_contain_text("4 人")
    staff.screenshot(path=str(ARTIFACTS / "deliberation_vote_failed.png"), full_page=True)

    # the second vote: 王 votes his three flats too → 通过
    with time_machine.travel(first.closes_at + dt.timedelta(minutes=2), tick=True):
        for login in ("owner_chen", "proxy_liu", "owner_zhou", "owner_wang"):
            _as(owners[login], login, sign_in)
        _as(staff, "community1", sign_in)
        second = _vote(staff, owners, estate.compound.pk, "5号楼加装电梯（第二次表决）",
                       ["owner_wang", "owner_chen", "proxy_liu", "owner_zhou"], [])  # fmt: skip
        _close(staff, second, sign_in)
        expect(staff.locator("#ballot-result h2")).to_have_text("表决结果：通过")

        # the resolution: published from the topic with the vote, objected to, answered
        with time_machine.travel(second.closes_at + dt.timedelta(minutes=5), tick=True):
            _as(staff, "community1", sign_in)
            staff.goto(f"/topics/{topic.pk}/")
            form = staff.locator("#resolve")
            form.get_by_label("依据表决").select_option(str(second.pk))
            form.get_by_label("决议内容").fill(
                "经议事会协商、业主共同决定：5号楼加装电梯，费用按楼层分摊。"
            )
            form.get_by_label("公示天数").fill("1")
            form.get_by_role("button", name="发布决议并公示").click()
            expect(staff.locator("#resolution-state")).to_have_text("公示中")
            resolution = Resolution.objects.get()
            _as(tenant, "tenant_zhang", sign_in)
            tenant.goto(f"/resolutions/{resolution.pk}/")
            tenant.get_by_label("提出异议").fill("施工期间噪声和粉尘怎么办？")
            tenant.get_by_role("button", name="提交异议").click()
            expect(tenant.locator("#objections")).to_contain_text("施工期间噪声和粉尘怎么办")
            staff.goto(f"/resolutions/{resolution.pk}/")
            expect(staff.locator("#carry-out")).to_contain_text("公示期内")
            staff.locator(".objection").get_by_label("答复").fill(
                "施工限定在工作日8:00–18:00，每日洒水降尘。"
            )
            staff.locator(".objection").get_by_role("button", name="答复").click()
            expect(staff.locator(".objection")).to_have_attribute("data-answered", "1")

            # after the notice: the project starts
            with time_machine.travel(resolution.notice_ends + dt.timedelta(minutes=5), tick=True):
                _as(staff, "community1", sign_in)
                staff.goto(f"/resolutions/{resolution.pk}/")
                day = timezone.localdate()
                staff.get_by_label("开始日期").fill(str(day + dt.timedelta(days=7)))
                staff.get_by_label("计划完成").fill(str(day + dt.timedelta(days=120)))
                staff.get_by_role("button", name="立项申报").click()
                expect(staff.locator("#resolution-state")).to_have_text("落实中")
                expect(staff.locator("#resolution-action")).to_contain_text("立为协商式治理项目")
                staff.screenshot(
                    path=str(ARTIFACTS / "deliberation_resolution.png"), full_page=True
                )
    project = Project.objects.get()
    assert (project.kind, project.title, project.node) == (
        "consultative",
        "5号楼加装电梯",
        world.community_1,
    )
    assert Resolution.objects.get().project == project
