"""Booking rules: each refusal has a clear Chinese message and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from doorstep.nearby.sites import services
from doorstep.nearby.sites.errors import TAKEN, NotAllowed, SiteError, SlotTaken
from doorstep.nearby.sites.models import (
    Booking,
    BookingSeries,
    BookingStatus,
    OpeningHours,
    Room,
)
from doorstep.nearby.sites.tests.helpers import NOW, at, build_site_world, weekly

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world):
    return build_site_world(world)


def _book(sw, start, end, user=None, **kw):
    kw.setdefault("purpose", "书法班")
    return services.book(
        actor=user or sw.p["resident"], room=sw.room, start=start, end=end, now=NOW, **kw
    )


def _refused(sw, exc_type, message, start, end, **kw):
    before = Booking.objects.count(), BookingSeries.objects.count()
    with pytest.raises(exc_type) as info:
        _book(sw, start, end, **kw)
    assert info.value.message == message
    assert (Booking.objects.count(), BookingSeries.objects.count()) == before
    return info.value


def test_a_free_slot_is_booked_pending_with_its_buffer(sw):
    b = _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 12), attendees=12)
    assert b.status == BookingStatus.PENDING
    assert (b.blocked_from, b.blocked_until) == (b.start, b.end + dt.timedelta(minutes=15))
    assert b.booker == sw.p["resident"] and b.attendees == 12


def test_room_without_approval_is_approved_at_once(sw):
    Room.objects.filter(pk=sw.room.pk).update(needs_approval=False)
    b = _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 12))
    assert b.status == BookingStatus.APPROVED


def test_end_before_start(sw):
    e = _refused(sw, SiteError, "结束时间须晚于开始时间", at(2026, 9, 2, 12), at(2026, 9, 2, 10))
    assert e.field == "end"
    _refused(sw, SiteError, "结束时间须晚于开始时间", at(2026, 9, 2, 12), at(2026, 9, 2, 12))


def test_in_the_past(sw):
    _refused(sw, SiteError, "只能预订将来的时段", at(2026, 8, 31, 10), at(2026, 8, 31, 11))
    _refused(sw, SiteError, "只能预订将来的时段", at(2026, 9, 1, 8), at(2026, 9, 1, 10))


def test_outside_opening_hours(sw):
    # the site opens 08:00–21:00
    _refused(sw, SiteError, "所选时段不在该房间的开放时间内", at(2026, 9, 2, 7), at(2026, 9, 2, 9))
    _refused(
        sw, SiteError, "所选时段不在该房间的开放时间内", at(2026, 9, 2, 20), at(2026, 9, 2, 22)
    )
    _refused(sw, SiteError, "所选时段不在该房间的开放时间内", at(2026, 9, 2, 20), at(2026, 9, 3, 9))
    # on the National Day holiday the site is closed
    _refused(
        sw, SiteError, "所选时段不在该房间的开放时间内", at(2026, 10, 1, 10), at(2026, 10, 1, 11)
    )


def test_room_with_its_own_hours_ignores_the_site_hours(sw):
    weekly(room=sw.room, opens=14, closes=17)
    _refused(
        sw, SiteError, "所选时段不在该房间的开放时间内", at(2026, 9, 2, 10), at(2026, 9, 2, 11)
    )
    assert _book(sw, at(2026, 9, 2, 14), at(2026, 9, 2, 17)).pk
    OpeningHours.objects.filter(room=sw.room).delete()


def test_capacity_and_attendees(sw):
    _refused(
        sw,
        SiteError,
        "参加人数超过房间容量（最多20人）",
        at(2026, 9, 2, 10),
        at(2026, 9, 2, 11),
        attendees=21,
    )
    _refused(
        sw, SiteError, "参加人数至少为1人", at(2026, 9, 2, 10), at(2026, 9, 2, 11), attendees=0
    )


def test_purpose_is_required(sw):
    _refused(sw, SiteError, "请填写用途", at(2026, 9, 2, 10), at(2026, 9, 2, 11), purpose="  ")


def test_kind_not_allowed(sw):
    Room.objects.filter(pk=sw.room.pk).update(bookable_by_residents=False)
    _refused(sw, NotAllowed, "该房间不对居民开放预订", at(2026, 9, 2, 10), at(2026, 9, 2, 11))
    # the co-building unit may, as a unit
    b = _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 11), user=sw.unit_member, organisation=sw.unit)
    assert b.organisation == sw.unit
    Room.objects.filter(pk=sw.room.pk).update(bookable_by_co_building=False)
    _refused(
        sw,
        NotAllowed,
        "该房间不对共建单位开放预订",
        at(2026, 9, 3, 10),
        at(2026, 9, 3, 11),
        user=sw.unit_member,
        organisation=sw.unit,
    )


def test_booking_for_an_organisation_one_does_not_belong_to(sw):
    _refused(
        sw,
        NotAllowed,
        "您不是该单位的成员，不能以其名义预订",
        at(2026, 9, 2, 10),
        at(2026, 9, 2, 11),
        organisation=sw.unit,
    )


def test_inactive_room(sw):
    Room.objects.filter(pk=sw.room.pk).update(active=False)
    _refused(sw, SiteError, "该房间暂停预订", at(2026, 9, 2, 10), at(2026, 9, 2, 11))


def test_overlap_including_the_buffer(sw):
    _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 12))  # blocks 10:00–12:15
    other = sw.world.personas["party_member"]
    for start, end in [
        (at(2026, 9, 2, 11), at(2026, 9, 2, 13)),  # plain overlap
        (at(2026, 9, 2, 9), at(2026, 9, 2, 14)),  # around it
        (at(2026, 9, 2, 12), at(2026, 9, 2, 13)),  # inside the buffer after it
        (at(2026, 9, 2, 12, 10), at(2026, 9, 2, 13)),
        (at(2026, 9, 2, 9), at(2026, 9, 2, 9, 50)),  # its own buffer reaches 10:05
    ]:
        e = _refused(sw, SlotTaken, TAKEN, start, end, user=other)
        assert e.status == 409
    # right after the buffer, and ending a full buffer before: fine
    assert _book(sw, at(2026, 9, 2, 12, 15), at(2026, 9, 2, 13), user=other).pk
    assert _book(sw, at(2026, 9, 2, 9), at(2026, 9, 2, 9, 45), user=other).pk


def test_cancelled_and_declined_bookings_free_the_slot(sw):
    b = _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 12))
    services.cancel(actor=sw.p["resident"], booking=b, now=NOW)
    b2 = _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 12), user=sw.p["party_member"])
    services.decline(actor=sw.p["community_officer"], booking=b2, reason="场地检修", now=NOW)
    assert _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 12)).pk


def test_other_rooms_are_independent(sw):
    _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 12))
    room2 = Room.objects.create(site=sw.site, name="书画室", capacity=8)
    b = services.book(
        actor=sw.p["party_member"],
        room=room2,
        start=at(2026, 9, 2, 10),
        end=at(2026, 9, 2, 12),
        purpose="国画",
        now=NOW,
    )
    assert b.pk


def test_anonymous_may_not_book(sw):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed, match="请先登录"):
        _book(sw, at(2026, 9, 2, 10), at(2026, 9, 2, 11), user=AnonymousUser())
    assert not Booking.objects.exists()
