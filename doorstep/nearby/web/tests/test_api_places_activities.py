"""The places API for activities: publishing (with a room), sign-ups and the waiting line,
capacity, calling off, check-in; refused calls change nothing (clock frozen)."""

from __future__ import annotations

import pytest

from doorstep.core.testing import make_user
from doorstep.nearby.activities.models import Activity, SignUp
from doorstep.nearby.sites.models import Booking
from doorstep.nearby.sites.tests.helpers import at

from .api_places_helpers import _activity_body, _book, _publish, call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("places_clock")]


# --- activities -------------------------------------------------------------------------


def test_publishing_with_a_room_books_it_and_calling_off_releases_it(sw, client):
    out = _publish(
        client,
        sw,
        address="",
        room_id=sw.room.pk,
        co_organiser_ids=[sw.unit.pk],
        starts_at=at(2026, 9, 5, 14).isoformat(),
        ends_at=at(2026, 9, 5, 16).isoformat(),
    )
    assert out["address"] == sw.site.address and out["site_id"] == sw.site.pk
    assert out["co_organisers"] == [sw.unit.name]
    booking = Booking.objects.get(pk=out["booking_id"])
    assert booking.room == sw.room and booking.status == "pending"
    assert booking.start == at(2026, 9, 5, 14)
    r = call(client, "post", f"/api/activities/{out['id']}/cancel", {"reason": ""})
    assert r.status_code == 400 and Activity.objects.get().status == "published"
    r = call(client, "post", f"/api/activities/{out['id']}/cancel", {"reason": "天气原因"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"


def test_publishing_on_a_taken_room_is_409_and_publishes_nothing(sw, client):
    client.force_login(sw.p["resident"])
    assert _book(client, sw, day=5, start=14, end=16).status_code == 201
    client.force_login(sw.p["community_officer"])
    body = _activity_body(
        sw,
        room_id=sw.room.pk,
        starts_at=at(2026, 9, 5, 15).isoformat(),
        ends_at=at(2026, 9, 5, 17).isoformat(),
    )
    r = call(client, "post", "/api/activities", body)
    assert r.status_code == 409 and r.json()["field"] == "room"
    assert not Activity.objects.exists() and Booking.objects.count() == 1


def test_unknown_organisations_or_rooms_are_400_and_publish_nothing(sw, client):
    client.force_login(sw.p["community_officer"])
    for field, value in [
        ("organiser_id", 10**12),
        ("territory_id", 10**12),
        ("co_organiser_ids", [10**12]),
        ("room_id", 10**12),
    ]:
        r = call(client, "post", "/api/activities", _activity_body(sw, **{field: value}))
        assert r.status_code == 400, (field, r.content)
        assert r.json()["field"] == field
    assert not Activity.objects.exists()


def test_a_naive_start_is_beijing_time(sw, client):
    out = _publish(client, sw, starts_at="2026-09-02T10:00:00", ends_at="2026-09-02T12:00:00")
    assert Activity.objects.get(pk=out["id"]).starts_at == at(2026, 9, 2, 10)


def test_a_resident_may_not_publish_change_or_call_off(sw, client):
    out = _publish(client, sw)
    client.force_login(sw.p["resident"])
    r = call(client, "post", "/api/activities", _activity_body(sw, title="另一个"))
    assert r.status_code == 403 and Activity.objects.count() == 1
    r = call(client, "patch", f"/api/activities/{out['id']}/capacity", {"capacity": 50})
    assert r.status_code == 403
    r = call(client, "post", f"/api/activities/{out['id']}/cancel", {"reason": "不想办了"})
    assert r.status_code == 403
    a = Activity.objects.get()
    assert (a.capacity, a.status) == (2, "published")


def test_sign_ups_beyond_capacity_wait_and_a_cancellation_promotes(sw, client):
    out = _publish(client, sw)
    url = f"/api/activities/{out['id']}"
    people = [make_user(f"r{i}", f"居民{i}", ("resident", sw.world.community_1)) for i in range(3)]
    statuses = []
    for person in people:
        client.force_login(person)
        r = call(client, "post", url + "/sign-up")
        assert r.status_code == 201
        statuses.append((r.json()["status"], r.json()["ahead"]))
    assert statuses == [("confirmed", None), ("confirmed", None), ("waiting", 0)]
    detail = client.get(url).json()
    assert (detail["confirmed"], detail["waiting"]) == (2, 1)
    assert detail["mine"]["status"] == "waiting"
    r = call(client, "post", url + "/sign-up")
    assert r.status_code == 409 and SignUp.objects.count() == 3
    client.force_login(people[0])
    r = call(client, "post", url + "/cancel-sign-up")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.get(url).json()["mine"] is None
    assert SignUp.objects.get(user=people[2]).status == "confirmed"
    r = call(client, "post", url + "/cancel-sign-up")
    assert r.status_code == 404


def test_capacity_below_the_sign_ups_is_400_and_unchanged(sw, client):
    out = _publish(client, sw, capacity=3)
    url = f"/api/activities/{out['id']}"
    for i in range(3):
        client.force_login(make_user(f"r{i}", f"居民{i}", ("resident", sw.world.community_1)))
        call(client, "post", url + "/sign-up")
    client.force_login(sw.p["community_officer"])
    r = call(client, "patch", url + "/capacity", {"capacity": 2})
    assert r.status_code == 400 and r.json()["field"] == "capacity"
    assert Activity.objects.get().capacity == 3
    r = call(client, "patch", url + "/capacity", {"capacity": 5})
    assert r.status_code == 200 and r.json()["capacity"] == 5


def test_check_in_by_token_or_by_staff(sw, client):
    out = _publish(client, sw)
    url = f"/api/activities/{out['id']}"
    token = Activity.objects.get().checkin_token
    a, b = (make_user(f"r{i}", f"居民{i}", ("resident", sw.world.community_1)) for i in range(2))
    for person in (a, b):
        client.force_login(person)
        call(client, "post", url + "/sign-up")
    client.force_login(a)
    r = call(client, "post", url + "/check-in", {"token": "wrong"})
    assert r.status_code == 403 and SignUp.objects.filter(checked_in_at__isnull=False).count() == 0
    r = call(client, "post", url + "/check-in", {"user_id": b.pk})  # a resident is not staff
    assert r.status_code == 403
    # found by fuzzing: a non-ASCII token made compare_digest raise (a 500)
    r = call(client, "post", url + "/check-in", {"token": "签到码"})
    assert r.status_code == 422
    r = call(client, "post", url + "/check-in", {"token": token})
    assert r.status_code == 200 and r.json()["checked_in_at"] is not None
    client.force_login(sw.p["community_officer"])
    r = call(client, "post", url + "/check-in", {"user_id": b.pk})
    assert r.status_code == 200
    r = call(client, "post", url + "/check-in", {"user_id": 10**12})
    assert r.status_code == 409
    assert SignUp.objects.filter(checked_in_at__isnull=False).count() == 2


def test_activities_list_filters_by_kind_and_dates(sw, client):
    first = _publish(client, sw)
    second = _publish(
        client,
        sw,
        kind="training",
        starts_at=at(2026, 9, 20, 9).isoformat(),
        ends_at=at(2026, 9, 20, 11).isoformat(),
    )
    client.force_login(sw.p["resident"])

    def ids(query=""):
        r = client.get(f"/api/activities?{query}")
        assert r.status_code == 200, r.content
        return [x["id"] for x in r.json()["items"]]

    assert ids() == [first["id"], second["id"]]
    assert ids("kind=training") == [second["id"]]
    assert ids("from=2026-09-02&to=2026-09-30") == [second["id"]]
    assert ids("to=2026-09-01") == [first["id"]]
    assert client.get("/api/activities?from=2026-09-02&to=2026-12-30").status_code == 400
    assert client.get("/api/activities/999999").status_code == 404


def test_a_cancelled_activity_is_hidden_from_residents_of_elsewhere(sw, client):
    out = _publish(client, sw)
    call(client, "post", f"/api/activities/{out['id']}/cancel", {"reason": "天气原因"})
    client.force_login(sw.p["resident"])
    assert client.get(f"/api/activities/{out['id']}").status_code == 404
    r = call(client, "post", f"/api/activities/{out['id']}/sign-up")
    assert r.status_code == 404 and not SignUp.objects.exists()


# --- the document -----------------------------------------------------------------------
