"""The data-scope matrix of the co-governance API (tag "cogov"): every persona × every
endpoint. A list holds exactly the persona's rows; an object outside them answers 404; a
write the persona may not make answers 403 (or 400 naming a field outside their scope)
and changes nothing. A walk over the OpenAPI document keeps new endpoints in the matrix."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from config.api import api
from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cogov import funds, matching, pairings, projects, proposals, services
from doorstep.cogov.models import Agreement, Match, Need, Project, ProposalVote, Resource
from doorstep.cogov.tests.test_alliances import community_alliance, sign
from doorstep.service.models import Visit

pytestmark = pytest.mark.django_db

PERSONAS = [
    "grid_worker_a", "grid_worker_b", "grid_leader_a", "community_officer", "street_officer",
    "party_member", "resident", "outsider", "liaison_904", "liaison_theatre", "system_admin",
    "audit_admin", "cadre",
]  # fmt: skip
STAFF_A = {"grid_worker_a", "grid_leader_a", "community_officer", "street_officer"}
# Rows each persona sees (names from `world` below).
NEEDS = {p: set() for p in PERSONAS} | {
    "grid_worker_a": {"need_a"}, "grid_leader_a": {"need_a"}, "community_officer": {"need_a"},
    "street_officer": {"need_a", "need_c"}, "liaison_904": {"need_a"}, "cadre": {"need_a"},
}  # fmt: skip
RESOURCES = {p: set() for p in PERSONAS} | {
    p: {"clinic", "room"} for p in ("grid_worker_a", "grid_worker_b", "grid_leader_a", "community_officer", "street_officer", "cadre")
} | {"liaison_904": {"clinic"}}  # fmt: skip
MATCHES = {p: set() for p in PERSONAS} | {p: {"match"} for p in STAFF_A | {"liaison_904", "cadre"}}
KEEPERS = {"community_officer", "street_officer"}  # match, close, cancel, complete in grid A
PROJECTS = {p: set() for p in PERSONAS} | {p: {"project"} for p in STAFF_A | {"cadre"}}
FUNDS = {p: set() for p in PERSONAS} | {"street_officer": {"fund"}}
ALLIANCES = {p: set() for p in PERSONAS} | {
    p: {"alliance"} for p in ("community_officer", "street_officer", "liaison_904")
}
# 结对: the community's department pairing, the cadre's link to grid A and their visit there.
PAIRINGS = {p: set() for p in PERSONAS} | {
    "community_officer": {"pairing", "link"}, "street_officer": {"pairing", "link"},
    "cadre": {"link"},
}  # fmt: skip
# The resident's proposal for 清华东路社区: its residents and the community's staff see it.
PROPOSALS = {p: set() for p in PERSONAS} | {
    p: {"proposal"} for p in ("community_officer", "street_officer", "resident", "party_member")
}
VISITS = {p: set() for p in PERSONAS} | {
    p: {"visit"} for p in ("community_officer", "street_officer", "cadre")
}


@pytest.fixture
def world(co):
    officer = co.p["community_officer"]
    need_a = services.record_need(
        actor=officer, node=co.world.grid_a, title="骑手就医", field="new_workers", wants="service"
    )
    need_c = services.record_need(
        actor=co.p["street_officer"],
        node=co.world.grid_c,
        title="北区助餐",
        field="elderly",
        wants="funds",
    )
    clinic = services.offer_resource(
        actor=co.p["liaison_904"], provider=co.hospital, title="夜间义诊", kind="service",
        fields=["new_workers"], capacity="100", unit="hours",
    )  # fmt: skip
    room = services.offer_resource(
        actor=officer, provider=co.world.community_1, title="活动室", kind="venue",
        fields=["culture", "new_workers"], capacity="10", unit="sessions",
    )  # fmt: skip
    match = matching.accept(actor=officer, need=need_a, resource=clinic, amount="2")
    project = projects.propose(
        actor=officer, node=co.world.grid_a, title="骑手驿站",
        starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 6, 1),
    )  # fmt: skip
    projects.add_budget_line(
        actor=officer, project=project, item="桌椅", amount="500", source="fund"
    )
    fund = funds.create_fund(
        actor=co.p["street_officer"], owner=co.world.street, name="共治基金", threshold="1000"
    )
    alliance = community_alliance(co)
    sign(co, alliance, co.hospital)
    today = dt.date.today()
    bureau = create_organisation(name="区民政局", kind=Kind.DEPARTMENT, parent=co.world.street)
    pairing = pairings.pair_department(
        actor=co.p["street_officer"], department=bureau, node=co.world.community_1,
        starts_on=today, ends_on=today + dt.timedelta(days=365),
    )  # fmt: skip
    link = pairings.link_cadre(
        actor=co.p["street_officer"], cadre=co.p["cadre"], node=co.world.grid_a, level="street",
        post="街道科员", starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=365),
    )  # fmt: skip
    visit = pairings.record_cadre_visit(
        actor=co.p["cadre"], node=co.world.grid_a, visited_on=today, asks=["need"],
        found="走访了解骑手需求",
    )  # fmt: skip
    proposal = proposals.propose(actor=co.p["resident"], title="小区口装快递柜")
    co.rows = {
        "need_a": need_a, "need_c": need_c, "clinic": clinic, "room": room, "match": match,
        "project": project, "fund": fund, "alliance": alliance, "pairing": pairing,
        "link": link, "visit": visit, "proposal": proposal,
    }  # fmt: skip
    return co


def _ids(co, names: set[str]) -> set[int]:
    return {co.rows[n].pk for n in names}


def _post(client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def _list(url: str, rows: dict[str, set[str]]) -> Callable[..., None]:
    def check(client, co, persona):
        r = client.get(url)
        got = {item["id"] for item in r.json().get("items", [])} if r.status_code == 200 else set()
        assert got == _ids(co, rows[persona]), (persona, r.status_code)

    return check


def _plain_list(url: str, rows: dict[str, set[str]]) -> Callable[..., None]:
    def check(client, co, persona):
        r = client.get(url)
        got = {item["id"] for item in r.json()} if r.status_code == 200 else set()
        assert got == _ids(co, rows[persona]), (persona, r.status_code)

    return check


def _detail(url: str, names: list[str], rows: dict[str, set[str]]) -> Callable[..., None]:
    def check(client, co, persona):
        for name in names:
            r = client.get(url.format(id=co.rows[name].pk))
            assert r.status_code == (200 if name in rows[persona] else 404), (persona, name)

    return check


def _suggestions(client, co, persona):
    r = client.get(f"/api/cogov/needs/{co.rows['need_a'].pk}/suggestions")
    expected = 404 if "need_a" not in NEEDS[persona] else (200 if persona in KEEPERS else 403)
    assert r.status_code == expected, persona


def _create_need(client, co, persona):
    before = Need.objects.count()
    r = _post(
        client,
        "/api/cogov/needs",
        {"node_id": co.world.grid_a.pk, "title": "新需求", "field": "health", "wants": "skills"},
    )
    may_add = persona in {
        "grid_worker_a",
        "grid_worker_b",
        "grid_leader_a",
        "community_officer",
        "street_officer",
        "cadre",  # holds cogov.add_need at grid A (where the link is)
    }
    expected = 403 if not may_add else (400 if persona == "grid_worker_b" else 201)
    assert r.status_code == expected, (persona, r.content)
    assert Need.objects.count() == before + (expected == 201)


def _accept(client, co, persona):
    need = co.rows["need_a"]
    r = _post(
        client,
        f"/api/cogov/needs/{need.pk}/matches",
        {"resource_id": co.rows["room"].pk, "amount": "1"},
    )
    expected = 404 if "need_a" not in NEEDS[persona] else (201 if persona in KEEPERS else 403)
    assert r.status_code == expected, (persona, r.content)
    if expected != 201:
        assert not Match.objects.filter(resource=co.rows["room"]).exists()


def _close(client, co, persona):
    need = co.rows["need_a"]
    r = _post(client, f"/api/cogov/needs/{need.pk}/close", {"reason": "已解决"})
    expected = 404 if "need_a" not in NEEDS[persona] else (200 if persona in KEEPERS else 403)
    assert r.status_code == expected, persona
    if expected != 200:
        assert Need.objects.get(pk=need.pk).status == "matched"


def _create_resource(client, co, persona):
    before = Resource.objects.count()
    r = _post(client, "/api/cogov/resources", {
        "provider_id": co.hospital.pk, "title": "健康讲座", "kind": "skills", "fields": ["health"],
        "capacity": "5", "unit": "sessions",
    })  # fmt: skip
    may_add = persona in {"community_officer", "street_officer", "liaison_904", "liaison_theatre"}
    expected = (
        403 if not may_add else (201 if persona in {"street_officer", "liaison_904"} else 400)
    )
    assert r.status_code == expected, (persona, r.content)
    assert Resource.objects.count() == before + (expected == 201)


def _move(act: str, allowed: set[str], body: Any = None) -> Callable[..., None]:
    def check(client, co, persona):
        match = co.rows["match"]
        if act == "complete":
            matching.confirm(actor=co.p["liaison_904"], match=match)
        before = Match.objects.get(pk=match.pk).status
        r = _post(client, f"/api/cogov/matches/{match.pk}/{act}", body or {})
        expected = 404 if "match" not in MATCHES[persona] else (200 if persona in allowed else 403)
        assert r.status_code == expected, (persona, r.content)
        if expected != 200:
            assert Match.objects.get(pk=match.pk).status == before

    return check


def _project_move(client, co, persona):
    project = co.rows["project"]
    r = _post(client, f"/api/cogov/projects/{project.pk}/moves", {"move": "submit", "version": 1})
    expected = 404 if "project" not in PROJECTS[persona] else (200 if persona in KEEPERS else 403)
    assert r.status_code == expected, (persona, r.content)
    if expected != 200:
        assert Project.objects.get(pk=project.pk).status == "proposed"


def _statement(client, co, persona):
    r = client.get(
        f"/api/cogov/funds/{co.rows['fund'].pk}/statement?start=2026-01-01&end=2026-12-31"
    )
    assert r.status_code == (200 if "fund" in FUNDS[persona] else 404), persona


def _sign(client, co, persona):
    alliance = co.rows["alliance"]
    item = alliance.scheme.items.first()
    r = _post(client, f"/api/cogov/alliances/{alliance.pk}/agreements", {
        "unit_id": co.theatre.pk, "starts_on": "2026-01-01", "ends_on": "2027-01-01",
        "signed_on": "2025-12-20", "item_ids": [item.pk], "pledge": "每季度一场锡剧进社区",
    })  # fmt: skip
    seen = "alliance" in ALLIANCES[persona]
    expected = 404 if not seen else (201 if persona in KEEPERS else 403)
    assert r.status_code == expected, (persona, r.content)
    assert Agreement.objects.filter(unit=co.theatre).count() == (expected == 201)


def _unit(client, co, persona):
    r = client.get(f"/api/cogov/units/{co.hospital.pk}")
    assert r.status_code == 200 and r.json()["record"]["resources"] == 1, persona
    assert client.get(f"/api/cogov/units/{co.world.grid_a.pk}").status_code == 404


def _record_visit(client, co, persona):
    before = Visit.objects.count()
    r = _post(client, "/api/cogov/visits", {
        "node_id": co.world.grid_a.pk, "visited_on": dt.date.today().isoformat(),
        "asks": ["need", "effect"], "found": "回访骑手驿站使用情况",
        "need": {"title": "驿站加装充电柜", "field": "new_workers", "wants": "goods", "people": 15},
    })  # fmt: skip
    if persona == "cadre":
        assert r.status_code == 201, r.content
        assert r.json()["asks"] == ["need", "effect"] and len(r.json()["need_ids"]) == 1
        assert Visit.objects.count() == before + 1
    else:
        assert r.status_code in (400, 403), (persona, r.status_code)
        if r.status_code == 400:
            assert r.json()["field"] == "node_id", (persona, r.content)
        assert Visit.objects.count() == before
        assert not Need.objects.filter(title="驿站加装充电柜").exists()


def _support(client, co, persona):
    proposal = co.rows["proposal"]
    r = client.post(f"/api/cogov/proposals/{proposal.pk}/support")
    residents = {"resident", "party_member"}  # both live in 清华东路社区
    seen = "proposal" in PROPOSALS[persona]
    expected = 404 if not seen else (200 if persona in residents else 403)
    assert r.status_code == expected, (persona, r.content)
    assert ProposalVote.objects.filter(proposal=proposal).count() == (expected == 200)


MATRIX: dict[tuple[str, str], Callable[..., None]] = {
    ("get", "/api/cogov/proposals"): _plain_list("/api/cogov/proposals", PROPOSALS),
    ("post", "/api/cogov/proposals/{proposal_id}/support"): _support,
    ("get", "/api/cogov/pairings"): _plain_list("/api/cogov/pairings", PAIRINGS),
    ("get", "/api/cogov/visits"): _plain_list("/api/cogov/visits", VISITS),
    ("post", "/api/cogov/visits"): _record_visit,
    ("get", "/api/cogov/alliances"): _plain_list("/api/cogov/alliances", ALLIANCES),
    ("get", "/api/cogov/alliances/{alliance_id}"): _detail("/api/cogov/alliances/{id}", ["alliance"], ALLIANCES),
    ("post", "/api/cogov/alliances/{alliance_id}/agreements"): _sign,
    ("get", "/api/cogov/units/{unit_id}"): _unit,
    ("get", "/api/cogov/projects"): _list("/api/cogov/projects", PROJECTS),
    ("get", "/api/cogov/projects/{project_id}"): _detail("/api/cogov/projects/{id}", ["project"], PROJECTS),
    ("post", "/api/cogov/projects/{project_id}/moves"): _project_move,
    ("get", "/api/cogov/funds"): _plain_list("/api/cogov/funds", FUNDS),
    ("get", "/api/cogov/funds/{fund_id}/statement"): _statement,
    ("get", "/api/cogov/needs"): _list("/api/cogov/needs", NEEDS),
    ("post", "/api/cogov/needs"): _create_need,
    ("get", "/api/cogov/needs/{need_id}"): _detail("/api/cogov/needs/{id}", ["need_a", "need_c"], NEEDS),
    ("get", "/api/cogov/needs/{need_id}/suggestions"): _suggestions,
    ("post", "/api/cogov/needs/{need_id}/matches"): _accept,
    ("post", "/api/cogov/needs/{need_id}/close"): _close,
    ("get", "/api/cogov/resources"): _list("/api/cogov/resources", RESOURCES),
    ("post", "/api/cogov/resources"): _create_resource,
    ("get", "/api/cogov/resources/{resource_id}"): _detail("/api/cogov/resources/{id}", ["clinic", "room"], RESOURCES),
    ("get", "/api/cogov/matches"): _list("/api/cogov/matches", MATCHES),
    ("post", "/api/cogov/matches/{match_id}/confirm"): _move("confirm", {"liaison_904"}),
    ("post", "/api/cogov/matches/{match_id}/decline"): _move("decline", {"liaison_904"}, {"reason": "排满"}),
    ("post", "/api/cogov/matches/{match_id}/cancel"): _move("cancel", KEEPERS, {"reason": "改期"}),
    ("post", "/api/cogov/matches/{match_id}/complete"): _move("complete", KEEPERS, {"rating": 4}),
}  # fmt: skip


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_gets_exactly_its_scope(world, client, endpoint):
    from django.db import transaction

    for persona in PERSONAS:
        client.force_login(world.p[persona])
        # Each persona starts from the same rows: what one persona's write changed is undone.
        with transaction.atomic():
            MATRIX[endpoint](client, world, persona)
            transaction.set_rollback(True)


def test_every_cogov_operation_is_in_the_matrix():
    paths = api.get_openapi_schema()["paths"]
    operations = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "cogov" in op.get("tags", [])
    }
    assert operations == set(MATRIX), "add a scope case for each new cogov endpoint"
