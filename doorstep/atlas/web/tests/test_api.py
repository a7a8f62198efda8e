"""The JSON API on the persona world: each endpoint's answer, scope and masking on reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.people.models import (
    TAG_LABELS,
    Gender,
    PartyStatus,
    Relation,
    ResidenceType,
)
from doorstep.atlas.places.models import Compound, Unit
from doorstep.atlas.web import schemas
from doorstep.atlas.web.tests.api_helpers import (
    API,
    MASKED_ID,
    MASKED_PHONE,
    as_,
    body,
    ids,
    resident_payload,
)
from doorstep.core.models import AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE

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


# --- residents ----------------------------------------------------------------------------


def test_resident_detail_is_masked_with_tag_labels(world, client):
    c = as_(client, world, "grid_worker_a")
    assert body(c.get(f"{API}/residents/{world.planted.pk}")) == {
        "id": world.planted.pk,
        "name": "王芳",
        "gender": "F",
        "birth_year": 1985,  # the date is eight digits of the number: with the unmask only
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


# --- masking on every read ------------------------------------------------------------


def _every_read_url(world: Any) -> list[str]:
    w = world
    urls = [
        "/organisations",
        "/grids",
        "/buildings",
        "/households",
        "/residents",
        "/party-members",
        "/residents?q=5678",
        "/residents?q=wangfang",
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
        # Searches by a full number go in the body (finding 7): answered masked too.
        for url in ("/residents/search", "/search"):
            for number in (PLANTED_ID_CARD, PLANTED_PHONE):
                response = client.post(f"{API}{url}", {"q": number}, "application/json")
                assert response.status_code == 200, (persona, url, response.status_code)
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
                resident_payload(world, id_card=PLANTED_ID_CARD, phone=PLANTED_PHONE),
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
    by_number = body(c.post(f"{API}/search", {"q": PLANTED_PHONE}, "application/json"))
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
