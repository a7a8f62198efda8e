"""Acceptance walk for places and time, on the 学院路 demo street in a real browser.

A resident (on a phone) opens 家门口15分钟服务圈, picks the nearest rider station that is
open now, and books its room for tomorrow; the street officer approves it from the queue;
the resident then finds the booking on the activity calendar. Screenshots of each step
are saved under e2e/artifacts/places_*.png."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from doorstep.demo.common import DEMO_PASSWORD
from doorstep.nearby.sites.models import Booking

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def _sign_in(page, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_resident_books_the_nearest_rider_station_staff_approve_calendar_shows_it(
    demo_street, open_page
):
    resident = open_page(phone=True)
    resident.goto("/nearest/")
    _sign_in(resident, "resident")
    resident.wait_for_url(re.compile(r"/nearest/"))
    resident.get_by_label("类型").select_option(value="rider_station")
    resident.get_by_label("只看现在开放的").check()
    resident.get_by_role("button", name="查看").click()
    first = resident.locator(".site-list li").first
    expect(first.locator(".badge.open")).to_have_text("开放中")
    expect(first.locator(".walk")).to_contain_text("步行约")
    station = first.locator("a strong").inner_text()
    assert "驿站" in station
    resident.screenshot(path=ARTIFACTS / "places_nearest_rider_station.png", full_page=True)

    first.locator("a").click()
    expect(resident.get_by_role("heading", level=1)).to_contain_text(station)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    form = resident.locator("form.booking-form")
    form.get_by_label("房间").select_option(label="骑手议事室")
    form.get_by_label("日期").fill(tomorrow.isoformat())
    form.get_by_label("开始").fill("10:00")
    form.get_by_label("结束").fill("11:30")
    form.get_by_label("用途").fill("送餐安全小课堂")
    form.get_by_label("人数").fill("6")
    form.get_by_role("button", name="提交预订").click()
    expect(resident.get_by_text("等待工作人员审批")).to_be_visible()
    booking = Booking.objects.get(purpose="送餐安全小课堂")
    assert booking.status == "pending" and booking.room.site.name == station
    resident.screenshot(path=ARTIFACTS / "places_booking_submitted.png", full_page=True)

    staff = open_page()
    staff.goto("/bookings/")
    _sign_in(staff, "street")
    staff.wait_for_url(re.compile(r"/bookings/"))
    row = staff.locator(".booking-list li", has_text="送餐安全小课堂")
    expect(row).to_contain_text(station)
    row.get_by_role("button", name="通过", exact=True).click()
    expect(staff.get_by_text("已通过")).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == "approved" and booking.decided_by.username == "street"
    staff.screenshot(path=ARTIFACTS / "places_queue_approved.png", full_page=True)

    resident.goto(f"/activities/?month={tomorrow:%Y-%m}")
    item = resident.locator(".calendar .cal-room", has_text="骑手议事室")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("10:00 场地：骑手议事室（送餐安全小课堂）")
    resident.screenshot(path=ARTIFACTS / "places_calendar.png", full_page=True)
