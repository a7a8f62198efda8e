"""Acceptance walk of a survey (问卷), in a real browser: the community draws up a survey of
one response per household with a conditional question (the lift question only for those
above the ground floor) and publishes it with its QR code; on phones, 王芳 on the fourth
floor sees the lift question appear when she picks her floor and answers, 李建国 on the
ground floor never sees it; the community officer enters 張偉's paper questionnaire; the results
page shows the counts and the suggestions grouped; the Excel export downloads with both
sheets. Screenshots: e2e/artifacts/survey_*.png."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def _as(page, username: str, sign_in) -> None:
    page.goto("/accounts/login/")
    sign_in(page, username)
    page.wait_for_url(lambda url: "login" not in url)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_survey_with_a_condition_online_on_paper_and_exported(live_world, open_page, sign_in):
    from doorstep.deliberation.models import Response, Survey

    world = live_world
    staff = open_page()
    _as(staff, "community1", sign_in)
    staff.goto("/surveys/")
    form = staff.locator("#survey-new")
    form.get_by_label("问卷名称").fill("加装电梯意愿调查")
    form.get_by_label("说明").fill("请每户填写一份。")
    form.get_by_label("填写份数").select_option("household")
    now = timezone.now()
    form.get_by_label("开始时间").fill(_local(now - dt.timedelta(hours=1)))
    form.get_by_label("截止时间").fill(_local(now + dt.timedelta(days=7)))
    form.get_by_role("button", name="创建并添加题目").click()
    expect(staff.locator("h1")).to_contain_text("加装电梯意愿调查")

    def add(kind: str, text: str, options: str = "", condition: list[str] | None = None):
        q = staff.locator("#question-new")
        q.get_by_label("题型").select_option(kind)
        q.get_by_label("题目").fill(text)
        if options:
            q.get_by_label("选项（每行一个").fill(options)
        if condition:
            q.get_by_label("显示条件").select_option(condition)
        if kind == "text":
            q.get_by_label("必答").uncheck()
        q.get_by_role("button", name="添加").click()
        expect(staff.locator("#questions")).to_contain_text(text)

    add("single", "您住几层？", "一层\n二至三层\n四层及以上")
    add(
        "single",
        "您是否支持加装电梯？",
        "支持\n不支持",
        ["第1题选“二至三层”", "第1题选“四层及以上”"],
    )
    add("text", "您的其他建议")
    expect(staff.locator("#questions")).to_contain_text("仅当第1题选“二至三层”或“四层及以上”时作答")
    staff.get_by_role("button", name="发布问卷").click()
    expect(staff.locator("#survey-link svg")).to_be_visible()
    survey = Survey.objects.get(title="加装电梯意愿调查")
    link = f"/s/{survey.token}/"
    expect(staff.locator("#survey-link")).to_contain_text(link)
    staff.screenshot(path=str(ARTIFACTS / "survey_published.png"), full_page=True)

    # 王芳 on her phone: the lift question appears only once she picks the fourth floor
    wang = open_page(phone=True)
    _as(wang, "resident", sign_in)
    wang.goto(link)
    lift = wang.get_by_role("group", name="2. 您是否支持加装电梯？")
    expect(lift).to_be_hidden()
    wang.get_by_label("一层").check()
    expect(lift).to_be_hidden()
    wang.get_by_label("四层及以上").check()
    expect(lift).to_be_visible()
    lift.get_by_label("支持", exact=True).check()
    wang.get_by_label("您的其他建议").fill("希望尽快加装电梯！")
    assert wang.evaluate("document.documentElement.scrollWidth <= innerWidth")
    wang.screenshot(path=str(ARTIFACTS / "survey_phone.png"), full_page=True)
    wang.get_by_role("button", name="提交问卷").click()
    expect(wang.locator("#survey-done")).to_contain_text("您家已提交这份问卷")

    # 李建国 (ground floor) answers the lift question, then changes his floor: hidden, not sent
    li = open_page(phone=True)
    _as(li, "member", sign_in)
    li.goto(link)
    li.get_by_label("二至三层").check()
    li.get_by_role("group", name="2. 您是否支持加装电梯？").get_by_label("不支持").check()
    li.get_by_label("一层").check()
    expect(li.get_by_role("group", name="2. 您是否支持加装电梯？")).to_be_hidden()
    li.get_by_label("您的其他建议").fill("希望盡快加裝電梯")
    li.get_by_role("button", name="提交问卷").click()
    expect(li.locator("#survey-done")).to_be_visible()

    # the community officer enters 張偉's paper questionnaire (found by simplified 张伟)
    staff.goto(f"/surveys/{survey.pk}/paper/")
    staff.get_by_label("居民姓名").fill("张伟")
    staff.get_by_role("button", name="查找").click()
    staff.locator("#residents-found").get_by_role("link", name="張偉").click()
    staff.get_by_label("二至三层").check()
    staff.get_by_role("group", name="2. 您是否支持加装电梯？").get_by_label("不支持").check()
    staff.get_by_role("button", name="录入").click()
    expect(staff.locator("#paper-saved")).to_be_visible()
    assert Response.objects.filter(survey=survey).count() == 3
    assert Response.objects.filter(survey=survey, channel="paper").count() == 1

    staff.goto(f"/surveys/{survey.pk}/results/")
    expect(staff.locator("#survey-totals")).to_contain_text(
        "共 3 份答卷（线上 2 份，纸质录入 1 份）"
    )
    floors = staff.locator("[data-question='1']")
    expect(floors.locator("tr[data-option='一层']")).to_have_attribute("data-count", "1")
    lift_result = staff.locator("[data-question='2']")
    expect(lift_result).to_contain_text("作答 2 人")
    expect(lift_result.locator("tr[data-option='支持']")).to_have_attribute("data-count", "1")
    expect(staff.locator("[data-question='3'] li[data-count='2']")).to_contain_text(
        "希望尽快加装电梯"
    )
    staff.screenshot(path=str(ARTIFACTS / "survey_results.png"), full_page=True)
    with staff.expect_download() as got:
        staff.get_by_role("link", name="导出Excel").click()
    with open(got.value.path(), "rb") as f:
        book = load_workbook(io.BytesIO(f.read()))
    assert book.sheetnames == ["汇总", "答卷"]
    channels = [row[2] for row in book["答卷"].iter_rows(min_row=3, values_only=True)]
    assert sorted(channels) == ["纸质问卷录入", "线上填写", "线上填写"]
    assert world.planted.name not in str(list(book["答卷"].values))
