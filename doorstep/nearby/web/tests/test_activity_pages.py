"""Activity pages: calendar, sign-up and the waiting line, QR and staff check-in, publishing;
every nearby URL is covered by a scope check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from doorstep.core.testing import make_user
from doorstep.nearby.activities import services
from doorstep.nearby.activities.models import Activity, SignUp

pytestmark = pytest.mark.django_db


@pytest.fixture
def festival(world):
    now = timezone.now()
    return services.publish(
        actor=world.personas["community_officer"],
        title="邻里节·百家宴",
        kind="festival",
        organiser=world.community_1,
        territory=world.community_1,
        address="清华东路社区党群服务中心",
        starts_at=now + dt.timedelta(days=2),
        ends_at=now + dt.timedelta(days=2, hours=2),
        capacity=1,
    )


def test_calendar_shows_the_month_and_the_list(world, festival, client):
    client.force_login(world.personas["resident"])
    month = timezone.localtime(festival.starts_at).strftime("%Y-%m")
    r = client.get(reverse("nearby:activities"), {"month": month})
    assert r.status_code == 200
    body = r.content.decode()
    assert "邻里节·百家宴" in body and "活动日历" in body
    # garbage month and kind fall back, never a 500
    assert (
        client.get(reverse("nearby:activities"), {"month": "99-\x00", "kind": "x"}).status_code
        == 200
    )


def test_sign_up_then_waiting_then_promotion_through_pages(world, festival, client):
    first = world.personas["resident"]
    second = make_user("r2", "居民二", ("resident", world.community_1))
    client.force_login(first)
    r = client.post(reverse("nearby:activity_signup", args=[festival.pk]), follow=True)
    assert "报名成功" in r.content.decode()
    client.force_login(second)
    r = client.post(reverse("nearby:activity_signup", args=[festival.pk]), follow=True)
    assert "候补" in r.content.decode()
    r = client.post(reverse("nearby:activity_signup", args=[festival.pk]))
    assert r.status_code == 409  # already signed up: message, nothing new
    assert SignUp.objects.filter(activity=festival).count() == 2
    client.force_login(first)
    client.post(reverse("nearby:activity_cancel", args=[festival.pk]))
    assert SignUp.objects.get(activity=festival, user=second).status == "confirmed"
    # someone else's sign-up cannot be cancelled by a resident
    mine = SignUp.objects.get(activity=festival, user=second)
    r = client.post(reverse("nearby:activity_cancel", args=[festival.pk]), {"signup": mine.pk})
    assert r.status_code == 403
    assert SignUp.objects.get(pk=mine.pk).status == "confirmed"


def test_staff_see_the_qr_and_check_people_in(world, festival, client):
    resident = world.personas["resident"]
    services.sign_up(festival, resident)
    Activity.objects.filter(pk=festival.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        signup_opens_at=timezone.now() - dt.timedelta(days=1),
        signup_closes_at=timezone.now() - dt.timedelta(minutes=10),
    )
    client.force_login(world.personas["community_officer"])
    page = client.get(reverse("nearby:activity", args=[festival.pk])).content.decode()
    assert "<svg" in page and "代为签到" in page
    r = client.post(reverse("nearby:activity_check_in", args=[festival.pk]), {"user": resident.pk})
    assert r.status_code == 302
    assert SignUp.objects.get(activity=festival, user=resident).checked_in_at is not None
    # the QR code leads to the host the staff member came to (a demo on another port)
    on_port = client.get(
        reverse("nearby:activity", args=[festival.pk]), HTTP_HOST="testserver:8123"
    )
    assert services.checkin_qr_svg(festival, "http://testserver:8123") in on_port.content.decode()
    assert (
        services.checkin_qr_svg(festival, "http://127.0.0.1:8000") not in on_port.content.decode()
    )
    # a resident does not see the QR or the list
    client.force_login(resident)
    page = client.get(reverse("nearby:activity", args=[festival.pk])).content.decode()
    assert "<svg" not in page and "已签到" in page


def test_self_check_in_with_the_token(world, festival, client):
    resident = world.personas["resident"]
    services.sign_up(festival, resident)
    Activity.objects.filter(pk=festival.pk).update(
        starts_at=timezone.now() + dt.timedelta(minutes=30)
    )
    client.force_login(resident)
    url = reverse("nearby:activity_check_in", args=[festival.pk])
    assert client.get(url, {"t": "nope"}).status_code == 403
    assert client.get(url, {"t": "签到码"}).status_code == 403  # not ASCII: no 500
    assert SignUp.objects.get(activity=festival, user=resident).checked_in_at is None
    r = client.get(url, {"t": festival.checkin_token})
    assert r.status_code == 302
    assert SignUp.objects.get(activity=festival, user=resident).checked_in_at is not None


def test_publishing_needs_the_permission_and_valid_times(world, client):
    client.force_login(world.personas["resident"])
    assert client.get(reverse("nearby:activity_new")).status_code == 403
    client.force_login(world.personas["community_officer"])
    now = timezone.localtime()
    data = {
        "title": "就业招聘会",
        "kind": "job_fair",
        "territory": world.community_1.pk,
        "address": "社区广场",
        "starts_at": (now + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + dt.timedelta(days=4)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": 50,
        "audience": "everyone",
    }
    r = client.post(reverse("nearby:activity_new"), data)
    assert r.status_code == 400 and "结束时间必须晚于开始时间" in r.content.decode()
    assert not Activity.objects.exists()
    data["territory"] = world.community_2.pk  # outside the officer's subtree: not offered
    data["ends_at"] = (now + dt.timedelta(days=5, hours=3)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(reverse("nearby:activity_new"), data).status_code == 400
    data["territory"] = world.community_1.pk
    r = client.post(reverse("nearby:activity_new"), data)
    assert r.status_code == 302
    assert Activity.objects.get().title == "就业招聘会"


PAGES_WITH_ID = {
    "nearby:activity",
    "nearby:activity_signup",
    "nearby:activity_cancel",
    "nearby:activity_check_in",
    "nearby:activity_capacity",
    "nearby:activity_call_off",
    "nearby:site",
    "nearby:site_book",
    "nearby:booking_cancel",
    "nearby:booking_check_in",
    "nearby:booking_approve",
    "nearby:booking_decline",
}
PAGES = {
    "nearby:activities",
    "nearby:activity_new",
    "nearby:circle",
    "nearby:circle_recompute",
    "nearby:sites",
    "nearby:nearest",
    "nearby:bookings",
    "nearby:bookings_mine",
}


def test_every_nearby_url_is_covered():
    names = {
        f"nearby:{p.name}"
        for r in get_resolver().url_patterns
        if getattr(r, "namespace", None) == "nearby"
        for p in r.url_patterns
    }
    assert names == PAGES_WITH_ID | PAGES


def test_a_cancelled_activity_elsewhere_is_404_and_anonymous_must_log_in(world, client):
    now = timezone.now()
    other = services.publish(
        actor=world.personas["street_officer"],
        title="二里庄研学",
        kind="study",
        organiser=world.community_2,
        territory=world.community_2,
        address="二里庄",
        starts_at=now + dt.timedelta(days=2),
        ends_at=now + dt.timedelta(days=2, hours=1),
        capacity=5,
    )
    Activity.objects.filter(pk=other.pk).update(status="cancelled")
    client.force_login(world.personas["community_officer"])  # community 1 only
    for name in sorted(PAGES_WITH_ID):
        method = (
            client.get if name in {"nearby:activity", "nearby:activity_check_in"} else client.post
        )
        assert method(reverse(name, args=[other.pk])).status_code == 404, name
    client.logout()
    for name in sorted(PAGES):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/accounts/login" in r["Location"]


def test_publishing_with_a_room_books_it_in_the_same_step(world, client):
    from doorstep.nearby.sites.models import Booking
    from doorstep.nearby.sites.tests.helpers import build_site_world

    sw = build_site_world(world)
    client.force_login(world.personas["community_officer"])
    day = timezone.localdate() + dt.timedelta(days=4)
    data = {
        "title": "书法培训",
        "kind": "training",
        "territory": world.community_1.pk,
        "room": sw.room.pk,
        "address": "",
        "starts_at": f"{day}T10:00",
        "ends_at": f"{day}T11:30",
        "capacity": 15,
        "audience": "everyone",
    }
    r = client.post(reverse("nearby:activity_new"), data)
    assert r.status_code == 302
    activity = Activity.objects.get()
    assert Booking.objects.get(pk=activity.booking_id).room == sw.room
    # the same slot again: the room is taken, nothing more is published or booked
    r = client.post(reverse("nearby:activity_new"), data)
    assert r.status_code == 409 and "已被预订" in r.content.decode()
    assert Activity.objects.count() == 1 and Booking.objects.count() == 1
