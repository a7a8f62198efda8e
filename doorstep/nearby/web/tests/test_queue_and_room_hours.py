"""Staff check arrivals in from the booking queue; a room with hours of its own shows them
on the site page."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from doorstep.nearby.sites import services
from doorstep.nearby.sites.models import Booking, Room
from doorstep.nearby.sites.tests.helpers import NOW, at, build_site_world, weekly

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world):
    return build_site_world(world)


def test_staff_check_an_arrival_in_from_the_queue(sw, client):
    resident = sw.p["resident"]
    with time_machine.travel(NOW, tick=False):  # Tuesday 09:00 in Beijing
        soon = services.book(
            actor=resident,
            room=sw.room,
            start=at(2026, 9, 1, 9, 20),
            end=at(2026, 9, 1, 10, 20),
            purpose="读书会",
        )
        later = services.book(
            actor=resident,
            room=sw.room,
            start=at(2026, 9, 1, 15),
            end=at(2026, 9, 1, 16),
            purpose="合唱排练",
        )
        staff = sw.p["community_officer"]
        for b in (soon, later):
            services.approve(actor=staff, booking=b)
        client.force_login(staff)
        page = client.get(reverse("nearby:bookings")).content.decode()
        assert "今日到场签到" in page and "读书会" in page and "合唱排练" in page
        assert page.count("到场签到</button>") == 1  # the 15:00 one is not open yet
        url = reverse("nearby:booking_check_in", args=[soon.pk])
        r = client.post(url, {"from": "queue"}, follow=True)
        assert r.redirect_chain[-1][0] == reverse("nearby:bookings")
        assert "签到成功" in r.content.decode() and "已签到 09:00" in r.content.decode()
        assert Booking.objects.get(pk=soon.pk).status == "checked_in"
        # too early for the afternoon booking: a message and a 400, nothing changes
        r = client.post(reverse("nearby:booking_check_in", args=[later.pk]), {"from": "queue"})
        assert r.status_code == 400 and "还未到签到时间" in r.content.decode()
        assert Booking.objects.get(pk=later.pk).status == "approved"
        # staff of another community neither see nor check in these
        client.force_login(sw.other_staff)
        assert "读书会" not in client.get(reverse("nearby:bookings")).content.decode()
        assert client.post(url, {"from": "queue"}).status_code == 404


def test_a_room_with_its_own_hours_shows_them_on_the_site_page(sw, client):
    dance = Room.objects.create(site=sw.site, name="舞蹈室", capacity=15, needs_approval=False)
    weekly(room=dance, opens=18, closes=21)
    client.force_login(sw.p["resident"])
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("nearby:site", args=[sw.site.pk])).content.decode()
    assert "舞蹈室的开放时间" in page and "18:00–21:00" in page
    assert "多功能厅的开放时间" not in page  # it follows the site's hours
    assert "08:00–21:00" in page
    # and a booking outside the room's own hours is refused, though the site is open
    with time_machine.travel(NOW, tick=False), pytest.raises(services.SiteError):
        services.book(
            actor=sw.p["resident"],
            room=dance,
            start=at(2026, 9, 2, 10),
            end=at(2026, 9, 2, 11),
            purpose="练舞",
        )
    assert not Booking.objects.filter(room=dance).exists()


def test_the_calendar_shows_approved_room_bookings_to_the_booker_and_area_staff(sw, client):
    resident = sw.p["resident"]
    with time_machine.travel(NOW, tick=False):
        booking = services.book(
            actor=resident,
            room=sw.room,
            start=at(2026, 9, 8, 19),
            end=at(2026, 9, 8, 20),
            purpose="合唱排练",
        )
        client.force_login(resident)
        calendar = reverse("nearby:activities")
        page = client.get(calendar, {"month": "2026-09"}).content.decode()
        assert "场地：多功能厅" not in page  # pending: not yet on the calendar
        services.approve(actor=sw.p["community_officer"], booking=booking)
        page = client.get(calendar, {"month": "2026-09"}).content.decode()
        assert "19:00 场地：多功能厅（合唱排练）" in page
        client.force_login(sw.p["community_officer"])
        assert "场地：多功能厅" in client.get(calendar, {"month": "2026-09"}).content.decode()
        for other in (sw.other_staff, sw.p["grid_worker_b"], sw.p["system_admin"]):
            client.force_login(other)
            page = client.get(calendar, {"month": "2026-09"}).content.decode()
            assert "场地：多功能厅" not in page
