"""Running an activity: co-organisers, co-building units publishing for themselves,
changing the number of places, calling the whole activity off (its room is freed)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.core.testing import make_user
from doorstep.inbox.models import Notification
from doorstep.nearby.activities import services
from doorstep.nearby.activities.models import Activity, SignUp
from doorstep.nearby.sites.models import Booking
from doorstep.nearby.sites.tests.helpers import build_site_world

pytestmark = pytest.mark.django_db


def _when(days: int, hours: int = 0) -> str:
    return (timezone.localtime() + dt.timedelta(days=days, hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _form(world, **extra):
    data = {
        "title": "共建单位健康讲座",
        "kind": "training",
        "territory": world.community_1.pk,
        "address": "社区活动室",
        "starts_at": _when(6),
        "ends_at": _when(6, 2),
        "capacity": 30,
        "audience": "elderly",
    }
    data.update(extra)
    return data


@pytest.fixture
def talk(world):
    now = timezone.now()
    return services.publish(
        actor=world.personas["community_officer"],
        title="防诈骗讲座",
        kind="training",
        organiser=world.community_1,
        territory=world.community_1,
        address="清华东路社区活动室",
        starts_at=now + dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=3, hours=2),
        capacity=2,
    )


def test_staff_publish_with_co_organisers_shown_on_the_page(world, client):
    sw = build_site_world(world)
    client.force_login(world.personas["community_officer"])
    page = client.get(reverse("nearby:activity_new")).content.decode()
    assert "协办单位" in page and sw.unit.name in page
    r = client.post(
        reverse("nearby:activity_new"), _form(world, co_organisers=[sw.unit.pk], title="邻里节")
    )
    assert r.status_code == 302
    activity = Activity.objects.get(title="邻里节")
    assert list(activity.co_organisers.all()) == [sw.unit]
    assert activity.organiser == world.community_1
    page = client.get(reverse("nearby:activity", args=[activity.pk])).content.decode()
    assert "协办" in page and sw.unit.name in page


def test_a_co_building_unit_publishes_for_itself_in_its_paired_area(world, client):
    sw = build_site_world(world)  # the unit belongs to 清华东路社区
    client.force_login(sw.unit_member)
    page = client.get(reverse("nearby:activity_new"))
    assert page.status_code == 200
    r = client.post(reverse("nearby:activity_new"), _form(world, organiser=sw.unit.pk))
    assert r.status_code == 302, r.content.decode()[:2000]
    activity = Activity.objects.get()
    assert activity.organiser == sw.unit and activity.territory == world.community_1
    # …and runs it: the unit may change its places
    r = client.post(reverse("nearby:activity_capacity", args=[activity.pk]), {"capacity": 40})
    assert r.status_code == 302
    assert Activity.objects.get(pk=activity.pk).capacity == 40
    # but not in another community
    r = client.post(
        reverse("nearby:activity_new"),
        _form(world, organiser=sw.unit.pk, territory=world.community_2.pk, title="越界"),
    )
    assert r.status_code == 400
    with pytest.raises(services.ActivityDenied):
        services.publish(
            actor=sw.unit_member,
            title="越界",
            kind="training",
            organiser=sw.unit,
            territory=world.community_2,
            address="二里庄",
            starts_at=timezone.now() + dt.timedelta(days=2),
            ends_at=timezone.now() + dt.timedelta(days=2, hours=1),
            capacity=5,
        )
    assert not Activity.objects.filter(title="越界").exists()


def test_staff_cannot_name_an_organiser_outside_their_area(world):
    far = create_organisation(name="别的街道", kind=Kind.STREET, parent=None)
    with pytest.raises(services.ActivityDenied):
        services.publish(
            actor=world.personas["community_officer"],
            title="冒名活动",
            kind="market",
            organiser=far,
            territory=world.community_1,
            address="社区广场",
            starts_at=timezone.now() + dt.timedelta(days=2),
            ends_at=timezone.now() + dt.timedelta(days=2, hours=1),
            capacity=5,
        )
    assert not Activity.objects.exists()


def test_more_places_promote_the_waiting_line_and_fewer_than_signed_up_is_refused(
    world, talk, client, django_capture_on_commit_callbacks
):
    people = [make_user(f"r{i}", f"居民{i}", ("resident", world.community_1)) for i in range(4)]
    for person in people:
        services.sign_up(talk, person)
    assert [s.status for s in SignUp.objects.filter(activity=talk).order_by("pk")] == [
        "confirmed",
        "confirmed",
        "waiting",
        "waiting",
    ]
    url = reverse("nearby:activity_capacity", args=[talk.pk])
    client.force_login(people[0])  # a resident may not
    assert client.post(url, {"capacity": 10}).status_code == 403
    assert Activity.objects.get(pk=talk.pk).capacity == 2
    client.force_login(world.personas["community_officer"])
    page = client.get(reverse("nearby:activity", args=[talk.pk])).content.decode()
    assert "修改名额" in page and "取消活动" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"capacity": 3}).status_code == 302
    statuses = [s.status for s in SignUp.objects.filter(activity=talk).order_by("pk")]
    assert statuses == ["confirmed", "confirmed", "confirmed", "waiting"]
    assert Notification.objects.filter(user=people[2], kind="activity_promoted").exists()
    r = client.post(url, {"capacity": 1})
    assert r.status_code == 400 and "名额不能少于已报名人数（3人）" in r.content.decode()
    r = client.post(url, {"capacity": "很多"})
    assert r.status_code == 400
    assert Activity.objects.get(pk=talk.pk).capacity == 3


def test_calling_an_activity_off_tells_everyone_and_frees_its_room(
    world, client, django_capture_on_commit_callbacks
):
    sw = build_site_world(world)
    start = timezone.localtime() + dt.timedelta(days=7)
    start = start.replace(hour=10, minute=0, second=0, microsecond=0)
    activity = services.publish(
        actor=world.personas["community_officer"],
        title="书画展",
        kind="culture",
        organiser=world.community_1,
        territory=world.community_1,
        address="",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=5,
        room=sw.room,
    )
    booking = Booking.objects.get(pk=activity.booking_id)
    resident = world.personas["resident"]
    services.sign_up(activity, resident)
    url = reverse("nearby:activity_call_off", args=[activity.pk])
    client.force_login(resident)
    assert client.post(url, {"reason": "不想办了"}).status_code == 403
    assert Activity.objects.get(pk=activity.pk).status == "published"
    client.force_login(world.personas["community_officer"])
    r = client.post(url, {"reason": ""})
    assert r.status_code == 400 and "取消原因" in r.content.decode()
    assert Activity.objects.get(pk=activity.pk).status == "published"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, {"reason": "天气预警，改期举办"}, follow=True)
    assert "活动已取消" in r.content.decode()
    assert Activity.objects.get(pk=activity.pk).status == "cancelled"
    booking.refresh_from_db()
    assert booking.status == "cancelled" and "天气预警" in booking.cancel_reason
    note = Notification.objects.get(user=resident, kind="activity_cancelled")
    assert "书画展" in note.title and "天气预警" in note.body
    # twice is a conflict, nothing changes; sign-ups on a cancelled activity are refused
    assert client.post(url, {"reason": "再取消"}).status_code == 409
    with pytest.raises(services.ActivityConflict):
        services.sign_up(activity, make_user("late", "晚到", ("resident", world.community_1)))


def test_staff_see_sessions_and_attendances_of_the_month_on_the_calendar(world, talk, client):
    resident = world.personas["resident"]
    services.sign_up(talk, resident)
    start = timezone.now() - dt.timedelta(minutes=20)
    Activity.objects.filter(pk=talk.pk).update(
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        signup_opens_at=start - dt.timedelta(days=2),
        signup_closes_at=start,
    )
    services.check_in(talk, resident, by=world.personas["community_officer"])
    month = timezone.localtime(start).strftime("%Y-%m")
    client.force_login(world.personas["community_officer"])
    page = client.get(reverse("nearby:activities"), {"month": month}).content.decode()
    assert "清华东路社区本月已举办 <b>1</b> 场、参与 <b>1</b> 人次" in page
    client.force_login(resident)
    page = client.get(reverse("nearby:activities"), {"month": month}).content.decode()
    assert "本月已举办" not in page


def test_the_sign_up_window_can_open_later(world, client):
    client.force_login(world.personas["community_officer"])
    r = client.post(
        reverse("nearby:activity_new"),
        _form(world, title="晚开报名", signup_opens_at=_when(2), signup_closes_at=_when(4)),
    )
    assert r.status_code == 302
    activity = Activity.objects.get(title="晚开报名")
    with pytest.raises(services.ActivityConflict, match="报名尚未开始"):
        services.sign_up(activity, world.personas["resident"])
    assert not SignUp.objects.filter(activity=activity).exists()
