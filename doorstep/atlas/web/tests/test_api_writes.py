"""The JSON API on the persona world: writes (create, patch, move, unmask) and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from doorstep.atlas.people.models import (
    TAG_LABELS,
    Resident,
)
from doorstep.atlas.places.models import Household, Unit
from doorstep.atlas.web.tests.api_helpers import (
    API,
    MASKED_ID,
    MASKED_PHONE,
    as_,
    body,
    resident_payload,
)
from doorstep.core.models import AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE

# --- households: moving -------------------------------------------------------------------


def test_moving_a_household_carries_its_residents_to_the_new_grid(world, client):
    c = as_(client, world, "community_officer")
    response = c.post(
        f"{API}/households/{world.household_a.pk}/move",
        {"building": world.building_b.pk, "unit": "2单元", "room": "808"},
        content_type="application/json",
    )
    assert response.status_code == 200
    moved = body(response)
    assert moved["address"] == "学知园2号楼2单元808室"
    assert moved["grid"]["id"] == world.grid_b.pk
    world.planted.refresh_from_db()
    assert world.planted.grid_id == world.grid_b.pk
    assert AuditEntry.objects.filter(action="update", target_type="places.household").count() == 1


def _household_rows() -> list[tuple[Any, ...]]:
    return list(Household.objects.values_list("id", "unit_id", "room", "grid_id").order_by("id"))


def test_a_role_without_the_permission_cannot_move_a_household(world, client):
    c = as_(client, world, "street_officer")
    rows, units = _household_rows(), Unit.objects.count()
    response = c.post(
        f"{API}/households/{world.household_a.pk}/move",
        {"building": world.building_b.pk, "unit": "9单元", "room": "1"},
        content_type="application/json",
    )
    assert response.status_code == 403 and body(response)["error"] == "forbidden"
    assert _household_rows() == rows and Unit.objects.count() == units
    assert not AuditEntry.objects.filter(target_type="places.household").exists()


@pytest.mark.parametrize(
    "payload, status",
    [
        ({"building": "b", "unit": "1单元", "room": "9"}, 422),
        ({"building": 2**70, "unit": "1单元", "room": "9"}, 422),
        ({"building": 1, "unit": "", "room": "9"}, 422),
        ({"building": 1, "unit": "1单元", "room": "x" * 21}, 422),
        ({"building": 1, "unit": "1单元\x00", "room": "9"}, 400),  # control character
        ({"building": "OUT", "unit": "1单元", "room": "9"}, 400),  # grid C: out of scope
        ({"building": "A", "unit": "1单元", "room": "102"}, 400),  # taken by household_a2
        ({"building": "A", "unit": "新单元", "room": " "}, 400),  # blank room: unit not created
    ],
)
def test_a_bad_move_changes_nothing(world, client, payload, status):
    payload = dict(payload)
    if payload["building"] == "OUT":
        payload["building"] = world.building_c.pk
    elif payload["building"] == "A":
        payload["building"] = world.building_a.pk
    c = as_(client, world, "grid_worker_a")
    rows, units = _household_rows(), Unit.objects.count()
    response = c.post(
        f"{API}/households/{world.household_a.pk}/move", payload, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert body(response)["error"] == "invalid"
    assert _household_rows() == rows and Unit.objects.count() == units
    assert not AuditEntry.objects.filter(target_type="places.household").exists()


# --- residents: writes ------------------------------------------------------------------


def test_creating_a_resident_answers_masked_and_is_audited(world, client):
    c = as_(client, world, "grid_worker_a")
    response = c.post(
        f"{API}/residents",
        {
            "household": world.household_a2.pk,
            "name": " 李小红 ",
            "residence_type": "registered",
            "relation": "child",
            "id_card": "110108201001010028",
            "phone": "13600000001",
            "tags": ["left_behind_child"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = body(response)
    resident = Resident.objects.get(pk=created["id"])
    assert resident.id_card == "110108201001010028" and resident.grid_id == world.grid_a.pk
    assert created["name"] == "李小红" and created["birth_year"] == 2010
    assert (created["id_card"], created["phone"]) == ("110***********0028", "136****0001")
    assert created["tags"] == [{"code": "left_behind_child", "label": "留守儿童"}]
    assert AuditEntry.objects.filter(action="create", target_id=str(resident.pk)).count() == 1


def test_patching_a_resident_changes_only_the_fields_sent(world, client):
    c = as_(client, world, "grid_worker_a")
    response = c.patch(
        f"{API}/residents/{world.planted.pk}",
        {"note": "独居，需每周探访", "tags": ["elderly_alone", "disabled"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    patched = body(response)
    assert patched["note"] == "独居，需每周探访"
    assert [t["code"] for t in patched["tags"]] == ["disabled", "elderly_alone"]
    assert (patched["id_card"], patched["phone"], patched["name"]) == (
        MASKED_ID,
        MASKED_PHONE,
        "王芳",
    )
    world.planted.refresh_from_db()
    assert world.planted.id_card == PLANTED_ID_CARD and world.planted.phone == PLANTED_PHONE
    entry = AuditEntry.objects.get(action="update", target_id=str(world.planted.pk))
    assert sorted(entry.detail["fields"]) == ["note", "tags"]


def test_a_role_without_the_permission_cannot_write_residents(world, client):
    c = as_(client, world, "street_officer")
    audit = AuditEntry.objects.count()
    created = c.post(
        f"{API}/residents",
        {"household": world.household_a.pk, "name": "某某", "residence_type": "registered"},
        content_type="application/json",
    )
    patched = c.patch(
        f"{API}/residents/{world.planted.pk}", {"name": "改名"}, content_type="application/json"
    )
    assert (created.status_code, patched.status_code) == (403, 403)
    assert Resident.objects.count() == 4
    world.planted.refresh_from_db()
    assert world.planted.name == "王芳"
    assert AuditEntry.objects.count() == audit


BAD_CREATES = [
    ({"id_card": "110108198503070001"}, 400),  # wrong check digit
    ({"id_card": "11010819850230000X"}, 400),  # Feb 30th inside the number
    ({"id_card": PLANTED_ID_CARD}, 400),  # already registered to 王芳
    ({"phone": "12345"}, 400),
    ({"household": 999_999}, 400),  # no such household
    ({"household": "HC"}, 400),  # grid C: exists, but not in grid worker A's scope
    ({"household": 2**63}, 422),  # beyond any database integer
    ({"household": "abc"}, 422),
    ({"birth_date": "2023-02-30"}, 422),
    ({"birth_date": 20230101}, 422),
    ({"name": 123}, 422),
    ({"name": ""}, 422),
    ({"name": "x" * 65}, 422),
    ({"name": "王\x00芳"}, 400),  # control character
    ({"residence_type": "alien"}, 422),
    ({"tags": ["vip"]}, 422),
    ({"tags": "elderly_alone"}, 422),
    ({"grid": 1}, 422),  # not an input field
]


@pytest.mark.parametrize("changes, status", BAD_CREATES)
def test_bad_input_to_create_writes_nothing(world, client, changes, status):
    if changes.get("household") == "HC":
        changes = {"household": world.household_c.pk}
    c = as_(client, world, "grid_worker_a")
    audit = AuditEntry.objects.count()
    response = c.post(
        f"{API}/residents", resident_payload(world, **changes), content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert body(response)["error"] == "invalid"
    assert Resident.objects.count() == 4
    assert AuditEntry.objects.count() == audit


def test_malformed_json_is_a_4xx(world, client):
    c = as_(client, world, "grid_worker_a")
    response = c.post(f"{API}/residents", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert Resident.objects.count() == 4


@pytest.mark.parametrize(
    "changes, status",
    [
        ({"id_card": "123"}, 400),
        ({"id_card": "110108196001010016"}, 400),  # 李建国's number
        ({"birth_date": "2023-02-30"}, 422),
        ({"name": None}, 422),
        ({"residence_type": 5}, 422),
        ({"grid": 1}, 422),
        ({"household": 1}, 422),
    ],
)
def test_bad_input_to_patch_changes_nothing(world, client, changes, status):
    c = as_(client, world, "grid_worker_a")
    fields = ("name", "id_card", "phone", "birth_date", "residence_type", "grid_id", "household_id")
    before = Resident.objects.filter(pk=world.planted.pk).values(*fields).get()
    audit = AuditEntry.objects.count()
    response = c.patch(
        f"{API}/residents/{world.planted.pk}", changes, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert body(response)["error"] == "invalid"
    assert Resident.objects.filter(pk=world.planted.pk).values(*fields).get() == before
    assert AuditEntry.objects.count() == audit


def test_a_missing_object_is_404_json(world, client):
    response = as_(client, world, "street_officer").get(f"{API}/residents/999999")
    assert response.status_code == 404
    assert body(response)["error"] == "not_found"


# --- unmasking ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["grid_leader_a", "community_officer"])
def test_unmask_returns_clear_numbers_and_writes_one_audit_entry_each_time(world, client, persona):
    c = as_(client, world, persona)
    url = f"{API}/residents/{world.planted.pk}/unmask"
    for n in (1, 2):
        response = c.post(url)
        assert response.status_code == 200
        assert body(response) == {
            "id_card": PLANTED_ID_CARD,
            "phone": PLANTED_PHONE,
            "birth_date": "1985-03-07",
        }
        entries = AuditEntry.objects.filter(action="unmask")
        assert entries.count() == n
    entry = AuditEntry.objects.filter(action="unmask").first()
    assert entry is not None
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        world.personas[persona].pk,
        "people.resident",
        str(world.planted.pk),
    )


def test_a_denied_unmask_is_403_and_leaves_no_trace(world, client):
    c = as_(client, world, "grid_worker_a")
    audit = AuditEntry.objects.count()
    response = c.post(f"{API}/residents/{world.planted.pk}/unmask")
    assert response.status_code == 403
    assert body(response)["error"] == "forbidden"
    assert PLANTED_ID_CARD not in response.content.decode()
    assert AuditEntry.objects.count() == audit
    world.planted.refresh_from_db()
    assert (world.planted.id_card, world.planted.phone) == (PLANTED_ID_CARD, PLANTED_PHONE)


def test_the_document_describes_the_text_and_nulls_a_write_refuses():
    # Found by test_api_fuzz: document-valid bodies (a null in a PATCH, a NUL in text) were
    # refused with 422, and `tags` in a PATCH carried `maxLength` instead of `maxItems`.
    from config.api import api

    parts = api.get_openapi_schema()["components"]["schemas"]
    patch = parts["ResidentPatch"]["properties"]
    for name in ("name", "gender", "residence_type", "relation", "id_card", "phone", "note"):
        assert "anyOf" not in patch[name] and patch[name]["type"] == "string", name
    assert patch["tags"]["type"] == "array" and patch["tags"]["maxItems"] == len(TAG_LABELS)
    assert "maxLength" not in patch["tags"]
    assert {"type": "null"} in patch["birth_date"]["anyOf"]  # a null birth date clears it
    for schema, field in [("ResidentIn", "name"), ("ResidentPatch", "note"), ("MoveIn", "room")]:
        assert parts[schema]["properties"][field]["pattern"] == r"^[^\x00]*$", (schema, field)
