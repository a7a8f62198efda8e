"""An activity books its room in the same step; a refused booking publishes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from doorstep.cases.calendar import TZ
from doorstep.nearby.activities import services
from doorstep.nearby.activities.models import Activity
from doorstep.nearby.sites.models import Booking
from doorstep.nearby.sites.services import book
from doorstep.nearby.sites.tests.helpers import build_site_world

pytestmark = pytest.mark.django_db


def _slot(days: int = 3) -> tuple[dt.datetime, dt.datetime]:
    day = timezone.localdate() + dt.timedelta(days=days)
    start = dt.datetime.combine(day, dt.time(10), TZ)
    return start, start + dt.timedelta(hours=2)


def _publish(world, room, start, end):
    return services.publish(
        actor=world.personas["community_officer"],
        title="书法培训",
        kind="training",
        organiser=world.community_1,
        territory=world.community_1,
        address="",
        starts_at=start,
        ends_at=end,
        capacity=30,
        room=room,
    )


def test_the_room_is_booked_with_the_activity(world):
    sw = build_site_world(world)
    start, end = _slot()
    activity = _publish(world, sw.room, start, end)
    assert activity.site == sw.site and activity.address == sw.site.address
    booking = Booking.objects.get(pk=activity.booking_id)
    assert (booking.room, booking.start, booking.end) == (sw.room, start, end)
    assert booking.attendees == sw.room.capacity  # 30 people, a room for 20: the room's size
    assert booking.status == "pending"  # the room needs approval


def test_a_taken_slot_publishes_nothing(world):
    sw = build_site_world(world)
    start, end = _slot()
    book(
        actor=world.personas["resident"],
        room=sw.room,
        start=start + dt.timedelta(minutes=30),
        end=end,
        purpose="家庭聚会",
    )
    with pytest.raises(services.ActivityError) as caught:
        _publish(world, sw.room, start, end)
    assert caught.value.status == 409 and "已被预订" in caught.value.message
    assert not Activity.objects.exists()
    assert Booking.objects.count() == 1
