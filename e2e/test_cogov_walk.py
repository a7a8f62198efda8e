"""Acceptance walk of co-governance (共建共治) on the demo street, in a real browser:

a community records a need of the delivery riders → the need's page suggests a unit's
resource within walking distance → staff accept it → the unit's liaison confirms (认领) →
a project is set up from the match with a budget from the 共治基金 → the street approves
and the fund allocates → milestones → 验收 → 公示 → a resident rates it → the cockpit's
co-governance figures move. Screenshots: e2e/artifacts/cogov_*.png."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, sign_in_demo

pytestmark = pytest.mark.e2e


def _as(page, username: str) -> None:
    page.context.clear_cookies()
    sign_in_demo(page, username)


def _figure(page, org_id: int, key: str) -> int:
    page.goto(f"/cockpit/{org_id}/")
    return int(page.locator(f'[data-figure="{key}"] b').inner_text().replace(",", ""))


def test_from_a_riders_need_to_a_rated_project(demo_street, open_page):
    from doorstep.atlas.organisations.models import Organisation
    from doorstep.atlas.people.models import Resident
    from doorstep.cogov.models import Need, Project

    home = Resident.objects.select_related("grid__parent").get(user__username="resident")
    grid, community = home.grid, home.grid.parent
    assert isinstance(community, Organisation)
    page = open_page()
    _as(page, "street")
    met_before = _figure(page, community.pk, "cogov_needs_met")
    done_before = Project.objects.filter(
        path__startswith=community.path, status__in=["public", "rated"]
    ).count()

    # The community records the riders' need.
    _as(page, "community")
    page.goto("/cogov/needs/new/")
    page.locator("#id_node").select_option(str(grid.pk))
    page.locator("#id_title").fill("外卖骑手夜间歇脚、充电")
    page.locator("#id_group").fill("外卖骑手")
    page.locator("#id_field").select_option("new_workers")
    page.locator("#id_wants").select_option("venue")
    page.locator("#id_people").fill("30")
    page.locator("#id_amount").fill("20")
    page.locator("#id_unit").select_option("people")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("h1")).to_contain_text("外卖骑手夜间歇脚、充电")
    need = Need.objects.get(title="外卖骑手夜间歇脚、充电")
    row = page.locator("#suggestions tr", has_text="骑手爱心驿站")
    expect(row).to_contain_text(re.compile(r"步行约\d+分钟"))
    page.screenshot(path=str(ARTIFACTS / "cogov_need.png"), full_page=True)
    row.get_by_role("button", name="采纳").click()
    expect(page.locator(".alert")).to_contain_text("已对接“骑手爱心驿站")

    # The unit's liaison confirms.
    _as(page, "liaison_cau")
    page.goto("/cogov/matches/")
    card = page.locator("article", has_text="外卖骑手夜间歇脚、充电")
    card.get_by_role("button", name="认领").click()
    expect(page.locator(".alert")).to_contain_text("已认领")

    # The community sets up a project with a budget from the fund and a milestone.
    _as(page, "community")
    page.goto(f"/cogov/needs/{need.pk}/")
    page.get_by_role("link", name="设立项目").click()
    today = dt.date.today()
    page.get_by_label("项目名称").fill("骑手夜间驿站")
    page.get_by_label("开始日期").fill(today.isoformat())
    page.get_by_label("计划完成").fill((today + dt.timedelta(days=60)).isoformat())
    page.get_by_role("button", name="申报").click()
    expect(page.locator("h1")).to_contain_text("骑手夜间驿站")
    project = Project.objects.get(title="骑手夜间驿站")
    budget = page.locator("#project-budget")
    budget.get_by_label("预算项目").fill("充电柜与饮水机")
    budget.get_by_label("资金来源").select_option("fund")
    budget.get_by_label("金额（元）").fill("3000")
    budget.get_by_role("button", name="添加预算").click()
    page.get_by_label("节点名称").fill("驿站开放")
    page.get_by_label("计划日期").fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="添加节点").click()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("h1 .badge")).to_have_text("审核中")

    # The street approves and the fund allocates.
    _as(page, "street")
    page.goto(f"/cogov/projects/{project.pk}/")
    page.get_by_role("button", name="批准立项").click()
    expect(page.locator("h1 .badge")).to_have_text("已立项")
    page.goto("/cogov/funds/")
    page.get_by_role("link", name="学院路街道区域化共治基金").click()
    post = page.locator("#fund-post")
    post.get_by_label("类别").select_option("allocate")
    post.get_by_label("金额（元）").fill("3000")
    post.locator("select[name=project]").select_option(str(project.pk))
    post.get_by_label("摘要").fill("拨付骑手夜间驿站")
    post.get_by_role("button", name="记账").click()
    expect(page.locator(".alert")).to_contain_text("已记账")

    # The community runs it, the street inspects it, it is published.
    _as(page, "community")
    page.goto(f"/cogov/projects/{project.pk}/")
    page.get_by_role("button", name="开始实施").click()
    page.locator("#project-milestones").get_by_role("button", name="标记完成").click()
    page.get_by_label("服务人次").fill("126")
    page.get_by_role("button", name="更新").click()
    page.get_by_role("button", name="完工，申请验收").click()
    expect(page.locator("h1 .badge")).to_have_text("待验收")
    _as(page, "street")
    page.goto(f"/cogov/projects/{project.pk}/")
    page.get_by_role("button", name="验收通过，公示").click()
    expect(page.locator("h1 .badge")).to_have_text("公示中")

    # A resident finds it on the published lists and rates it.
    _as(page, "resident")
    page.goto(f"/lists/{community.pk}/")
    page.get_by_role("link", name="骑手夜间驿站").click()
    page.get_by_label("评价").select_option("5")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#project-rating")).to_contain_text("5.0 星（1 人评价）")
    page.screenshot(path=str(ARTIFACTS / "cogov_project_rated.png"), full_page=True)

    # The cockpit's figures moved.
    _as(page, "street")
    assert _figure(page, community.pk, "cogov_needs_met") == met_before + 1
    done = Project.objects.filter(
        path__startswith=community.path, status__in=["public", "rated"]
    ).count()
    assert done == done_before + 1
    page.screenshot(path=str(ARTIFACTS / "cogov_cockpit.png"), full_page=True)
