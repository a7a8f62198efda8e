"""The data-scope matrix of the councils and meetings API: every persona × every endpoint
over a council and a meeting of community 1 whose members include grid worker A. The
minutes are the members' and staff's until signed; only an invited member signs in."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from doorstep.deliberation.models import Council, CouncilMember, Invitation, Meeting, SignIn

from .test_scope_pages import SEES

pytestmark = pytest.mark.django_db

SEES_C1 = {p for p, communities in SEES.items() if "c1" in communities}
MEMBERS = {"grid_worker_a", "grid_leader_a"}
KEEPS = {"community_officer"}


@pytest.fixture
def meeting(world):
    c1 = world.community_1
    council = Council.objects.create(node=c1, path=c1.path, name="清华东路社区议事会")
    council.seats.create(kind="branch", count=1)
    council.seats.create(kind="grid_worker", count=2)
    now = timezone.now()
    meeting = Meeting.objects.create(
        council=council, path=c1.path, title="圆桌会", minutes="纪要草稿",
        starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(hours=1),
    )  # fmt: skip
    for persona in sorted(MEMBERS):
        member = CouncilMember.objects.create(
            council=council, kind="grid_worker", name=persona, user=world.personas[persona],
            starts_on=now.date(), ends_on=now.date() + dt.timedelta(days=30),
        )  # fmt: skip
        Invitation.objects.create(meeting=meeting, member=member)
    return meeting


def _councils(client, meeting, persona):
    r = client.get("/api/councils")
    assert r.status_code == 200
    body = r.json()
    assert [c["id"] for c in body] == ([meeting.council_id] if persona in SEES_C1 else []), persona
    if body:
        assert {s["kind"]: s["held"] for s in body[0]["seats"]} == {"branch": 0, "grid_worker": 2}


def _meetings(client, meeting, persona):
    r = client.get("/api/meetings")
    assert [m["id"] for m in r.json()] == ([meeting.pk] if persona in SEES_C1 else []), persona


def _meeting(client, meeting, persona):
    r = client.get(f"/api/meetings/{meeting.pk}")
    if persona not in SEES_C1:
        assert r.status_code == 404, persona
        return
    body = r.json()
    assert body["quorum"] == {"invited": 2, "present": 0, "needed": 2, "met": False}
    assert body["minutes"] == ("纪要草稿" if persona in MEMBERS | KEEPS else None), persona


def _sign_in(client, meeting, persona):
    r = client.post(f"/api/meetings/{meeting.pk}/sign-in", json.dumps({"token": meeting.token}),
                    content_type="application/json")  # fmt: skip
    if persona in MEMBERS:
        assert r.status_code == 200 and r.json()["signed_in"] is True
        assert r.json()["quorum"]["present"] == 1
    else:
        assert r.status_code == (403 if persona in SEES_C1 else 404), persona
        assert not SignIn.objects.exists()


MATRIX = {
    ("get", "/api/councils"): _councils,
    ("get", "/api/meetings"): _meetings,
    ("get", "/api/meetings/{meeting_id}"): _meeting,
    ("post", "/api/meetings/{meeting_id}/sign-in"): _sign_in,
}


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_gets_exactly_its_scope(world, meeting, client, endpoint):
    for persona in SEES:
        client.force_login(world.personas[persona])
        with transaction.atomic():
            MATRIX[endpoint](client, meeting, persona)
            transaction.set_rollback(True)


def test_a_wrong_token_signs_no_one_in(world, meeting, client):
    client.force_login(world.personas["grid_worker_a"])
    r = client.post(f"/api/meetings/{meeting.pk}/sign-in", json.dumps({"token": "x" * 65}),
                    content_type="application/json")  # fmt: skip
    assert 400 <= r.status_code < 500
    r = client.post(f"/api/meetings/{meeting.pk}/sign-in", json.dumps({"token": "guess"}),
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 403 and "签到码无效" in r.json()["detail"]
    assert not SignIn.objects.exists()
