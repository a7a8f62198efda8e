"""The data-scope matrix of the survey API: every persona × every endpoint over an open
survey of community 1 (one response per household) that 王芳 has answered. Surveys are
seen as the community's topics are; only its residents answer (李建国 yes, 王芳 a second
time no); results are for the staff who count them, over the part of it they keep."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from doorstep.deliberation import surveys
from doorstep.deliberation.models import Response

from .test_scope_pages import SEES

pytestmark = pytest.mark.django_db

SEES_C1 = {p for p, communities in SEES.items() if "c1" in communities}
COUNTS = {"grid_worker_a": 1, "grid_worker_b": 0, "grid_leader_a": 1,
          "community_officer": 1, "street_officer": 1}  # fmt: skip


@pytest.fixture
def survey(world):
    officer, now = world.personas["community_officer"], timezone.now()
    s = surveys.draw_up(actor=officer, node=world.community_1, title="停车意愿调查", per="household",
                        opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=3))  # fmt: skip
    surveys.add_question(actor=officer, survey=s, kind="single", text_="是否需要车位",
                         options=["需要", "不需要"])  # fmt: skip
    s = surveys.open_survey(actor=officer, survey=s)
    surveys.answer(actor=world.personas["resident"], survey=s, answers=_body(s)["answers"])
    return s


def _body(s, pick=0):
    return {"answers": {f"q{s.questions.get().pk}": pick}}


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _list(client, world, s, persona):
    r = client.get("/api/surveys")
    ids = [x["id"] for x in r.json()]
    if persona == "resident":  # answered already, still listed as such
        assert ids == [s.pk] and r.json()[0]["answered"] is True
    else:
        assert ids == ([s.pk] if persona in SEES_C1 else []), persona


def _get(client, world, s, persona):
    r = client.get(f"/api/surveys/{s.pk}")
    if persona in SEES_C1:
        assert r.status_code == 200 and r.json()["questions"][0]["options"] == ["需要", "不需要"]
    else:
        assert r.status_code == 404, persona


def _answer(client, world, s, persona):
    r = _post(client, f"/api/surveys/{s.pk}/responses", _body(s, 1))
    if persona == "party_member":
        assert r.status_code == 201
        assert Response.objects.filter(survey=s).count() == 2
        return
    if persona == "resident":
        assert r.status_code == 409 and "已经填写过" in r.json()["detail"]
    else:  # staff are not residents of the community; the rest do not see it
        assert r.status_code == (403 if persona in SEES_C1 else 404), persona
    assert Response.objects.filter(survey=s).count() == 1


def _results(client, world, s, persona):
    r = client.get(f"/api/surveys/{s.pk}/results")
    if persona in COUNTS:
        assert r.status_code == 200, persona
        assert r.json()["responses"] == COUNTS[persona], persona
        if COUNTS[persona]:
            assert r.json()["questions"][0]["counts"] == [1, 0]
    else:
        assert r.status_code == (403 if persona in SEES_C1 else 404), persona


MATRIX = {
    ("get", "/api/surveys"): _list,
    ("get", "/api/surveys/{survey_id}"): _get,
    ("post", "/api/surveys/{survey_id}/responses"): _answer,
    ("get", "/api/surveys/{survey_id}/results"): _results,
}


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_gets_exactly_its_scope(world, survey, client, endpoint):
    for persona in SEES:
        client.force_login(world.personas[persona])
        with transaction.atomic():
            MATRIX[endpoint](client, world, survey, persona)
            transaction.set_rollback(True)


def test_bad_answers_are_json_400s_and_write_nothing(world, survey, client):
    client.force_login(world.personas["party_member"])
    qid = survey.questions.get().pk
    for body in ({"answers": {f"q{qid}": 5}}, {"answers": {}}, {"answers": {"q999": 0}},
                 {"answers": {f"q{qid}": "\u0007"}}, {}, {"answers": "加装电梯"}):  # fmt: skip
        r = _post(client, f"/api/surveys/{survey.pk}/responses", body)
        assert 400 <= r.status_code < 500 and "detail" in r.json(), body
    assert Response.objects.filter(survey=survey).count() == 1
