"""The data-scope matrix of the door-knocking API: every persona × every endpoint over a
campaign of community 1's households, split to grid worker A. Staff see it over their
subtree (grid staff when it reaches into their grid); the visitor sees their own doors
and logs knocks on them, as the staff who run it may; a resident, the party member and the outsiders see nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from doorstep.deliberation import campaigns
from doorstep.deliberation.models import CampaignTarget
from doorstep.service.models import Visit

pytestmark = pytest.mark.django_db

SEES = {"grid_worker_a", "grid_worker_b", "grid_leader_a", "community_officer", "street_officer"}
VISITOR = "grid_worker_a"
KEEPS = {"community_officer", "street_officer"}  # who launch over community 1 may log a knock


@pytest.fixture
def campaign(world):
    officer, today = world.personas["community_officer"], timezone.localdate()
    c = campaigns.launch(actor=officer, node=world.community_1, title="敲门行动", purpose="走访问需",
                         starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=9))  # fmt: skip
    campaigns.split(actor=officer, campaign=c, visitors=[world.personas[VISITOR]])
    return c


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _list(client, world, c, persona):
    r = client.get("/api/campaigns")
    assert [x["id"] for x in r.json()] == ([c.pk] if persona in SEES else []), persona
    if persona in SEES:
        assert r.json()[0]["targets"] == c.targets.count() and r.json()[0]["reached"] == 0


def _get(client, world, c, persona):
    r = client.get(f"/api/campaigns/{c.pk}")
    if persona in SEES:
        by_grid = r.json()["by_grid"]
        assert sum(g["targets"] for g in by_grid) == c.targets.count()
        assert {g["name"] for g in by_grid} == {"清华东路第一网格", "清华东路第二网格"}
    else:
        assert r.status_code == 404, persona


def _doors(client, world, c, persona):
    r = client.get(f"/api/campaigns/{c.pk}/doors")
    if persona == VISITOR:
        assert len(r.json()) == c.targets.count() and r.json()[0]["address"]
    elif persona in SEES:
        assert r.json() == [], persona
    else:
        assert r.status_code == 404, persona


def _knock(client, world, c, persona):
    door = c.targets.order_by("pk").first()
    r = _post(client, f"/api/campaigns/{c.pk}/doors/{door.pk}/knocks",
              {"outcome": "met", "found": "老人独居，一切安好"})  # fmt: skip
    if persona == VISITOR or persona in KEEPS:
        assert r.status_code == 201 and r.json()["reached"] is True
        assert Visit.objects.filter(kind="knock").count() == 1
        return
    assert r.status_code == (403 if persona in SEES else 404), persona
    assert not Visit.objects.exists()
    assert not CampaignTarget.objects.filter(reached_by__isnull=False).exists()


MATRIX = {
    ("get", "/api/campaigns"): _list,
    ("get", "/api/campaigns/{campaign_id}"): _get,
    ("get", "/api/campaigns/{campaign_id}/doors"): _doors,
    ("post", "/api/campaigns/{campaign_id}/doors/{door_id}/knocks"): _knock,
}


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_gets_exactly_its_scope(world, campaign, client, endpoint):
    for persona in world.personas:
        client.force_login(world.personas[persona])
        with transaction.atomic():
            MATRIX[endpoint](client, world, campaign, persona)
            transaction.set_rollback(True)


def test_a_bad_knock_is_a_json_400_and_writes_nothing(world, campaign, client):
    client.force_login(world.personas[VISITOR])
    door = campaign.targets.order_by("pk").first()
    url = f"/api/campaigns/{campaign.pk}/doors/{door.pk}/knocks"
    for body in ({"outcome": "maybe"}, {"outcome": "met", "found": "好\u0007"},
                 {"outcome": "met", "found": "走" * 501}, {},
                 {"outcome": "met", "case": {"category_id": 999999, "description": "灯坏了"}}):  # fmt: skip
        r = _post(client, url, body)
        assert 400 <= r.status_code < 500 and "detail" in r.json(), body
    assert not Visit.objects.exists()


def test_a_knock_may_file_a_case(world, campaign, client, cw):
    from doorstep.cases.models import Case

    client.force_login(world.personas[VISITOR])
    door = campaign.targets.order_by("pk").first()
    r = _post(client, f"/api/campaigns/{campaign.pk}/doors/{door.pk}/knocks",
              {"outcome": "met", "found": "楼道灯坏了",
               "case": {"category_id": cw.repair.pk, "description": "三楼楼道灯不亮"}})  # fmt: skip
    assert r.status_code == 201
    assert Visit.objects.get().follow_up_case == Case.objects.get(category=cw.repair)
