"""Weekly bookings: skip-and-report the conflicting weeks, or all-or-nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from doorstep.inbox.models import Notification
from doorstep.nearby.sites import services
from doorstep.nearby.sites.errors import TAKEN, SiteError
from doorstep.nearby.sites.models import Booking, BookingSeries, BookingStatus
from doorstep.nearby.sites.services import SeriesConflict
from doorstep.nearby.sites.tests.helpers import NOW, at, build_site_world

pytestmark = pytest.mark.django_db

FIRST = at(2026, 10, 13, 19)  # a Tuesday, 19:00–21:00, for 8 weeks
TAKEN_DAYS = [dt.date(2026, 10, 20), dt.date(2026, 11, 10)]


@pytest.fixture
def sw(world):
    sw = build_site_world(world)
    for day in TAKEN_DAYS:
        services.book(
            actor=sw.p["party_member"],
            room=sw.room,
            start=dt.datetime.combine(day, dt.time(18), FIRST.tzinfo),
            end=dt.datetime.combine(day, dt.time(19, 30), FIRST.tzinfo),
            purpose="党员活动",
            now=NOW,
        )
    return sw


def _weekly(sw, **kw):
    return services.book_weekly(
        actor=sw.p["resident"],
        room=sw.room,
        start=FIRST,
        end=FIRST + dt.timedelta(hours=2),
        weeks=8,
        purpose="合唱团排练",
        attendees=15,
        now=NOW,
        **kw,
    )


def test_skip_conflicting_weeks_and_report_them(sw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = _weekly(sw, skip_conflicts=True)
    assert result.skipped_dates == TAKEN_DAYS
    assert all(reason == TAKEN for _, reason in result.skipped)
    assert len(result.bookings) == 6
    booked = list(
        Booking.objects.filter(series=result.series)
        .order_by("start")
        .values_list("start", flat=True)
    )
    expected = [FIRST + dt.timedelta(weeks=w) for w in range(8)]
    expected = [s for s in expected if s.date() not in TAKEN_DAYS]
    assert booked == expected
    assert all(b.status == BookingStatus.PENDING for b in result.bookings)
    # one notice for the series, not eight
    assert Notification.objects.filter(user=sw.p["resident"], kind="booking_submitted").count() == 1
    [note] = Notification.objects.filter(user=sw.p["community_officer"], kind="booking_pending")
    assert "共6次" in note.body


def test_all_or_nothing_writes_nothing(sw):
    before = Booking.objects.count(), BookingSeries.objects.count()
    with pytest.raises(SeriesConflict) as info:
        _weekly(sw, skip_conflicts=False)
    assert info.value.dates == TAKEN_DAYS
    assert info.value.message == "以下日期无法预订，本次未作任何预订：10月20日、11月10日"
    assert (Booking.objects.count(), BookingSeries.objects.count()) == before


def test_all_or_nothing_books_every_week_when_free(sw):
    Booking.objects.filter(booker=sw.p["party_member"]).update(status=BookingStatus.CANCELLED)
    result = _weekly(sw, skip_conflicts=False)
    assert len(result.bookings) == 8 and result.skipped == []


def test_holiday_weeks_are_reported_too(sw):
    first = at(2026, 9, 29, 19)  # the next Tuesday, 10-06, falls in the National Day holiday
    result = services.book_weekly(
        actor=sw.p["resident"],
        room=sw.room,
        start=first,
        end=first + dt.timedelta(hours=1),
        weeks=3,
        purpose="读书会",
        now=NOW,
    )
    assert result.skipped == [(dt.date(2026, 10, 6), "所选时段不在该房间的开放时间内")]


def test_bad_series_requests(sw):
    before = Booking.objects.count(), BookingSeries.objects.count()
    for kw, message in [
        ({"weeks": 1}, "重复周数须在2到52之间"),
        ({"weeks": 53}, "重复周数须在2到52之间"),
        ({"end": FIRST - dt.timedelta(hours=1)}, "结束时间须晚于开始时间"),
        ({"attendees": 99}, "参加人数超过房间容量（最多20人）"),
    ]:
        args = {
            "actor": sw.p["resident"],
            "room": sw.room,
            "start": FIRST,
            "end": FIRST + dt.timedelta(hours=2),
            "weeks": 8,
            "purpose": "合唱",
            "now": NOW,
            **kw,
        }
        with pytest.raises(SiteError) as info:
            services.book_weekly(**args)
        assert info.value.message == message
    assert (Booking.objects.count(), BookingSeries.objects.count()) == before


def test_every_week_taken_books_nothing(sw):
    result = _weekly(sw)
    assert len(result.bookings) == 6
    before = Booking.objects.count(), BookingSeries.objects.count()
    with pytest.raises(SiteError, match="所选各周均无法预订"):
        _weekly(sw)
    assert (Booking.objects.count(), BookingSeries.objects.count()) == before
