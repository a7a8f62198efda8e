"""The places API for sites, rooms and bookings: what each call does, and that a refused
call answers its 4xx with a Chinese message and changes nothing (clock frozen, see
api_places_helpers)."""

from __future__ import annotations

import datetime as dt

import pytest

from doorstep.core.testing import make_user
from doorstep.nearby.sites.models import Booking, BookingSeries, SpecialDay
from doorstep.nearby.sites.tests.helpers import NOW, at

from .api_places_helpers import _book, _slot, call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("places_clock")]


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
