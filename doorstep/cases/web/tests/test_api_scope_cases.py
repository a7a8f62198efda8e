"""Data scope of the cases API: every persona × every case, and every cases endpoint.

Three cases: A in grid A (a resident's request, published to the pool), B in grid B (a
grid worker's report, dispatched to 城管执法队), C in grid C (another community). Each
persona must see exactly the set written out below; a case outside it is a 404 for reads
and for moves, and nothing changes.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from config.api import api
from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case

pytestmark = pytest.mark.django_db

PERSONAS = [
    "grid_worker_a",
    "grid_worker_b",
    "grid_leader_a",
    "community_officer",
    "street_officer",
    "party_member",
    "volunteer",
    "resident",
    "liaison_city",
    "liaison_housing",
    "outsider",
    "system_admin",
    "security_admin",
    "audit_admin",
]

EXPECTED = {
    "grid_worker_a": {"a"},
    "grid_worker_b": {"b"},
    "grid_leader_a": {"a"},
    "community_officer": {"a", "b"},
    "street_officer": {"a", "b", "c"},
    "party_member": {"a"},  # the pool of its community
    "volunteer": {"a"},
    "resident": {"a"},  # filed it
    "liaison_city": {"b"},  # assigned to its department
    "liaison_housing": set(),
    "outsider": set(),
    "system_admin": set(),
    "security_admin": set(),
    "audit_admin": set(),
}


@pytest.fixture
def scoped(cw):
    p, w = cw.personas, cw.world
    a = services.create_case(
        actor=p["resident"],
        category=cw.repair,
        description="A 楼道灯坏",
        location=locate(building=w.building_a),
    )
    services.perform(a, "accept", actor=p["community_officer"])
    services.perform(a, "publish", actor=p["community_officer"])
    b = services.create_case(
        actor=p["grid_worker_b"],
        category=cw.repair,
        description="B 占道经营",
        location=locate(building=w.building_b),
        kind="patrol",
        source="patrol",
        draft=True,
    )
    services.perform(b, "submit", actor=p["grid_worker_b"])
    services.perform(b, "accept", actor=p["community_officer"])
    services.perform(b, "dispatch", actor=p["community_officer"], lead=cw.dept_city)
    c = services.create_case(
        actor=p["street_officer"],
        category=cw.repair,
        description="C 垃圾满溢",
        location=locate(building=w.building_c),
    )
    cases = {k: Case.objects.get(pk=v.pk) for k, v in {"a": a, "b": b, "c": c}.items()}
    return SimpleNamespace(cw=cw, cases=cases, personas=p)


def _numbers(scoped, names: set[str]) -> set[str]:
    return {scoped.cases[n].number for n in names}


def _list(client, scoped, persona, allowed):
    r = client.get("/api/cases?limit=500")
    assert r.status_code == 200
    assert {c["number"] for c in r.json()["items"]} == _numbers(scoped, allowed)


def _detail(client, scoped, persona, allowed):
    for name, case in scoped.cases.items():
        r = client.get(f"/api/cases/{case.number}")
        assert r.status_code == (200 if name in allowed else 404), (name, r.content)


def _move(client, scoped, persona, allowed):
    """Urging (催办) a case: out of scope is a 404 and the case is unchanged."""
    for name, case in scoped.cases.items():
        before = Case.objects.get(pk=case.pk).version
        r = client.post(
            f"/api/cases/{case.number}/moves/urge",
            data=json.dumps({"note": "请尽快办理"}),
            content_type="application/json",
        )
        after = Case.objects.get(pk=case.pk).version
        if name not in allowed:
            assert r.status_code == 404
            assert after == before
        else:
            assert r.status_code in (200, 403, 409), r.content
            assert (after == before + 1) == (r.status_code == 200)


def _create(client, scoped, persona, allowed):
    user = scoped.personas[persona]
    n = Case.objects.count()
    r = client.post(
        "/api/cases",
        data=json.dumps(
            {
                "category": scoped.cw.repair.code,
                "description": "新诉求",
                "building_id": scoped.cw.world.building_a.pk,
            }
        ),
        content_type="application/json",
    )
    if user.has_perm("cases.add_case"):
        assert r.status_code == 201
        assert Case.objects.count() == n + 1
    else:
        assert r.status_code == 403
        assert Case.objects.count() == n


def _rates(client, scoped, persona, allowed):
    user = scoped.personas[persona]
    street = scoped.cw.world.street
    r = client.get(f"/api/rates?organisation_id={street.pk}")
    if not user.has_perm("cases.view_case"):
        assert r.status_code == 403
    elif persona == "street_officer":
        assert r.status_code == 200 and r.json()["received"] >= 2
    else:  # the street is outside everyone else's scope
        assert r.status_code == 404


def _categories(client, scoped, persona, allowed):
    r = client.get("/api/categories")
    assert r.status_code == 200
    assert scoped.cw.repair.code in {c["code"] for c in r.json()}


def _inbox(client, scoped, persona, allowed):
    r = client.get("/api/inbox")
    assert r.status_code == 200
    user = scoped.personas[persona]
    assert r.json()["count"] == user.notifications.count()


def _mark_read(client, scoped, persona, allowed):
    from doorstep.inbox.models import Notification

    other = Notification.objects.create(user=scoped.personas["street_officer"], kind="t", title="x")
    r = client.post(f"/api/inbox/{other.pk}/read")
    other.refresh_from_db()
    if persona == "street_officer":
        assert r.status_code == 204 and other.read_at is not None
    else:
        assert r.status_code == 404 and other.read_at is None


MATRIX = {
    ("get", "/api/cases"): _list,
    ("post", "/api/cases"): _create,
    ("get", "/api/cases/{number}"): _detail,
    ("post", "/api/cases/{number}/moves/{code}"): _move,
    ("get", "/api/rates"): _rates,
    ("get", "/api/categories"): _categories,
    ("get", "/api/inbox"): _inbox,
    ("post", "/api/inbox/{notification_id}/read"): _mark_read,
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_sees_exactly_its_cases(scoped, client, endpoint, persona):
    client.force_login(scoped.personas[persona])
    MATRIX[endpoint](client, scoped, persona, EXPECTED[persona])


def test_every_cases_operation_is_in_the_matrix():
    paths = api.get_openapi_schema()["paths"]
    operations = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "cases" in op.get("tags", [])
    }
    assert operations == set(MATRIX), "add a scope case for each new cases endpoint"
