"""The places-and-time API (sites, rooms, bookings, activities): what each call does, and
that a refused call answers its 4xx with a Chinese message and changes nothing.

Time stands still at Tuesday 2026-09-01 09:00 in Beijing (no public holiday for weeks).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from doorstep.activities.models import Activity, SignUp
from doorstep.atlas.tests.test_api_fuzz import _one_connection, schema  # noqa: F401 (fixtures)
from doorstep.core.testing import make_user
from doorstep.sites.models import Booking, BookingSeries, SpecialDay
from doorstep.sites.tests.helpers import NOW, at, build_site_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sw(world):
    return build_site_world(world)


def call(client, method, url, body=None):
    kwargs = {} if body is None else {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(url, **kwargs)


def _slot(day=3, start=10, end=12, **extra):
    body = {
        "start": at(2026, 9, day, start).isoformat(),
        "end": at(2026, 9, day, end).isoformat(),
        "purpose": "舞蹈排练",
        "attendees": 8,
    }
    body.update(extra)
    return body


def _book(client, sw, **extra):
    return call(client, "post", "/api/bookings", {"room_id": sw.room.pk, **_slot(**extra)})


# --- sites and rooms --------------------------------------------------------------------


def test_sites_are_listed_nearest_first_with_a_masked_phone(sw, client):
    client.force_login(sw.p["resident"])
    r = client.get("/api/sites?near=40.001,116.35")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [s["id"] for s in items] == [sw.site.pk, sw.other_site.pk]
    first = items[0]
    assert first["contact_phone"] == "138****2222"
    assert first["kind"] == "station" and first["kind_label"] == "党群服务站"
    assert first["services"] == [{"code": "water", "name": "饮水"}]
    assert first["organisation"] == sw.world.community_1.name
    assert 100 < first["distance_m"] < 125  # 0.001° of latitude is about 111 m
    assert items[1]["distance_m"] is None  # the rider station has no coordinates
    # both are open at 09:00 on a Tuesday
    assert [s["open_now"] for s in items] == [True, True]
    same = client.get("/api/sites?lat=40.001&lon=116.35").json()["items"]
    assert [s["distance_m"] for s in same] == [s["distance_m"] for s in items]


def test_sites_filter_by_kind_service_and_open_now(sw, client):
    client.force_login(sw.p["resident"])

    def ids(query):
        r = client.get(f"/api/sites?{query}")
        assert r.status_code == 200, r.content
        return [s["id"] for s in r.json()["items"]]

    assert ids("kind=rider_station") == [sw.other_site.pk]
    assert ids("service=water") == [sw.site.pk]
    assert set(ids("open_now=true")) == {sw.site.pk, sw.other_site.pk}
    SpecialDay.objects.create(site=sw.site, date=NOW.date(), closed=True, note="临时闭馆")
    assert ids("open_now=true") == [sw.other_site.pk]


def test_a_near_point_out_of_range_or_half_given_is_400(sw, client):
    client.force_login(sw.p["resident"])
    r = client.get("/api/sites?near=91,116")
    assert r.status_code == 400 and r.json()["field"] == "near"
    r = client.get("/api/sites?lat=40")
    assert r.status_code == 400 and r.json()["error"] == "invalid"


def test_site_detail_has_hours_special_days_and_rooms(sw, client):
    SpecialDay.objects.create(site=sw.site, date=dt.date(2026, 9, 5), closed=True, note="消杀")
    SpecialDay.objects.create(site=sw.site, date=dt.date(2026, 8, 1), closed=True, note="过去")
    client.force_login(sw.p["resident"])
    r = client.get(f"/api/sites/{sw.site.pk}")
    assert r.status_code == 200
    body = r.json()
    assert len(body["hours"]) == 7
    assert body["hours"][0] == {
        "weekday": 0,
        "weekday_label": "周一",
        "opens": "08:00",
        "closes": "21:00",
    }
    assert [(d["date"], d["note"]) for d in body["special_days"]] == [("2026-09-05", "消杀")]
    assert [room["name"] for room in body["rooms"]] == ["多功能厅"]
    room = body["rooms"][0]
    assert room["capacity"] == 20 and room["needs_approval"] is True
    assert room["buffer_minutes"] == 15
    assert room["bookable_by"] == ["居民", "团队", "共建单位", "工作人员"]
    rooms = client.get(f"/api/sites/{sw.site.pk}/rooms").json()
    assert [x["id"] for x in rooms] == [sw.room.pk]


def test_a_room_shows_its_booked_slots_without_the_booker(sw, client):
    client.force_login(sw.p["resident"])
    assert _book(client, sw).status_code == 201
    assert _book(client, sw, day=20).status_code == 201
    client.force_login(sw.unit_member)
    r = client.get(f"/api/rooms/{sw.room.pk}?from=2026-09-01&to=2026-09-10")
    assert r.status_code == 200
    body = r.json()
    assert body["site"] == sw.site.name
    assert (body["date_from"], body["date_to"]) == ("2026-09-01", "2026-09-10")
    assert len(body["booked"]) == 1
    assert set(body["booked"][0]) == {"start", "end"}
    assert dt.datetime.fromisoformat(body["booked"][0]["start"]) == at(2026, 9, 3, 10)
    # the default range is two weeks from today
    assert len(client.get(f"/api/rooms/{sw.room.pk}").json()["booked"]) == 1


@pytest.mark.parametrize(
    "query",
    ["from=2026-09-01&to=2026-11-30", "from=2026-09-10&to=2026-09-01", "from=9999-12-31"],
)
def test_a_room_range_too_long_reversed_or_far_is_400(sw, client, query):
    client.force_login(sw.p["resident"])
    r = client.get(f"/api/rooms/{sw.room.pk}?{query}")
    assert r.status_code == 400 and r.json()["error"] == "invalid"


# --- bookings ---------------------------------------------------------------------------


def test_book_approve_and_check_in(sw, client):
    resident = sw.p["resident"]
    client.force_login(resident)
    # starts in 20 minutes: check-in is open (from 30 minutes before the start)
    body = {"room_id": sw.room.pk, **_slot(day=1, start=9, end=10), "start": "2026-09-01T09:20"}
    r = call(client, "post", "/api/bookings", body)
    assert r.status_code == 201, r.content
    booking = r.json()
    assert booking["status"] == "pending" and booking["status_label"] == "待审批"
    assert booking["booker"] == "居民王芳" and booking["room"] == "多功能厅"
    pk = booking["id"]
    # the resident may not approve: 403, still pending
    r = call(client, "post", f"/api/bookings/{pk}/approve")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert Booking.objects.get(pk=pk).status == "pending"
    # nor check in before it is approved
    r = call(client, "post", f"/api/bookings/{pk}/check-in")
    assert r.status_code == 400 and "尚未通过审批" in r.json()["detail"]
    client.force_login(sw.p["community_officer"])
    r = call(client, "post", f"/api/bookings/{pk}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    client.force_login(resident)
    r = call(client, "post", f"/api/bookings/{pk}/check-in")
    assert r.status_code == 200 and r.json()["status"] == "checked_in"
    assert r.json()["checked_in_at"] is not None
    r = call(client, "post", f"/api/bookings/{pk}/cancel", {"reason": "不去了"})
    assert r.status_code == 409 and Booking.objects.get(pk=pk).status == "checked_in"


def test_a_naive_datetime_is_beijing_time(sw, client):
    client.force_login(sw.p["resident"])
    body = {"room_id": sw.room.pk, **_slot()}
    body.update(start="2026-09-03T10:00:00", end="2026-09-03T12:00:00")
    r = call(client, "post", "/api/bookings", body)
    assert r.status_code == 201
    assert Booking.objects.get().start == at(2026, 9, 3, 10)


def test_a_datetime_far_away_is_400_and_nothing_written(sw, client):
    client.force_login(sw.p["resident"])
    body = {"room_id": sw.room.pk, **_slot()}
    body.update(start="9999-12-31T23:00:00-12:00", end="9999-12-31T23:30:00-12:00")
    r = call(client, "post", "/api/bookings", body)
    assert r.status_code == 400 and r.json()["field"] == "start"
    assert not Booking.objects.exists()


def test_an_overlap_is_409_and_nothing_written(sw, client):
    client.force_login(sw.p["resident"])
    assert _book(client, sw).status_code == 201
    client.force_login(sw.unit_member)
    r = _book(client, sw, start=11, end=13)
    assert r.status_code == 409
    assert r.json() == {"error": "conflict", "detail": "该时段已被预订", "field": "start"}
    assert Booking.objects.count() == 1


def test_end_before_start_is_400(sw, client):
    client.force_login(sw.p["resident"])
    r = _book(client, sw, start=12, end=10)
    assert r.status_code == 400 and r.json()["field"] == "end"
    assert not Booking.objects.exists()


def test_decline_needs_a_reason(sw, client):
    client.force_login(sw.p["resident"])
    pk = _book(client, sw).json()["id"]
    client.force_login(sw.p["community_officer"])
    r = call(client, "post", f"/api/bookings/{pk}/decline", {"reason": "  "})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    assert Booking.objects.get(pk=pk).status == "pending"
    r = call(client, "post", f"/api/bookings/{pk}/decline", {"reason": "当天有活动"})
    assert r.status_code == 200 and r.json()["decline_reason"] == "当天有活动"
    assert Booking.objects.get(pk=pk).status == "declined"


def test_weekly_booking_reports_the_week_it_could_not_book(sw, client):
    client.force_login(sw.unit_member)
    assert _book(client, sw, day=10).status_code == 201
    client.force_login(sw.p["resident"])
    body = {"room_id": sw.room.pk, **_slot(), "weeks": 3}
    r = call(client, "post", "/api/bookings/weekly", body)
    assert r.status_code == 201, r.content
    out = r.json()
    starts = [dt.datetime.fromisoformat(b["start"]) for b in out["bookings"]]
    assert starts == [at(2026, 9, 3, 10), at(2026, 9, 17, 10)]
    assert out["skipped"] == [{"date": "2026-09-10", "reason": "该时段已被预订"}]
    assert BookingSeries.objects.get().pk == out["series_id"]
    # all or nothing: refused, nothing more written
    n = Booking.objects.count()
    body.update(skip_conflicts=False, purpose="另一场")
    r = call(client, "post", "/api/bookings/weekly", body)
    assert r.status_code == 409 and Booking.objects.count() == n


def test_bookings_list_filters_and_scope(sw, client):
    client.force_login(sw.p["resident"])
    mine = _book(client, sw).json()["id"]
    client.force_login(sw.unit_member)
    theirs = _book(client, sw, day=4).json()["id"]
    r = client.get("/api/bookings")
    assert [b["id"] for b in r.json()["items"]] == [theirs]
    client.force_login(sw.p["community_officer"])
    assert {b["id"] for b in client.get("/api/bookings").json()["items"]} == {mine, theirs}
    assert client.get("/api/bookings?mine=true").json()["count"] == 0
    assert client.get("/api/bookings?status=approved").json()["count"] == 0
    assert client.get(f"/api/bookings?room={sw.room.pk}").json()["count"] == 2
    # another resident sees neither, and cannot act on them
    client.force_login(make_user("r9", "居民九", ("resident", sw.world.community_1)))
    assert client.get(f"/api/bookings/{mine}").status_code == 404
    r = call(client, "post", f"/api/bookings/{mine}/cancel", {"reason": "x"})
    assert r.status_code == 404 and Booking.objects.get(pk=mine).status == "pending"


def test_the_booker_cancels_with_a_reason(sw, client):
    client.force_login(sw.p["resident"])
    pk = _book(client, sw).json()["id"]
    r = call(client, "post", f"/api/bookings/{pk}/cancel", {"reason": "改期"})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["cancel_reason"]) == ("cancelled", "改期")


def test_booking_for_an_organisation_the_caller_is_not_in_is_400(sw, client):
    client.force_login(sw.p["resident"])
    for org_id in (sw.unit.pk, 10**12):
        r = _book(client, sw, organisation_id=org_id)
        assert r.status_code == 400 and r.json()["field"] == "organisation_id"
    assert not Booking.objects.exists()
    client.force_login(sw.unit_member)
    r = _book(client, sw, organisation_id=sw.unit.pk)
    assert r.status_code == 201 and r.json()["organisation"] == sw.unit.name


def test_out_of_scope_and_unknown_ids_are_404_and_write_nothing(sw, client):
    client.force_login(sw.p["outsider"])
    assert client.get(f"/api/sites/{sw.site.pk}").status_code == 404
    assert client.get(f"/api/rooms/{sw.room.pk}").status_code == 404
    r = _book(client, sw)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert not Booking.objects.exists()
    client.force_login(sw.p["resident"])
    for url in ("/api/sites/999999", "/api/sites/999999/rooms", "/api/rooms/999999"):
        assert client.get(url).status_code == 404, url
    assert call(client, "post", "/api/bookings/999999/approve").status_code == 404
    r = call(client, "post", "/api/bookings", {"room_id": 999999, **_slot()})
    assert r.status_code == 404
    assert client.get("/api/sites/0").status_code == 422


# --- activities -------------------------------------------------------------------------


def _activity_body(sw, **extra):
    w = sw.world
    body = {
        "title": "邻里节·百家宴",
        "kind": "festival",
        "organiser_id": w.community_1.pk,
        "territory_id": w.community_1.pk,
        "address": "清华东路社区广场",
        "starts_at": at(2026, 9, 1, 9, 30).isoformat(),
        "ends_at": at(2026, 9, 1, 11, 30).isoformat(),
        "capacity": 2,
    }
    body.update(extra)
    return body


def _publish(client, sw, **extra):
    client.force_login(sw.p["community_officer"])
    r = call(client, "post", "/api/activities", _activity_body(sw, **extra))
    assert r.status_code == 201, r.content
    return r.json()


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


def test_schema_names_are_unique_across_the_routers():
    from ninja import Schema

    from doorstep.atlas import schemas as atlas_schemas
    from doorstep.desk import schemas as desk_schemas
    from doorstep.nearby import api_schemas

    names: list[str] = []
    for module in (atlas_schemas, desk_schemas, api_schemas):
        names += [
            n
            for n, obj in vars(module).items()
            if isinstance(obj, type)
            and issubclass(obj, Schema)
            and obj.__module__ == module.__name__
        ]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_the_documented_codes_match_the_models():
    from typing import get_args

    from doorstep.activities.models import ActivityKind, Audience
    from doorstep.nearby import api_schemas as s
    from doorstep.sites.models import BookingStatus, SiteKind

    assert set(get_args(s.SiteKindCode)) == set(SiteKind.values)
    assert set(get_args(s.BookingStatusCode)) == set(BookingStatus.values)
    assert set(get_args(s.ActivityKindCode)) == set(ActivityKind.values)
    assert set(get_args(s.AudienceCode)) == set(Audience.values)


# --- fuzzing with rows that exist -------------------------------------------------------
# test_api_fuzz walks every operation with the persona world only, where these ids name
# nothing (404). Here the nearby operations get a site world's ids, so the fuzzer reaches
# the services (it found the non-ASCII check-in token above).


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_fuzzing_the_nearby_operations_with_real_ids_finds_no_server_error(sw, request, mode):
    from hypothesis import given
    from hypothesis import strategies as st
    from schemathesis.generation import GenerationMode

    from doorstep.accounts.tokens import issue_token
    from doorstep.atlas.tests.test_api_fuzz import CHECKS, FUZZ_SETTINGS

    document = request.getfixturevalue("schema")
    generation = GenerationMode(mode)
    activity = _publish_direct(sw)
    known = {
        "sites": [sw.site.pk, sw.other_site.pk],
        "rooms": [sw.room.pk],
        "activities": [activity.pk],
    }
    secret = issue_token(user=sw.p["community_officer"], name="fuzz", actor=None)
    headers = {"Authorization": f"Bearer {secret}"}
    orgs = [sw.world.community_1.pk, sw.unit.pk]
    failures: list[str] = []
    for result in document.get_all_operations():
        operation = result.ok()
        if "nearby" not in (operation.definition.raw.get("tags") or []):
            continue
        cases = operation.as_strategy(generation_mode=generation)
        if generation.is_positive:
            ids = known.get(operation.path.split("/")[2], [1])

            def aim(drawn):
                case, path_id, org = drawn
                if "id" in (case.path_parameters or {}):
                    case.path_parameters["id"] = path_id
                if isinstance(case.body, dict):
                    for name, value in (("room_id", sw.room.pk), ("organiser_id", org)):
                        if name in case.body:
                            case.body[name] = value
                    if "territory_id" in case.body:
                        case.body["territory_id"] = sw.world.community_1.pk
                return case

            cases = st.tuples(cases, st.sampled_from(ids), st.sampled_from(orgs)).map(aim)

        @FUZZ_SETTINGS
        @given(case=cases)
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.label}: {exc}")
    assert failures == [], "\n\n".join(failures)


def _publish_direct(sw):
    from doorstep.activities import services

    return services.publish(
        actor=sw.p["community_officer"],
        title="邻里节",
        kind="festival",
        organiser=sw.world.community_1,
        territory=sw.world.community_1,
        address="广场",
        starts_at=at(2026, 9, 1, 9, 20),
        ends_at=at(2026, 9, 1, 12),
        capacity=1,
    )
