"""The data-scope matrix of the topics and resolutions API: every persona × every
endpoint over a topic and a resolution of community 1. A list holds exactly what the
persona sees; a row outside answers 404; an act the persona may not do answers 403 and
writes nothing. With the votes matrix it covers every deliberation operation."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from config.api import api
from doorstep.deliberation.models import Objection, Resolution, Topic, TopicSecond

from .test_api_scope_campaigns import MATRIX as CAMPAIGNS_MATRIX
from .test_api_scope_meetings import MATRIX as MEETINGS_MATRIX
from .test_api_scope_receptions import MATRIX as RECEPTIONS_MATRIX
from .test_api_scope_surveys import MATRIX as SURVEYS_MATRIX
from .test_api_scope_votes import MATRIX as VOTES_MATRIX
from .test_scope_pages import SEES

pytestmark = pytest.mark.django_db

SEES_C1 = {p for p, communities in SEES.items() if "c1" in communities}
LIVES_IN_C1 = {"party_member", "resident"}  # may second and object
SCREENS = {"community_officer"}  # screens topics, answers objections of community 1
RECORDS = {"grid_worker_a", "grid_worker_b", "grid_leader_a", "community_officer"}


@pytest.fixture
def rows(world):
    c1 = world.community_1
    topic = Topic.objects.create(node=c1, path=c1.path, title="加装电梯", status="open")
    accepted = Topic.objects.create(node=c1, path=c1.path, title="停车难", status="accepted")
    resolution = Resolution.objects.create(
        node=c1, path=c1.path, title="停车位划线", text="同意划线", topic=accepted,
        notice_ends=timezone.now() + dt.timedelta(days=7),
    )  # fmt: skip
    objection = Objection.objects.create(resolution=resolution, text="车位不够")
    return topic, resolution, objection


def _post(client, url: str, data: Any = None) -> Any:
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def _list_topics(client, world, rows, persona):
    r = client.get("/api/topics")
    assert r.status_code == 200
    titles = {t["title"] for t in r.json()}
    assert titles == ({"加装电梯", "停车难"} if persona in SEES_C1 else set()), persona


def _get_topic(client, world, rows, persona):
    r = client.get(f"/api/topics/{rows[0].pk}")
    assert r.status_code == (200 if persona in SEES_C1 else 404), persona


def _raise(client, world, rows, persona):
    before = Topic.objects.count()
    r = _post(client, "/api/topics", {"title": "楼道堆物", "community_id": world.community_1.pk})
    if persona in RECORDS:
        assert r.status_code == 201 and r.json()["source"] == "visit", persona
    elif persona in LIVES_IN_C1:  # a resident raises for their own community
        assert r.status_code == 201 and r.json()["source"] == "resident", persona
    else:
        assert r.status_code == 403, persona
        assert Topic.objects.count() == before


def _second(client, world, rows, persona):
    r = _post(client, f"/api/topics/{rows[0].pk}/second")
    if persona in LIVES_IN_C1:
        assert r.status_code == 200 and r.json()["seconds"] == 1, persona
        assert r.json()["seconded_by_me"] is True
    else:
        assert r.status_code == (403 if persona in SEES_C1 else 404), persona
        assert not TopicSecond.objects.exists()


def _screen(client, world, rows, persona):
    r = _post(client, f"/api/topics/{rows[0].pk}/screen", {"action": "accept"})
    if persona in SCREENS:
        assert r.status_code == 200 and r.json()["status"] == "accepted"
    else:
        assert r.status_code == (403 if persona in SEES_C1 else 404), persona
        assert Topic.objects.get(pk=rows[0].pk).status == "open"


def _list_resolutions(client, world, rows, persona):
    r = client.get("/api/resolutions")
    assert r.status_code == 200
    body = r.json()
    assert [x["title"] for x in body] == (["停车位划线"] if persona in SEES_C1 else []), persona
    if body:  # the objector is never named
        assert set(body[0]["objections"][0]) == {
            "id", "text", "raised_at", "mine", "answer", "answered_at",
        }  # fmt: skip


def _get_resolution(client, world, rows, persona):
    r = client.get(f"/api/resolutions/{rows[1].pk}")
    assert r.status_code == (200 if persona in SEES_C1 else 404), persona
    if r.status_code == 200:
        assert r.json()["state"] == "公示中"


def _object(client, world, rows, persona):
    r = _post(client, f"/api/resolutions/{rows[1].pk}/objections", {"text": "划线太窄"})
    if persona in LIVES_IN_C1:
        assert r.status_code == 201 and r.json()["objections"][-1]["mine"] is True
    else:
        assert r.status_code == (403 if persona in SEES_C1 else 404), persona
        assert Objection.objects.count() == 1


def _answer(client, world, rows, persona):
    r = _post(
        client, f"/api/resolutions/{rows[1].pk}/answers",
        {"objection_id": rows[2].pk, "answer": "将增加临时车位"},
    )  # fmt: skip
    if persona in SCREENS:
        assert r.status_code == 200 and r.json()["objections"][0]["answer"] == "将增加临时车位"
    else:
        assert r.status_code == (403 if persona in SEES_C1 else 404), persona
        assert Objection.objects.get().answered_at is None


MATRIX = {
    ("get", "/api/topics"): _list_topics,
    ("post", "/api/topics"): _raise,
    ("get", "/api/topics/{topic_id}"): _get_topic,
    ("post", "/api/topics/{topic_id}/second"): _second,
    ("post", "/api/topics/{topic_id}/screen"): _screen,
    ("get", "/api/resolutions"): _list_resolutions,
    ("get", "/api/resolutions/{resolution_id}"): _get_resolution,
    ("post", "/api/resolutions/{resolution_id}/objections"): _object,
    ("post", "/api/resolutions/{resolution_id}/answers"): _answer,
}


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_gets_exactly_its_scope(world, rows, client, endpoint):
    assert SEES_C1 >= LIVES_IN_C1 | SCREENS | RECORDS
    for persona in SEES:
        client.force_login(world.personas[persona])
        with transaction.atomic():
            MATRIX[endpoint](client, world, rows, persona)
            transaction.set_rollback(True)


def test_bad_input_is_a_json_error_and_nothing_is_written(world, rows, client):
    client.force_login(world.personas["resident"])
    for body in ({"title": ""}, {"title": "电梯" * 40}, {"title": "加装\u0007电梯"}, {}):
        r = _post(client, "/api/topics", body)
        assert 400 <= r.status_code < 500 and "detail" in r.json(), body
    r = _post(client, f"/api/resolutions/{rows[1].pk}/objections", {"text": "反" * 501})
    assert r.status_code == 400 and "异议过长" in r.json()["detail"]
    assert Topic.objects.count() == 2 and Objection.objects.count() == 1


def test_every_deliberation_operation_is_in_a_matrix():
    paths = api.get_openapi_schema()["paths"]
    operations = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "deliberation" in op.get("tags", [])
    }
    assert operations == set(MATRIX) | set(VOTES_MATRIX) | set(MEETINGS_MATRIX) | set(
        RECEPTIONS_MATRIX
    ) | set(SURVEYS_MATRIX) | set(CAMPAIGNS_MATRIX)
