"""Booking a room through the site page, my bookings, the staff queue: scoped, refused
requests show their message with a 4xx and write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.core.testing import make_user
from doorstep.nearby.sites.hours import TZ, is_public_holiday
from doorstep.nearby.sites.models import Booking, BookingSeries
from doorstep.nearby.sites.tests.helpers import build_site_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world):
    return build_site_world(world)


def _day(ahead: int = 3) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=ahead)
    while is_public_holiday(day):
        day += dt.timedelta(days=1)
    return day


def _form(sw, day=None, start="10:00", end="12:00", **extra):
    data = {
        "room": sw.room.pk,
        "date": (day or _day()).isoformat(),
        "start": start,
        "end": end,
        "purpose": "舞蹈排练",
        "attendees": "8",
        "weeks": "1",
    }
    data.update(extra)
    return data


def test_resident_books_staff_approves_resident_sees_approved(sw, client):
    resident = sw.p["resident"]
    client.force_login(resident)
    r = client.post(reverse("nearby:site_book", args=[sw.site.pk]), _form(sw), follow=True)
    assert r.status_code == 200 and "等待工作人员审批" in r.content.decode()
    booking = Booking.objects.get()
    assert booking.status == "pending" and booking.booker == resident
    assert booking.start == dt.datetime.combine(_day(), dt.time(10), TZ)
    # the resident cannot approve
    assert client.get(reverse("nearby:bookings")).status_code == 403
    r = client.post(reverse("nearby:booking_approve", args=[booking.pk]))
    assert r.status_code == 403 and "无权审批" in r.content.decode()
    assert Booking.objects.get().status == "pending"
    # staff of the community approve from the queue
    client.force_login(sw.p["community_officer"])
    page = client.get(reverse("nearby:bookings")).content.decode()
    assert "舞蹈排练" in page and "多功能厅" in page
    r = client.post(reverse("nearby:booking_approve", args=[booking.pk]))
    assert r.status_code == 302
    assert Booking.objects.get().status == "approved"
    client.force_login(resident)
    page = client.get(reverse("nearby:bookings_mine")).content.decode()
    assert "已通过" in page and "取消预约" in page


def test_overlap_is_409_and_nothing_written(sw, client):
    client.force_login(sw.p["resident"])
    url = reverse("nearby:site_book", args=[sw.site.pk])
    assert client.post(url, _form(sw)).status_code == 302
    client.force_login(sw.unit_member)
    r = client.post(url, _form(sw, start="11:00", end="13:00"))
    assert r.status_code == 409 and "该时段已被预订" in r.content.decode()
    assert Booking.objects.count() == 1


def test_weekly_skips_conflicting_weeks_or_refuses_all(sw, client):
    client.force_login(sw.p["resident"])
    url = reverse("nearby:site_book", args=[sw.site.pk])
    day = _day()
    client.post(url, _form(sw, day=day + dt.timedelta(weeks=1)))
    client.force_login(sw.unit_member)
    r = client.post(url, _form(sw, day=day, weeks="3"))  # all or nothing
    assert r.status_code == 409 and "未作任何预订" in r.content.decode()
    assert Booking.objects.count() == 1 and not BookingSeries.objects.exists()
    r = client.post(url, _form(sw, day=day, weeks="3", skip="on"), follow=True)
    body = r.content.decode()
    assert "未能预订" in body
    assert Booking.objects.filter(booker=sw.unit_member).count() >= 1
    assert Booking.objects.count() <= 3


def test_decline_needs_a_reason_and_staff_of_another_community_cannot(sw, client):
    client.force_login(sw.p["resident"])
    client.post(reverse("nearby:site_book", args=[sw.site.pk]), _form(sw))
    booking = Booking.objects.get()
    client.force_login(sw.other_staff)  # 二里庄社区: the booking is out of scope
    assert client.post(reverse("nearby:booking_approve", args=[booking.pk])).status_code == 404
    assert "舞蹈排练" not in client.get(reverse("nearby:bookings")).content.decode()
    client.force_login(sw.p["community_officer"])
    r = client.post(reverse("nearby:booking_decline", args=[booking.pk]), {"reason": " "})
    assert r.status_code == 400 and "请填写未通过的原因" in r.content.decode()
    assert Booking.objects.get().status == "pending"
    r = client.post(reverse("nearby:booking_decline", args=[booking.pk]), {"reason": "当天有活动"})
    assert r.status_code == 302
    client.force_login(sw.p["resident"])
    page = client.get(reverse("nearby:bookings_mine")).content.decode()
    assert "未通过" in page and "当天有活动" in page


def test_cancel_and_check_in(sw, client):
    client.force_login(sw.p["resident"])
    client.post(reverse("nearby:site_book", args=[sw.site.pk]), _form(sw))
    booking = Booking.objects.get()
    other = make_user("r9", "居民九", ("resident", sw.world.community_1))
    client.force_login(other)
    assert client.post(reverse("nearby:booking_cancel", args=[booking.pk])).status_code == 404
    client.force_login(sw.p["resident"])
    r = client.post(reverse("nearby:booking_check_in", args=[booking.pk]))
    assert r.status_code == 400 and "尚未通过审批" in r.content.decode()
    # approved and starting in 10 minutes: the check-in button shows and works
    now = timezone.now()
    Booking.objects.filter(pk=booking.pk).update(
        status="approved",
        start=now + dt.timedelta(minutes=10),
        end=now + dt.timedelta(minutes=70),
        blocked_from=now + dt.timedelta(minutes=10),
        blocked_until=now + dt.timedelta(minutes=85),
    )
    assert "签到</button>" in client.get(reverse("nearby:bookings_mine")).content.decode()
    assert client.post(reverse("nearby:booking_check_in", args=[booking.pk])).status_code == 302
    assert Booking.objects.get().status == "checked_in"
    r = client.post(reverse("nearby:booking_cancel", args=[booking.pk]))
    assert r.status_code == 409 and Booking.objects.get().status == "checked_in"


@pytest.mark.parametrize(
    "changes",
    [
        {"date": "2026-02-30"},
        {"date": "\x00"},
        {"start": "25:00"},
        {"end": "\x00\x00"},
        {"attendees": "9" * 300},
        {"attendees": "-1"},
        {"attendees": "abc"},
        {"weeks": "9" * 300},
        {"weeks": "0"},
        {"room": "9" * 300},
        {"room": "\x00"},
        {"purpose": "\x00"},
        {"purpose": "x" * 5000},
        {"start": "12:00", "end": "10:00"},
        {"date": "2000-01-01"},
        {"date": "9999-12-31"},
        {"start": "05:00", "end": "06:00"},  # outside opening hours
    ],
)
def test_garbage_never_500_and_writes_nothing(sw, client, changes):
    client.force_login(sw.p["resident"])
    r = client.post(reverse("nearby:site_book", args=[sw.site.pk]), _form(sw, **changes))
    assert 400 <= r.status_code < 500, r.status_code
    assert "alert error" in r.content.decode()
    assert not Booking.objects.exists() and not BookingSeries.objects.exists()


def test_get_on_post_only_urls_and_anonymous(sw, client):
    client.force_login(sw.p["resident"])
    assert client.get(reverse("nearby:site_book", args=[sw.site.pk])).status_code == 405
    client.logout()
    for name in ("nearby:bookings", "nearby:bookings_mine"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/accounts/login" in r["Location"]


def test_book_for_a_co_building_unit_only_as_its_member(sw, client):
    url = reverse("nearby:site_book", args=[sw.site.pk])
    client.force_login(sw.p["resident"])
    r = client.post(url, _form(sw, organisation=str(sw.unit.pk)))
    assert r.status_code == 400 and "请选择您所在的单位" in r.content.decode()
    assert not Booking.objects.exists()
    client.force_login(sw.unit_member)
    assert (
        "学院路某科技公司" in client.get(reverse("nearby:site", args=[sw.site.pk])).content.decode()
    )
    assert client.post(url, _form(sw, organisation=str(sw.unit.pk))).status_code == 302
    assert Booking.objects.get().organisation == sw.unit
