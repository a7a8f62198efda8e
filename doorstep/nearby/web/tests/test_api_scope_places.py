"""Data scope of the places-and-time API: every persona × every "nearby" endpoint.

Two sites (清华东路 station in community 1 with its 多功能厅 that needs approval; the 二里庄
rider station in community 2 with a room booked at once), three bookings (a: the resident's,
pending; b: community 2 staff's, approved; c: the co-building unit's, pending) and two
activities (p1: published in community 1; c2: called off in community 2). Each persona must
see exactly the sets written out below; a row outside them is a 404 for reads and writes,
a write the persona may not make is a 403, and neither changes anything.

Time stands still at Tuesday 2026-09-01 09:00 in Beijing.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import time_machine

from config.api import api
from doorstep.nearby.activities import services as activities
from doorstep.nearby.activities.models import Activity, SignUp
from doorstep.nearby.sites import services as sites
from doorstep.nearby.sites.models import Booking, Room
from doorstep.nearby.sites.tests.helpers import NOW, at, build_site_world

pytestmark = pytest.mark.django_db

PERSONAS = [
    "grid_worker_a",
    "grid_worker_b",
    "grid_leader_a",
    "community_officer",
    "street_officer",
    "party_member",
    "resident",
    "outsider",
    "system_admin",
    "security_admin",
    "audit_admin",
    "unit_member",  # liaison of a co-building unit in community 1
    "other_staff",  # community staff of community 2
]
EVERY_SITE = {"site", "other"}
ADMINS = {"system_admin", "security_admin", "audit_admin"}
SITES = {p: (set() if p == "outsider" else EVERY_SITE) for p in PERSONAS}
BOOKINGS = {p: set() for p in PERSONAS} | {
    "community_officer": {"a", "c"},
    "street_officer": {"a", "b", "c"},
    "resident": {"a"},
    "unit_member": {"c"},
    "other_staff": {"b"},
}
# A called-off activity (c2) is seen by staff of its area who may view activities; the
# three admins hold ALL scope for their own duties but not that permission, so they see
# only what everyone sees (the access door: permission and scope together).
ACTIVITIES = {p: {"p1"} for p in PERSONAS} | {
    p: {"p1", "c2"} for p in ("street_officer", "other_staff")
}
# Who may run (change, call off, check people in to) each activity.
RUNS = {"p1": {"community_officer", "street_officer"}, "c2": {"street_officer", "other_staff"}}
# Who may approve or decline at each booking's site.
DECIDES = {
    "a": {"community_officer", "street_officer"},
    "b": {"street_officer", "other_staff"},
    "c": {"community_officer", "street_officer"},
}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scoped(world):
    sw = build_site_world(world)
    p = dict(sw.p, unit_member=sw.unit_member, other_staff=sw.other_staff)
    room2 = Room.objects.create(
        site=sw.other_site, name="活动室", capacity=10, needs_approval=False
    )

    def book(actor, room, day, **extra):
        return sites.book(
            actor=actor,
            room=room,
            start=at(2026, 9, day, 10),
            end=at(2026, 9, day, 12),
            purpose="排练",
            **extra,
        )

    bookings = {
        "a": book(p["resident"], sw.room, 3),
        "b": book(p["other_staff"], room2, 3),
        "c": book(p["unit_member"], sw.room, 4, organisation=sw.unit),
    }

    def publish(actor, org):
        return activities.publish(
            actor=actor,
            title="邻里节",
            kind="festival",
            organiser=org,
            territory=org,
            address="广场",
            starts_at=at(2026, 9, 5, 10),
            ends_at=at(2026, 9, 5, 12),
            capacity=5,
        )

    acts = {
        "p1": publish(p["community_officer"], world.community_1),
        "c2": publish(p["other_staff"], world.community_2),
    }
    activities.cancel_activity(acts["c2"], actor=p["other_staff"], reason="天气原因")
    return SimpleNamespace(
        sw=sw,
        personas=p,
        sites={"site": sw.site, "other": sw.other_site},
        rooms={"site": sw.room, "other": room2},
        bookings=bookings,
        activities=acts,
    )


def call(client, method, url, body=None):
    kwargs = {} if body is None else {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(url, **kwargs)


def listed(client, url):
    r = client.get(url + "?limit=500")
    assert r.status_code == 200, r.content
    return [x["id"] for x in r.json()["items"]]


def _status(model, pk):
    return model.objects.values_list("status", flat=True).get(pk=pk)


# --- sites and rooms --------------------------------------------------------------------


def _sites(client, s, persona):
    names = {v.pk: k for k, v in s.sites.items()}
    assert {names[i] for i in listed(client, "/api/sites")} == SITES[persona]


def _site(suffix):
    def check(client, s, persona):
        for name, site in s.sites.items():
            r = client.get(f"/api/sites/{site.pk}{suffix}")
            assert r.status_code == (200 if name in SITES[persona] else 404), (name, r.content)

    return check


def _room(client, s, persona):
    for name, room in s.rooms.items():
        r = client.get(f"/api/rooms/{room.pk}")
        assert r.status_code == (200 if name in SITES[persona] else 404), name


def _book(weekly):
    def check(client, s, persona):
        n = Booking.objects.count()
        body = {
            "room_id": s.rooms["site"].pk,
            "start": at(2026, 9, 8, 14).isoformat(),
            "end": at(2026, 9, 8, 15).isoformat(),
            "purpose": "读书会",
        }
        if weekly:
            body["weeks"] = 2
        r = call(client, "post", "/api/bookings" + ("/weekly" if weekly else ""), body)
        if "site" in SITES[persona]:
            assert r.status_code == 201, r.content
            assert Booking.objects.count() == n + (2 if weekly else 1)
        else:
            assert r.status_code == 404
            assert Booking.objects.count() == n

    return check


# --- bookings ---------------------------------------------------------------------------


def _bookings(client, s, persona):
    names = {v.pk: k for k, v in s.bookings.items()}
    assert {names[i] for i in listed(client, "/api/bookings")} == BOOKINGS[persona]


def _booking(client, s, persona):
    for name, b in s.bookings.items():
        r = client.get(f"/api/bookings/{b.pk}")
        assert r.status_code == (200 if name in BOOKINGS[persona] else 404), name


def _decide(move, body, target):
    def check(client, s, persona):
        for name, b in s.bookings.items():
            before = _status(Booking, b.pk)
            r = call(client, "post", f"/api/bookings/{b.pk}/{move}", body)
            if name not in BOOKINGS[persona]:
                expected = 404
            elif persona not in DECIDES[name]:
                expected = 403
            else:
                expected = 200 if before == "pending" else 409
            assert r.status_code == expected, (name, r.content)
            assert _status(Booking, b.pk) == (target if expected == 200 else before)

    return check


def _cancel_booking(client, s, persona):
    # Whoever sees a booking here is its booker's side or may decide at its site.
    for name, b in s.bookings.items():
        before = _status(Booking, b.pk)
        r = call(client, "post", f"/api/bookings/{b.pk}/cancel", {"reason": "改期"})
        if name in BOOKINGS[persona]:
            assert r.status_code == 200 and _status(Booking, b.pk) == "cancelled"
        else:
            assert r.status_code == 404 and _status(Booking, b.pk) == before


def _check_in_booking(client, s, persona):
    # Two days early (or not approved yet): 400 where seen, 404 elsewhere; nothing changes.
    for name, b in s.bookings.items():
        before = _status(Booking, b.pk)
        r = call(client, "post", f"/api/bookings/{b.pk}/check-in")
        assert r.status_code == (400 if name in BOOKINGS[persona] else 404), name
        assert _status(Booking, b.pk) == before


# --- activities -------------------------------------------------------------------------


def _activities(client, s, persona):
    names = {v.pk: k for k, v in s.activities.items()}
    assert {names[i] for i in listed(client, "/api/activities")} == ACTIVITIES[persona]


def _activity(client, s, persona):
    for name, a in s.activities.items():
        r = client.get(f"/api/activities/{a.pk}")
        assert r.status_code == (200 if name in ACTIVITIES[persona] else 404), name


def _publish(client, s, persona):
    w = s.sw.world
    n = Activity.objects.count()
    body = {
        "title": "新活动",
        "kind": "training",
        "organiser_id": w.community_1.pk,
        "territory_id": w.community_1.pk,
        "address": "会议室",
        "starts_at": at(2026, 9, 9, 10).isoformat(),
        "ends_at": at(2026, 9, 9, 11).isoformat(),
        "capacity": 10,
    }
    r = call(client, "post", "/api/activities", body)
    if persona in RUNS["p1"]:
        assert r.status_code == 201 and Activity.objects.count() == n + 1
    else:
        assert r.status_code == 403 and Activity.objects.count() == n


def _sign_up(client, s, persona):
    for name, a in s.activities.items():
        n = SignUp.objects.count()
        r = call(client, "post", f"/api/activities/{a.pk}/sign-up")
        if name not in ACTIVITIES[persona]:
            assert r.status_code == 404
        else:  # c2 is called off
            assert r.status_code == (201 if name == "p1" else 409), r.content
        assert SignUp.objects.count() == n + (r.status_code == 201)


def _cancel_sign_up(client, s, persona):
    user = s.personas[persona]
    mine = activities.sign_up(s.activities["p1"], user)
    for name, a in s.activities.items():
        r = call(client, "post", f"/api/activities/{a.pk}/cancel-sign-up")
        assert r.status_code == (200 if name == "p1" else 404), name
    assert _status(SignUp, mine.pk) == "cancelled"


def _run(method, suffix, body):
    """A change by those who run the activity: 200 (409 if called off); 403 for the rest
    who see it; 404 where unseen. The activity is unchanged unless 200."""

    def check(client, s, persona):
        for name, a in s.activities.items():
            before = Activity.objects.values("status", "capacity").get(pk=a.pk)
            r = call(client, method, f"/api/activities/{a.pk}/{suffix}", body(s))
            if name not in ACTIVITIES[persona]:
                expected = 404
            elif persona not in RUNS[name]:
                expected = 403
            else:
                expected = 200 if before["status"] == "published" else 409
            if suffix == "check-in" and expected == 200:
                expected = 409  # four days early
            assert r.status_code == expected, (name, r.content)
            if expected != 200:
                assert Activity.objects.values("status", "capacity").get(pk=a.pk) == before

    return check


MATRIX = {
    ("get", "/api/sites"): _sites,
    ("get", "/api/sites/{id}"): _site(""),
    ("get", "/api/sites/{id}/rooms"): _site("/rooms"),
    ("get", "/api/rooms/{id}"): _room,
    ("post", "/api/bookings"): _book(weekly=False),
    ("post", "/api/bookings/weekly"): _book(weekly=True),
    ("get", "/api/bookings"): _bookings,
    ("get", "/api/bookings/{id}"): _booking,
    ("post", "/api/bookings/{id}/approve"): _decide("approve", None, "approved"),
    ("post", "/api/bookings/{id}/decline"): _decide(
        "decline", {"reason": "当天有活动"}, "declined"
    ),
    ("post", "/api/bookings/{id}/cancel"): _cancel_booking,
    ("post", "/api/bookings/{id}/check-in"): _check_in_booking,
    ("get", "/api/activities"): _activities,
    ("get", "/api/activities/{id}"): _activity,
    ("post", "/api/activities"): _publish,
    ("post", "/api/activities/{id}/sign-up"): _sign_up,
    ("post", "/api/activities/{id}/cancel-sign-up"): _cancel_sign_up,
    ("patch", "/api/activities/{id}/capacity"): _run(
        "patch", "capacity", lambda s: {"capacity": 9}
    ),
    ("post", "/api/activities/{id}/cancel"): _run("post", "cancel", lambda s: {"reason": "下雨"}),
    ("post", "/api/activities/{id}/check-in"): _run(
        "post", "check-in", lambda s: {"user_id": s.personas["resident"].pk}
    ),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_sees_exactly_its_places(scoped, client, endpoint, persona):
    client.force_login(scoped.personas[persona])
    MATRIX[endpoint](client, scoped, persona)


def test_every_nearby_operation_is_in_the_matrix():
    paths = api.get_openapi_schema()["paths"]
    operations = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "nearby" in op.get("tags", [])
    }
    assert operations == set(MATRIX), "add a scope case for each new nearby endpoint"
