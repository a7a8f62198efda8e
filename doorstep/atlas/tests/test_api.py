"""The JSON API on the persona world: each endpoint's answer, auth, masking and bad input."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from doorstep.accounts.models import ApiToken
from doorstep.accounts.tokens import issue_token
from doorstep.atlas import schemas
from doorstep.core.models import AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE
from doorstep.organisations.models import Kind
from doorstep.people.models import (
    TAG_LABELS,
    Gender,
    PartyStatus,
    Relation,
    ResidenceType,
    Resident,
)
from doorstep.places.models import Compound, Household, Unit

API = "/api"
MASKED_ID = "110***********000X"
MASKED_PHONE = "139****5678"


def body(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return json.loads(response.content)


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def as_(client: Client, world: Any, persona: str) -> Client:
    client.force_login(world.personas[persona])
    return client


# --- documents and auth -------------------------------------------------------------------


def test_openapi_document_is_served_and_well_formed(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = body(response)
    assert doc["openapi"].startswith("3.")
    operation_ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(operation_ids) == len(set(operation_ids))
    text = json.dumps(doc)
    for ref in {r.split('"')[0] for r in text.split('"$ref": "')[1:]}:
        assert ref.split("/")[-1] in doc["components"]["schemas"], ref
    try:
        from openapi_spec_validator import validate
    except ImportError:  # the full validator is optional; the checks above always run
        return
    validate(doc)


def test_docs_page_is_served(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert "swagger" in response.content.decode().lower()


@pytest.mark.xfail(
    "ninja" not in settings.INSTALLED_APPS,
    reason="ninja renders its CDN template unless 'ninja' is in INSTALLED_APPS",
    strict=True,
)
def test_docs_page_loads_nothing_from_another_host(client):
    page = client.get(f"{API}/docs").content.decode()
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert '"validatorUrl": null' in page  # no badge fetched from the online validator
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css"):
        assert f"/static/{asset}" in page
        assert client.get(f"/static/{asset}").status_code == 200


def test_an_anonymous_caller_gets_401_json(client, world):
    for response in (
        client.get(f"{API}/residents"),
        client.get(f"{API}/residents/{world.planted.pk}"),
        client.post(f"{API}/residents/{world.planted.pk}/unmask"),
    ):
        assert response.status_code == 401
        assert body(response)["error"] == "unauthorized"
    assert not AuditEntry.objects.filter(action="unmask").exists()


def test_a_bearer_token_authenticates(world):
    secret = issue_token(user=world.personas["grid_worker_a"], name="test", actor=None)
    client = Client()
    response = client.get(f"{API}/residents", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert sorted(ids(body(response))) == sorted([world.planted.pk, world.member.resident.pk])
    token = ApiToken.objects.get(user=world.personas["grid_worker_a"])
    assert token.last_used_at is not None


def test_the_issue_token_command_prints_a_working_secret_once(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_token", "leader_a", "--name", "nightly", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("ds_") and "\n" not in secret
    token = ApiToken.objects.get(user=world.personas["grid_leader_a"])
    assert token.name == "nightly" and secret not in token.key_hash
    assert AuditEntry.objects.filter(action="token", target_id=str(token.pk)).count() == 1
    response = Client().get(f"{API}/grids", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert ids(body(response)) == [world.grid_a.pk]


def test_the_issue_token_command_refuses_unknown_and_inactive_users(world):
    with pytest.raises(CommandError):
        call_command("issue_token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
    outsider = world.personas["outsider"]
    outsider.is_active = False
    outsider.save(update_fields=["is_active"])
    with pytest.raises(CommandError):
        call_command("issue_token", "outsider", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


def test_revoked_invalid_and_inactive_tokens_get_401(world):
    user = world.personas["grid_worker_a"]
    revoked = issue_token(user=user, name="old", actor=None)
    ApiToken.objects.filter(user=user).update(revoked_at=timezone.now())
    leaver = world.personas["grid_worker_b"]
    inactive = issue_token(user=leaver, name="leaver", actor=None)
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    client = Client()
    for header in (
        f"Bearer {revoked}",
        f"Bearer {inactive}",
        "Bearer ds_not-a-real-token",
        "Bearer ",
        "Basic Z3JpZF9hOnBhc3M=",
    ):
        response = client.get(f"{API}/residents", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert body(response)["error"] == "unauthorized"


def test_a_session_needs_the_csrf_token_for_a_post(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas["grid_leader_a"])
    assert client.get(f"{API}/residents/{world.planted.pk}").status_code == 200
    url = f"{API}/residents/{world.planted.pk}/unmask"
    denied = client.post(url)
    assert denied.status_code == 403
    assert not AuditEntry.objects.filter(action="unmask").exists()
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    allowed = client.post(url, HTTP_X_CSRFTOKEN="a" * 32)
    assert allowed.status_code == 200
    assert body(allowed) == {"id_card": PLANTED_ID_CARD, "phone": PLANTED_PHONE}


def test_a_token_needs_no_csrf_token(world):
    secret = issue_token(user=world.personas["grid_leader_a"], name="t", actor=None)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{API}/residents/{world.planted.pk}/unmask", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200


# --- organisations ------------------------------------------------------------------------


def test_organisation_list_filters_by_kind_and_parent(world, client):
    c = as_(client, world, "street_officer")
    assert body(c.get(f"{API}/organisations"))["count"] == 10
    grids = body(c.get(f"{API}/organisations", {"kind": "grid"}))
    assert ids(grids) == [world.grid_a.pk, world.grid_b.pk, world.grid_c.pk]
    under_c1 = body(c.get(f"{API}/organisations", {"parent": world.community_1.pk}))
    assert sorted(o["name"] for o in under_c1["items"]) == sorted(
        ["清华东路第一网格", "清华东路第二网格", "清华东路社区党委"]
    )
    page = body(c.get(f"{API}/organisations", {"limit": 2, "offset": 1}))
    assert page["count"] == 10 and len(page["items"]) == 2


def test_organisation_detail_has_subtree_counts(world, client):
    c = as_(client, world, "street_officer")
    street = body(c.get(f"{API}/organisations/{world.street.pk}"))
    assert street["name"] == "学院路街道"
    assert street["kind"] == "street" and street["kind_label"] == "街道"
    assert street["code"] == "T-STREET" and street["parent"] is None and street["depth"] == 0
    assert street["counts"] == {
        "communities": 2,
        "grids": 3,
        "grids_with_branch": 1,
        "grids_without_branch": 2,
        "buildings": 3,
        "households": 4,
        "households_linked": 1,
        "residents": 4,
        "residents_by_type": {"registered": 2, "floating": 1, "tenant": 1},
        "party_members": 1,
        "party_organisations": 3,
        "party_branches": 1,
        "central_households": 1,
    }
    grid_b = body(c.get(f"{API}/organisations/{world.grid_b.pk}"))["counts"]
    assert (grid_b["grids"], grid_b["grids_with_branch"], grid_b["residents"]) == (1, 0, 1)
    assert grid_b["residents_by_type"] == {"registered": 0, "floating": 0, "tenant": 1}


def test_organisation_children_are_the_visible_children(world, client):
    c = as_(client, world, "community_officer")
    page = body(c.get(f"{API}/organisations/{world.grid_a.pk}/children"))
    assert sorted(o["name"] for o in page["items"]) == [
        "李建国党员中心户",
        "清华东路第一网格党支部",
    ]
    assert page["items"][0]["parent"] == world.grid_a.pk
    grids = body(c.get(f"{API}/grids"))
    assert ids(grids) == [world.grid_a.pk, world.grid_b.pk] and grids["count"] == 2


# --- places -----------------------------------------------------------------------------


def test_building_list_and_detail(world, client):
    compound = Compound.objects.create(name="静淑苑", community=world.community_1)
    world.building_a.compound = compound
    world.building_a.save(update_fields=["compound"])
    c = as_(client, world, "community_officer")
    page = body(c.get(f"{API}/buildings"))
    assert ids(page) == [world.building_a.pk, world.building_b.pk]
    assert ids(body(c.get(f"{API}/buildings", {"grid": world.grid_b.pk}))) == [world.building_b.pk]
    assert ids(body(c.get(f"{API}/buildings", {"compound": compound.pk}))) == [world.building_a.pk]
    detail = body(c.get(f"{API}/buildings/{world.building_a.pk}"))
    unit = Unit.objects.get(building=world.building_a)
    assert detail == {
        "id": world.building_a.pk,
        "name": "静淑苑1号楼",
        "address": "北京市海淀区静淑苑1号楼",
        "grid": {"id": world.grid_a.pk, "name": "清华东路第一网格"},
        "compound": {"id": compound.pk, "name": "静淑苑"},
        "use": "residential",
        "floors": None,
        "lat": None,
        "lon": None,
        "units": [{"id": unit.pk, "number": "1单元", "households": 2}],
    }


def test_household_list_and_detail(world, client):
    c = as_(client, world, "grid_worker_a")
    page = body(c.get(f"{API}/households"))
    assert ids(page) == [world.household_a.pk, world.household_a2.pk] and page["count"] == 2
    by_grid = body(c.get(f"{API}/households", {"grid": world.grid_b.pk}))
    assert by_grid == {"items": [], "count": 0}
    detail = body(c.get(f"{API}/households/{world.household_a.pk}"))
    assert detail["address"] == "静淑苑1号楼1单元101室"
    assert detail["building"] == {"id": world.building_a.pk, "name": "静淑苑1号楼"}
    assert (detail["unit"], detail["room"], detail["tenure"]) == ("1单元", "101", "owner")
    assert detail["grid"] == {"id": world.grid_a.pk, "name": "清华东路第一网格"}
    assert [r["name"] for r in detail["residents"]] == ["王芳"]
    assert detail["residents"][0]["id_card"] == MASKED_ID


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
        ({"building": 1, "unit": "1单元\x00", "room": "9"}, 422),
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


# --- residents ----------------------------------------------------------------------------


def test_resident_detail_is_masked_with_tag_labels(world, client):
    c = as_(client, world, "grid_worker_a")
    assert body(c.get(f"{API}/residents/{world.planted.pk}")) == {
        "id": world.planted.pk,
        "name": "王芳",
        "gender": "F",
        "birth_date": "1985-03-07",
        "household": world.household_a.pk,
        "address": "静淑苑1号楼1单元101室",
        "grid": world.grid_a.pk,
        "residence_type": "registered",
        "relation": "head",
        "id_card": MASKED_ID,
        "phone": MASKED_PHONE,
        "tags": [{"code": "elderly_alone", "label": "独居老人"}],
        "note": "",
    }


def test_resident_list_filters(world, client):
    c = as_(client, world, "street_officer")
    everyone = body(c.get(f"{API}/residents"))
    assert everyone["count"] == 4
    assert {r["phone"] for r in everyone["items"]} == {
        MASKED_PHONE,
        "138****0017",
        "137****0035",
        "",
    }
    pick = {
        "household": (world.household_b.pk, [world.resident_b.pk]),
        "grid": (world.grid_c.pk, [world.resident_c.pk]),
        "residence_type": ("registered", [world.planted.pk, world.member.resident.pk]),
        "q": ("zhangwei", [world.resident_b.pk]),  # pinyin finds 張偉
    }
    for name, (value, expected) in pick.items():
        assert ids(body(c.get(f"{API}/residents", {name: value}))) == expected, name
    tail = body(c.get(f"{API}/residents", {"q": "5678"}))
    assert ids(tail) == [world.planted.pk]
    combined = body(c.get(f"{API}/residents", {"q": "静淑苑", "residence_type": "tenant"}))
    assert combined == {"items": [], "count": 0}


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
    assert created["name"] == "李小红" and created["birth_date"] == "2010-01-01"
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


def _resident_payload(world: Any, **changes: Any) -> dict[str, Any]:
    payload = {"household": world.household_a.pk, "name": "新居民", "residence_type": "registered"}
    payload.update(changes)
    return payload


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
    ({"name": "王\x00芳"}, 422),
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
        f"{API}/residents", _resident_payload(world, **changes), content_type="application/json"
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


@pytest.mark.parametrize(
    "path",
    [
        "/residents/abc",
        "/residents/0",
        "/residents/99999999999999999999",
        "/residents?grid=x",
        "/residents?grid=99999999999999999999",
        "/residents?residence_type=x",
        "/residents?limit=0",
        "/residents?limit=100000",
        "/residents?offset=99999999999999999999",
        "/residents?q=%00",
        "/organisations?kind=planet",
        "/party-members?in_service=perhaps",
        "/search",
        "/search?q=",
    ],
)
def test_malformed_query_and_path_values_are_422_json(world, client, path):
    response = as_(client, world, "street_officer").get(f"{API}{path}")
    assert response.status_code == 422, response.content
    assert body(response)["error"] == "invalid"


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
        assert body(response) == {"id_card": PLANTED_ID_CARD, "phone": PLANTED_PHONE}
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


def _every_read_url(world: Any) -> list[str]:
    w = world
    urls = [
        "/organisations",
        "/grids",
        "/buildings",
        "/households",
        "/residents",
        "/party-members",
        f"/residents?q={PLANTED_ID_CARD}",
        f"/residents?q={PLANTED_PHONE}",
        "/residents?q=5678",
        "/residents?q=wangfang",
        f"/search?q={PLANTED_ID_CARD}",
        f"/search?q={PLANTED_PHONE}",
        "/search?q=王芳",
        "/search?q=静淑苑",
    ]
    orgs = [w.street, w.community_1, w.community_2, w.grid_a, w.grid_b, w.grid_c, w.branch_a]
    urls += [f"/organisations/{o.pk}" for o in orgs]
    urls += [f"/organisations/{o.pk}/children" for o in orgs]
    urls += [f"/buildings/{b.pk}" for b in (w.building_a, w.building_b, w.building_c)]
    households = (w.household_a, w.household_a2, w.household_b, w.household_c)
    urls += [f"/households/{h.pk}" for h in households]
    residents = (w.planted, w.member.resident, w.resident_b, w.resident_c)
    urls += [f"/residents/{r.pk}" for r in residents]
    urls += [f"/party-members/{w.member.pk}"]
    return urls


def test_planted_numbers_never_appear_outside_the_unmask_endpoint(world):
    leaks = []
    for persona, user in world.personas.items():
        client = Client()
        client.force_login(user)
        for url in _every_read_url(world):
            response = client.get(f"{API}{url}")
            assert response.status_code in (200, 404), (persona, url, response.status_code)
            text = response.content.decode()
            if PLANTED_ID_CARD in text or PLANTED_PHONE in text:
                leaks.append((persona, url))
        # Writes answer masked too (whether allowed, denied or refused).
        writes = [
            client.patch(
                f"{API}/residents/{world.planted.pk}",
                {"note": persona},
                content_type="application/json",
            ),
            client.patch(
                f"{API}/residents/{world.planted.pk}",
                {"phone": PLANTED_PHONE, "id_card": PLANTED_ID_CARD},
                content_type="application/json",
            ),
            client.post(
                f"{API}/residents",
                _resident_payload(world, id_card=PLANTED_ID_CARD, phone=PLANTED_PHONE),
                content_type="application/json",
            ),
            client.post(
                f"{API}/households/{world.household_a.pk}/move",
                {"building": world.building_a.pk, "unit": "1单元", "room": "101"},
                content_type="application/json",
            ),
        ]
        for response in writes:
            text = response.content.decode()
            if PLANTED_ID_CARD in text or PLANTED_PHONE in text:
                leaks.append((persona, response.request["PATH_INFO"]))
    assert leaks == []
    assert not AuditEntry.objects.filter(action="unmask").exists()


# --- party members and search -----------------------------------------------------------


def test_party_member_list_and_detail(world, client):
    c = as_(client, world, "community_officer")
    expected = {
        "id": world.member.pk,
        "resident": {"id": world.member.resident.pk, "name": "李建国"},
        "status": "formal",
        "status_label": "正式党员",
        "organisation": {"id": world.branch_a.pk, "name": "清华东路第一网格党支部"},
        "external_organisation": "",
        "joined_on": "1985-07-01",
        "in_service": False,
        "work_unit": "",
        "reported_community": None,
        "reported_on": None,
        "mobile": False,
    }
    assert body(c.get(f"{API}/party-members")) == {"items": [expected], "count": 1}
    assert body(c.get(f"{API}/party-members/{world.member.pk}")) == expected
    for filters in ({"status": "probationary"}, {"in_service": "true"}, {"organisation": 1}):
        assert body(c.get(f"{API}/party-members", filters))["count"] == 0, filters
    for filters in (
        {"status": "formal"},
        {"in_service": "false"},
        {"organisation": world.branch_a.pk},
    ):
        assert body(c.get(f"{API}/party-members", filters))["count"] == 1, filters


def test_search_finds_residents_buildings_compounds_and_organisations(world, client):
    Compound.objects.create(
        name="静淑苑", community=world.community_1, search_text="静淑苑 | jingshuyuan | jsy"
    )
    c = as_(client, world, "community_officer")
    found = body(c.get(f"{API}/search", {"q": "jsy"}))
    assert [r["name"] for r in found["residents"]] == ["王芳", "李建国"]
    assert found["residents"][0]["id_card"] == MASKED_ID
    assert [b["name"] for b in found["buildings"]] == ["静淑苑1号楼"]
    assert [x["name"] for x in found["compounds"]] == ["静淑苑"]
    assert found["organisations"] == [] and found["total"] == 4
    grids = body(c.get(f"{API}/search", {"q": "網格"}))  # traditional script
    assert sorted(o["name"] for o in grids["organisations"]) == [
        "清华东路第一网格",
        "清华东路第一网格党支部",
        "清华东路第二网格",
    ]
    blank = body(c.get(f"{API}/search", {"q": "  "}))
    assert blank == {
        "residents": [],
        "buildings": [],
        "compounds": [],
        "organisations": [],
        "total": 0,
    }
    by_number = body(c.get(f"{API}/search", {"q": PLANTED_PHONE}))
    assert [r["id"] for r in by_number["residents"]] == [world.planted.pk]
    assert by_number["total"] == 1


def test_the_admins_do_not_read_the_resident_ledger(world, client):
    # 三员分立: their roles hold the whole tree for other duties, not the ledger.
    for persona in ("audit_admin", "security_admin", "system_admin"):
        c = as_(Client(), world, persona)
        assert body(c.get(f"{API}/residents"))["count"] == 0, persona
        assert body(c.get(f"{API}/households"))["count"] == 0, persona
        assert body(c.get(f"{API}/search", {"q": "王芳"}))["residents"] == [], persona
        assert c.get(f"{API}/residents/{world.planted.pk}").status_code == 404, persona


def test_schema_codes_match_the_model_choices():
    def codes(literal: Any) -> set[str]:
        return set(literal.__args__)

    assert codes(schemas.KindCode) == set(Kind.values)
    assert codes(schemas.ResidenceTypeCode) == set(ResidenceType.values)
    assert codes(schemas.RelationCode) == set(Relation.values)
    assert codes(schemas.GenderCode) == {*Gender.values, ""}
    assert codes(schemas.PartyStatusCode) == set(PartyStatus.values)
    assert codes(schemas.TagCode) == set(TAG_LABELS)
