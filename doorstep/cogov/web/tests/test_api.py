"""The co-governance API: the lists, suggestions and matches, scoped, with JSON errors."""

from __future__ import annotations

import typing

import pytest

from doorstep.cogov import services
from doorstep.cogov.models import Field, Match, Need, Quantity, Resource, ResourceKind
from doorstep.cogov.web import schemas

pytestmark = pytest.mark.django_db


def test_the_schema_codes_are_the_models_codes():
    assert list(typing.get_args(schemas.FieldCode)) == Field.values
    assert list(typing.get_args(schemas.KindCode)) == ResourceKind.values
    assert list(typing.get_args(schemas.UnitCode)) == Quantity.values


def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_record_suggest_accept_confirm_complete_through_the_api(co, client):
    client.force_login(co.p["liaison_904"])
    r = _post(
        client,
        "/api/cogov/resources",
        {
            "provider_id": co.hospital.pk,
            "title": "夜间义诊",
            "kind": "service",
            "fields": ["health", "new_workers"],
            "capacity": "20",
            "unit": "hours",
        },
    )
    assert r.status_code == 201, r.content
    resource_id = r.json()["id"]
    client.force_login(co.p["community_officer"])
    r = _post(
        client,
        "/api/cogov/needs",
        {
            "node_id": co.world.grid_a.pk,
            "title": "外卖骑手夜间就医",
            "field": "new_workers",
            "wants": "service",
            "people": 40,
            "amount": "6",
            "unit": "hours",
            "building_id": co.world.building_a.pk,
        },
    )
    assert r.status_code == 201, r.content
    need_id = r.json()["id"]
    found = client.get(f"/api/cogov/needs/{need_id}/suggestions").json()
    assert [s["resource"]["id"] for s in found] == [resource_id] and found[0]["walked"]
    r = _post(
        client, f"/api/cogov/needs/{need_id}/matches", {"resource_id": resource_id, "amount": "30"}
    )
    assert r.status_code == 409 and "剩余容量不足" in r.json()["detail"]
    r = _post(
        client, f"/api/cogov/needs/{need_id}/matches", {"resource_id": resource_id, "amount": "6"}
    )
    assert r.status_code == 201 and r.json()["status"] == "accepted"
    match_id = r.json()["id"]
    assert client.get("/api/cogov/needs?status=matched").json()["count"] == 1
    r = _post(client, f"/api/cogov/matches/{match_id}/confirm", {})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    client.force_login(co.p["liaison_904"])
    assert (
        _post(client, f"/api/cogov/matches/{match_id}/confirm", {}).json()["status"] == "confirmed"
    )
    client.force_login(co.p["community_officer"])
    r = _post(client, f"/api/cogov/matches/{match_id}/complete", {"rating": 5})
    assert r.status_code == 200 and r.json()["rating"] == 5
    assert client.get(f"/api/cogov/needs/{need_id}").json()["status"] == "met"
    assert client.get("/api/cogov/resources").json()["items"][0]["remaining"] == "14.00"


def test_bad_input_is_a_json_error_and_writes_nothing(co, client):
    client.force_login(co.p["community_officer"])
    base = {
        "node_id": co.world.grid_a.pk,
        "title": "骑手",
        "field": "new_workers",
        "wants": "venue",
    }
    cases = [
        ({**base, "field": "天气"}, 422),
        ({**base, "title": "长" * 61}, 422),
        ({**base, "node_id": co.world.grid_c.pk}, 400),  # outside the officer's scope
        ({**base, "window_start": "2026-06-01", "window_end": "2026-05-01"}, 400),
        ({**base, "amount": "-1", "unit": "hours"}, 422),
        ({**base, "node_id": 2**31 + 5}, 422),
    ]
    for payload, status in cases:
        r = _post(client, "/api/cogov/needs", payload)
        assert r.status_code == status, (payload, r.content)
        assert r.json().get("error") or r.json().get("detail")
    r = client.post(
        "/api/cogov/needs", {**base, "title": "骑手\x01"}, content_type="application/json"
    )
    assert r.status_code == 400
    assert not Need.objects.exists()


def test_others_see_no_rows_and_get_404(co, client):
    need = services.record_need(
        actor=co.p["community_officer"], node=co.world.grid_a, title="骑手", field="new_workers",
        wants="service",
    )  # fmt: skip
    resource = services.offer_resource(
        actor=co.p["liaison_904"], provider=co.hospital, title="义诊", kind="service",
        fields=["new_workers"], capacity="5", unit="hours",
    )  # fmt: skip
    for persona in ("grid_worker_b", "liaison_theatre", "resident", "audit_admin"):
        client.force_login(co.p[persona])
        assert client.get("/api/cogov/needs").json().get("count", 0) == 0, persona
        assert client.get(f"/api/cogov/needs/{need.pk}").status_code == 404
        r = _post(
            client,
            f"/api/cogov/needs/{need.pk}/matches",
            {"resource_id": resource.pk, "amount": "1"},
        )
        assert r.status_code == 404, persona
    assert not Match.objects.exists() and Resource.objects.get().remaining == 5
