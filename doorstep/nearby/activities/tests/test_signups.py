"""Sign-ups, the waiting line, check-in and attendance counts."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from doorstep.core.testing import make_user
from doorstep.inbox.models import Notification
from doorstep.nearby.activities import services
from doorstep.nearby.activities.models import Activity, SignUp, SignUpStatus

pytestmark = pytest.mark.django_db


def _activity(world, capacity: int = 10, **extra) -> Activity:
    now = timezone.now()
    fields = dict(
        actor=world.personas["community_officer"],
        title="邻里节·百家宴",
        kind="festival",
        organiser=world.community_1,
        territory=world.community_1,
        address="清华东路社区党群服务中心",
        starts_at=now + dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=3, hours=3),
        capacity=capacity,
    )
    fields.update(extra)
    return services.publish(**fields)


def _residents(world, n: int, prefix: str = "r") -> list:
    return [
        make_user(f"{prefix}{i:02d}", f"居民{i:02d}", ("resident", world.community_1))
        for i in range(n)
    ]


def test_waiting_line_promotes_the_first_three_in_order_and_tells_them(
    world, django_capture_on_commit_callbacks
):
    activity = _activity(world, capacity=10)
    people = _residents(world, 15)
    with django_capture_on_commit_callbacks(execute=True):
        signups = [services.sign_up(activity, u) for u in people]
    assert [s.status for s in signups] == ["confirmed"] * 10 + ["waiting"] * 5
    with django_capture_on_commit_callbacks(execute=True):
        promoted = [services.cancel(signups[i], actor=people[i]) for i in (2, 5, 7)]
    assert [p.user for p in promoted] == people[10:13]
    statuses = dict(SignUp.objects.filter(activity=activity).values_list("user_id", "status"))
    assert [statuses[u.pk] for u in people[10:13]] == ["confirmed"] * 3
    assert [statuses[u.pk] for u in people[13:]] == ["waiting"] * 2
    assert services.confirmed_count(activity) == 10
    for u in people[10:13]:
        assert Notification.objects.filter(user=u, kind="activity_promoted").count() == 1
    for u in people[13:]:
        assert not Notification.objects.filter(user=u, kind="activity_promoted").exists()


def test_cancelling_a_waiting_place_promotes_nobody(world):
    activity = _activity(world, capacity=1)
    a, b, c = _residents(world, 3)
    services.sign_up(activity, a)
    sb = services.sign_up(activity, b)
    services.sign_up(activity, c)
    assert services.cancel(sb, actor=b) is None
    assert SignUp.objects.get(activity=activity, user=c).status == SignUpStatus.WAITING


def test_window_duplicate_and_capacity_rules_write_nothing(world):
    now = timezone.now()
    activity = _activity(
        world,
        capacity=2,
        signup_opens_at=now + dt.timedelta(days=1),
        signup_closes_at=now + dt.timedelta(days=2),
    )
    a, b = _residents(world, 2)
    with pytest.raises(services.ActivityConflict, match="报名尚未开始"):
        services.sign_up(activity, a)
    assert not SignUp.objects.exists()
    Activity.objects.filter(pk=activity.pk).update(
        signup_opens_at=now - dt.timedelta(days=2), signup_closes_at=now - dt.timedelta(days=1)
    )
    with pytest.raises(services.ActivityConflict, match="报名已截止"):
        services.sign_up(activity, a)
    Activity.objects.filter(pk=activity.pk).update(signup_closes_at=now + dt.timedelta(days=1))
    services.sign_up(activity, a)
    with pytest.raises(services.ActivityConflict, match="已报名"):
        services.sign_up(activity, a)
    services.sign_up(activity, b)
    officer = world.personas["community_officer"]
    with pytest.raises(services.ActivityError, match="不能少于已报名人数"):
        services.set_capacity(activity, capacity=1, actor=officer)
    activity.refresh_from_db()
    assert activity.capacity == 2
    with pytest.raises(services.ActivityDenied):
        services.set_capacity(activity, capacity=5, actor=world.personas["grid_worker_b"])


def test_bad_activities_are_refused(world):
    now = timezone.now()
    officer = world.personas["community_officer"]
    with pytest.raises(services.ActivityError, match="结束时间"):
        _activity(world, ends_at=now + dt.timedelta(days=2))
    with pytest.raises(services.ActivityError, match="名额"):
        _activity(world, capacity=0)
    with pytest.raises(services.ActivityError, match="已过"):
        _activity(world, starts_at=now - dt.timedelta(hours=1))
    with pytest.raises(services.ActivityDenied):
        _activity(world, territory=world.community_2)  # outside the officer's subtree
    with pytest.raises(services.ActivityDenied):
        _activity(world, actor=world.personas["resident"])
    assert not Activity.objects.exists()
    assert officer.has_perm("activities.add_activity")


def test_more_places_promote_the_line(world, django_capture_on_commit_callbacks):
    activity = _activity(world, capacity=1)
    people = _residents(world, 4)
    for u in people:
        services.sign_up(activity, u)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_capacity(activity, capacity=3, actor=world.personas["community_officer"])
    confirmed = list(
        SignUp.objects.filter(activity=activity, status="confirmed").values_list("user", flat=True)
    )
    assert sorted(confirmed) == sorted(u.pk for u in people[:3])


def test_check_in_by_qr_or_by_staff_and_attendance(world):
    activity = _activity(world, capacity=5)
    a, b, c = _residents(world, 3)
    for u in (a, b, c):
        services.sign_up(activity, u)
    with pytest.raises(services.ActivityConflict, match="签到时间"):
        services.check_in(activity, a, token=activity.checkin_token)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=10),
        signup_opens_at=timezone.now() - dt.timedelta(days=1),
        signup_closes_at=timezone.now() - dt.timedelta(minutes=20),
    )
    with pytest.raises(services.ActivityDenied, match="签到码"):
        services.check_in(activity, a, token="wrong")
    services.check_in(activity, a, token=activity.checkin_token)
    with pytest.raises(services.ActivityConflict, match="已签到"):
        services.check_in(activity, a, token=activity.checkin_token)
    services.check_in(activity, b, by=world.personas["community_officer"])
    with pytest.raises(services.ActivityDenied):
        services.check_in(activity, c, by=world.personas["grid_worker_b"])
    outsider = world.personas["outsider"]
    with pytest.raises(services.ActivityConflict, match="未找到"):
        services.check_in(activity, outsider, token=activity.checkin_token)
    counts = services.attendance(world.street)
    assert counts == {"sessions": 1, "attendances": 2}
    assert services.attendance(world.community_2) == {"sessions": 0, "attendances": 0}
    svg = services.checkin_qr_svg(activity, "http://127.0.0.1:8000")
    assert svg.lstrip().startswith("<svg") and "path" in svg


@pytest.mark.django_db(transaction=True)
def test_twenty_people_race_for_five_places(world):
    """Exactly five confirmed, fifteen waiting, whatever the interleaving."""
    activity = _activity(world, capacity=5)
    people = _residents(world, 20, prefix="race")
    errors: list[BaseException] = []
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(len(people), timeout=60)

        def go(user) -> None:
            try:
                barrier.wait(timeout=30)
                services.sign_up(activity.pk, user)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=go, args=(u,)) for u in people]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    else:  # SQLite's in-memory test database takes one writer at a time anyway
        for u in people:
            services.sign_up(activity.pk, u)
    assert not errors, errors
    rows = SignUp.objects.filter(activity=activity)
    assert rows.filter(status="confirmed").count() == 5
    assert rows.filter(status="waiting").count() == 15
