"""Shared pieces of the places-and-time API tests: JSON calls, a booking slot, an activity
to publish (the clock and the site world are fixtures in conftest.py)."""

from __future__ import annotations

import json

from doorstep.nearby.sites.tests.helpers import at


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


def _publish_direct(sw):
    from doorstep.nearby.activities import services

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
