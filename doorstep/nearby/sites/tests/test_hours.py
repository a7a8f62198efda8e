"""Opening hours: weekly rows, public holidays (2026-10-01), special closures and hours."""

from __future__ import annotations

import datetime as dt

import pytest

from doorstep.cases.models import HolidayOverride
from doorstep.nearby.sites.hours import hours_on, is_open, is_public_holiday
from doorstep.nearby.sites.models import ServiceKind, ServiceSite, SpecialDay
from doorstep.nearby.sites.tests.helpers import at, build_site_world, weekly

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world):
    return build_site_world(world)


def _open_names(moment):
    return set(ServiceSite.objects.open_at(moment).values_list("name", flat=True))


def _agree(site, moment, expected):
    """is_open and the open_at queryset give the same answer."""
    assert is_open(site, moment) is expected
    assert (site.name in _open_names(moment)) is expected


def test_public_holidays():
    assert is_public_holiday(dt.date(2026, 10, 1))  # 国庆节, a Thursday
    assert is_public_holiday(dt.date(2026, 10, 3))  # bridged weekend day of the holiday
    assert not is_public_holiday(dt.date(2026, 9, 5))  # an ordinary Saturday
    assert not is_public_holiday(dt.date(2026, 9, 30))


def test_holiday_table_corrections_count():
    HolidayOverride.objects.create(date=dt.date(2026, 9, 16), is_workday=False)
    assert is_public_holiday(dt.date(2026, 9, 16))


def test_weekly_hours(sw):
    site = sw.site  # 08:00–21:00 every day
    _agree(site, at(2026, 9, 30, 10), True)
    _agree(site, at(2026, 9, 30, 7, 59), False)
    _agree(site, at(2026, 9, 30, 21), False)  # closing time is exclusive
    _agree(site, at(2026, 9, 5, 10), True)  # an ordinary Saturday keeps its weekly hours
    # a moment given in UTC is read in Beijing time
    _agree(site, dt.datetime(2026, 9, 30, 2, tzinfo=dt.UTC), True)  # 10:00 in Beijing
    _agree(site, dt.datetime(2026, 9, 30, 23, tzinfo=dt.UTC), False)  # 07:00 next day


def test_closed_on_a_public_holiday_unless_it_opens_on_holidays(sw):
    site = sw.site
    _agree(site, at(2026, 10, 1, 10), False)
    assert hours_on(site, dt.date(2026, 10, 1)) == []
    site.open_on_holidays = True
    site.save()
    _agree(site, at(2026, 10, 1, 10), True)
    # the rider station is open on holidays too once it says so
    sw.other_site.open_on_holidays = True
    sw.other_site.save()
    assert _open_names(at(2026, 10, 1, 10)) == {"清华东路社区党群服务站", "二里庄小蜜蜂驿站"}


def test_special_closure_and_special_hours(sw):
    site = sw.site
    SpecialDay.objects.create(site=site, date=dt.date(2026, 9, 29), closed=True, note="消防检查")
    _agree(site, at(2026, 9, 29, 10), False)
    _agree(site, at(2026, 9, 28, 10), True)
    # special hours on a holiday override the holiday closure
    SpecialDay.objects.create(
        site=site,
        date=dt.date(2026, 10, 2),
        closed=False,
        opens=dt.time(9),
        closes=dt.time(12),
        note="国庆值班",
    )
    _agree(site, at(2026, 10, 2, 10), True)
    _agree(site, at(2026, 10, 2, 13), False)
    _agree(site, at(2026, 10, 1, 10), False)


def test_room_special_day_and_room_hours(sw):
    room = sw.room
    SpecialDay.objects.create(site=sw.site, room=room, date=dt.date(2026, 9, 30), closed=True)
    assert not is_open(sw.site, at(2026, 9, 30, 10), room=room)
    assert is_open(sw.site, at(2026, 9, 30, 10))  # the site itself stays open
    weekly(room=room, opens=14, closes=17)
    assert not is_open(sw.site, at(2026, 9, 28, 10), room=room)
    assert is_open(sw.site, at(2026, 9, 28, 15), room=room)


def test_inactive_sites_are_never_open(sw):
    ServiceSite.objects.filter(pk=sw.site.pk).update(active=False)
    site = ServiceSite.objects.get(pk=sw.site.pk)
    _agree(site, at(2026, 9, 30, 10), False)


def test_open_now_helper_and_service_filter(sw):
    # open_now is open_at(timezone.now()); the rider station opens 00:00–23:00 every day,
    # so both answers agree whatever the clock says
    from django.utils import timezone

    now = timezone.now()
    assert set(ServiceSite.objects.open_now()) == set(ServiceSite.objects.open_at(now))
    water = ServiceKind.objects.get(code="water")
    assert list(ServiceSite.objects.filter(services=water)) == [sw.site]


def test_service_kinds_are_seeded():
    names = set(ServiceKind.objects.values_list("name", flat=True))
    assert {"饮水", "充电", "休息", "就餐", "法律咨询", "如厕", "热饭", "阅读"} <= names
