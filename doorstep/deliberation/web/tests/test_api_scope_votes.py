"""The data-scope matrix of the votes API (tag "deliberation"): every persona × every
endpoint. A list holds exactly the persona's votes; a vote outside them answers 404; a
vote the persona may not cast answers 403 and writes nothing. Owners and proxies of the
estate see their own vote and cast it; a walk over the OpenAPI document keeps new
endpoints in the matrix."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from config.api import api
from doorstep.deliberation import ballots
from doorstep.deliberation.models import BallotVote

pytestmark = pytest.mark.django_db

PERSONAS = [
    "grid_worker_a", "grid_worker_b", "grid_leader_a", "community_officer", "street_officer",
    "party_member", "resident", "cadre", "outsider", "audit_admin", "system_admin",
    "security_admin",
]  # fmt: skip
# Who sees the 静淑苑 vote (its building is in grid A, its compound in community 1).
SEES = {"grid_worker_a", "grid_leader_a", "community_officer", "street_officer"}
# Who may enter a paper ballot for part 104 (grid A).
PAPER = {"grid_worker_a", "grid_leader_a", "community_officer"}


@pytest.fixture
def vote(world, estate):
    officer = world.personas["community_officer"]
    now = timezone.now()
    ballot = ballots.draw_up(
        actor=officer, compound=estate.compound, title="选聘新的物业服务企业", question="内容",
        matter="ordinary", opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=7),
    )  # fmt: skip
    return ballots.open_ballot(actor=officer, ballot=ballot)


def _post(client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def _list(client, world, estate, vote, persona):
    r = client.get("/api/votes")
    assert r.status_code == 200
    assert {b["id"] for b in r.json()} == ({vote.pk} if persona in SEES else set()), persona


def _detail(client, world, estate, vote, persona):
    r = client.get(f"/api/votes/{vote.pk}")
    if persona in SEES:
        body = r.json()
        assert r.status_code == 200 and body["total"] == {"area": 76_000, "owners": 5}
        assert body["mine"] == [] and "choices" not in body
    else:
        assert r.status_code == 404, persona


def _cast(client, world, estate, vote, persona):
    part = estate.parts["104"].pk
    online = _post(client, f"/api/votes/{vote.pk}/cast", {"household_id": part, "choice": "yes"})
    assert online.status_code == (403 if persona in SEES else 404), persona  # no one's home
    paper = _post(
        client, f"/api/votes/{vote.pk}/cast",
        {"household_id": part, "choice": "yes", "channel": "paper"},
    )  # fmt: skip
    if persona in PAPER:
        assert paper.status_code == 200 and paper.json()["voted"]["owners"] == 1
        assert BallotVote.objects.filter(ballot=vote).count() == 1
    else:
        assert paper.status_code == (403 if persona in SEES else 404), persona
        assert not BallotVote.objects.filter(ballot=vote).exists()


MATRIX = {
    ("get", "/api/votes"): _list,
    ("get", "/api/votes/{ballot_id}"): _detail,
    ("post", "/api/votes/{ballot_id}/cast"): _cast,
}


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_gets_exactly_its_scope(world, estate, vote, client, endpoint):
    for persona in PERSONAS:
        client.force_login(world.personas[persona])
        with transaction.atomic():
            MATRIX[endpoint](client, world, estate, vote, persona)
            transaction.set_rollback(True)


def test_owners_and_proxies_see_and_cast_their_own_and_a_tenant_cannot(world, estate, vote, client):
    url = f"/api/votes/{vote.pk}/cast"
    client.force_login(estate.people["tenant"])
    assert client.get(f"/api/votes/{vote.pk}").status_code == 404
    r = _post(client, url, {"household_id": estate.parts["104"].pk, "choice": "yes"})
    assert r.status_code == 404 and not BallotVote.objects.exists()
    client.force_login(estate.people["proxy"])
    assert [b["mine"] for b in client.get("/api/votes").json()] == [
        [{"household_id": estate.parts["105"].pk, "choice": None}]
    ]
    r = _post(client, url, {"household_id": estate.parts["105"].pk, "choice": "no"})
    assert r.status_code == 200 and r.json()["mine"][0]["choice"] == "no"
    client.force_login(estate.people["owner_lin"])
    r = _post(client, url, {"household_id": estate.parts["105"].pk, "choice": "yes"})
    assert r.status_code == 409 and r.json()["detail"] == "该户已投票，不能重复投票"
    r = _post(client, url, {"household_id": estate.parts["105"].pk, "choice": "maybe"})
    assert r.status_code in (400, 422)
    assert list(BallotVote.objects.values_list("choice", flat=True)) == ["no"]


def test_every_deliberation_operation_is_in_the_matrix():
    paths = api.get_openapi_schema()["paths"]
    operations = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "deliberation" in op.get("tags", []) and path.startswith("/api/votes")
    }
    assert operations == set(MATRIX), "add a scope case for each new vote endpoint"
