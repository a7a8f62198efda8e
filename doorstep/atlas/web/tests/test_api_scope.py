"""The data-scope matrix for the JSON API: every persona × every endpoint.

Each list holds exactly the persona's in-scope set; each object outside it answers 404
(never 403 with its data); a write the role may not make answers 403 and changes nothing.
A walk over the OpenAPI document makes sure a new endpoint cannot escape this matrix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.api import api
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import Resident
from doorstep.atlas.places.models import Compound, Household, Unit
from doorstep.core.models import AuditEntry

PERSONAS = [
    "grid_worker_a",
    "grid_worker_b",
    "grid_leader_a",
    "community_officer",
    "street_officer",
    "party_member",
    "resident",
    "outsider",
]
# Which write permissions each persona's role holds (from accounts/roles.py).
WRITERS = {
    "people.add_resident": {"grid_worker_a", "grid_worker_b", "grid_leader_a", "community_officer"},
    "people.change_resident": {
        "grid_worker_a",
        "grid_worker_b",
        "grid_leader_a",
        "community_officer",
    },
    "places.change_household": {
        "grid_worker_a",
        "grid_worker_b",
        "grid_leader_a",
        "community_officer",
    },
    "people.unmask_personal_data": {"grid_leader_a", "community_officer"},
}


@pytest.fixture
def scoped(world):
    """The persona world plus a compound (静淑苑, community 1) holding building A."""
    compound = Compound.objects.create(
        name="静淑苑", community=world.community_1, search_text="静淑苑 | jingshuyuan | jsy"
    )
    world.building_a.compound = compound
    world.building_a.save(update_fields=["compound"])
    world.compound = compound
    return world


def expected(w: Any) -> dict[str, dict[str, set[int]]]:
    """What each persona may see, written out by hand from the world's layout."""
    central = Organisation.objects.get(kind="central_household").pk
    committee = Organisation.objects.get(kind="working_committee").pk
    c1_party = Organisation.objects.get(kind="party_committee").pk
    grid_a_orgs = {w.grid_a.pk, w.branch_a.pk, central}
    all_orgs = grid_a_orgs | {
        w.street.pk,
        w.community_1.pk,
        w.community_2.pk,
        w.grid_b.pk,
        w.grid_c.pk,
        committee,
        c1_party,
    }
    hh_a = {w.household_a.pk, w.household_a2.pk}
    res_a = {w.planted.pk, w.member.resident.pk}
    grid_a = {
        "org": grid_a_orgs,
        "grid": {w.grid_a.pk},
        # The compound belongs to the community, but building A stands in it: seen.
        "compound": {w.compound.pk},
        "building": {w.building_a.pk},
        "household": hh_a,
        "resident": res_a,
        "party_member": {w.member.pk},
    }
    nothing = {k: set() for k in grid_a}
    return {
        "grid_worker_a": grid_a,
        "grid_leader_a": grid_a,
        "grid_worker_b": {
            **nothing,
            "org": {w.grid_b.pk},
            "grid": {w.grid_b.pk},
            "building": {w.building_b.pk},
            "household": {w.household_b.pk},
            "resident": {w.resident_b.pk},
        },
        "community_officer": {
            "org": grid_a_orgs | {w.community_1.pk, c1_party, w.grid_b.pk},
            "grid": {w.grid_a.pk, w.grid_b.pk},
            "compound": {w.compound.pk},
            "building": {w.building_a.pk, w.building_b.pk},
            "household": hh_a | {w.household_b.pk},
            "resident": res_a | {w.resident_b.pk},
            "party_member": {w.member.pk},
        },
        "street_officer": {
            "org": all_orgs,
            "grid": {w.grid_a.pk, w.grid_b.pk, w.grid_c.pk},
            "compound": {w.compound.pk},
            "building": {w.building_a.pk, w.building_b.pk, w.building_c.pk},
            "household": hh_a | {w.household_b.pk, w.household_c.pk},
            "resident": res_a | {w.resident_b.pk, w.resident_c.pk},
            "party_member": {w.member.pk},
        },
        # Their own record, and the households their central household keeps in touch with.
        "party_member": {
            **nothing,
            "household": hh_a,
            "resident": res_a,
            "party_member": {w.member.pk},
        },
        # Themselves and their own home.
        "resident": {**nothing, "resident": {w.planted.pk}, "household": {w.household_a.pk}},
        "outsider": nothing,
    }


def every(w: Any, kind: str) -> set[int]:
    return expected(w)["street_officer"][kind]


def get_json(client: Any, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.content[:200])
    return json.loads(response.content)


def listed(client: Any, url: str) -> set[int]:
    page = get_json(client, url + ("&" if "?" in url else "?") + "limit=500")
    found = [item["id"] for item in page["items"]]
    assert page["count"] == len(found) == len(set(found)), url
    return set(found)


def snapshot() -> tuple[Any, ...]:
    """Everything a write could change, to show a refused one changed nothing."""
    return (
        list(Resident.objects.order_by("id").values_list("id", "name", "note", "grid_id")),
        list(Household.objects.order_by("id").values_list("id", "unit_id", "room", "grid_id")),
        Unit.objects.count(),
        AuditEntry.objects.count(),
    )


# --- cases: one per (method, path) of the API ---------------------------------------------


def _list(kind: str, url: str) -> Callable[..., None]:
    def case(client: Any, w: Any, persona: str, exp: dict[str, set[int]]) -> None:
        assert listed(client, url) == exp[kind]

    return case


def _detail(kind: str, url: str) -> Callable[..., None]:
    def case(client: Any, w: Any, persona: str, exp: dict[str, set[int]]) -> None:
        for pk in every(w, kind):
            if pk in exp[kind]:
                assert get_json(client, url.format(id=pk))["id"] == pk
            else:
                assert get_json(client, url.format(id=pk), 404)["error"] == "not_found"

    return case


def _children(client: Any, w: Any, persona: str, exp: dict[str, set[int]]) -> None:
    for org in Organisation.objects.all():
        url = f"/api/organisations/{org.pk}/children"
        if org.pk in exp["org"]:
            kids = set(org.children.values_list("id", flat=True))
            assert listed(client, url) == kids & exp["org"], org.name
        else:
            assert get_json(client, url, 404)["error"] == "not_found"


def _search(client: Any, w: Any, persona: str, exp: dict[str, set[int]]) -> None:
    def found(q: str, key: str) -> set[int]:
        return {x["id"] for x in get_json(client, f"/api/search?q={q}")[key]}

    # Every building is a 号楼, every resident lives in one; 网格 names the grids and branch A.
    assert found("号楼", "buildings") == exp["building"]
    assert found("号楼", "residents") == exp["resident"]
    assert found("网格", "organisations") == exp["org"] & {
        w.grid_a.pk,
        w.grid_b.pk,
        w.grid_c.pk,
        w.branch_a.pk,
    }
    assert found("静淑苑", "compounds") == exp["compound"]


def _refused(client: Any, send: Callable[[], Any], status: int) -> None:
    before = snapshot()
    response = send()
    assert response.status_code == status, response.content[:200]
    assert json.loads(response.content)["error"] == {403: "forbidden", 404: "not_found"}.get(
        status, "invalid"
    )
    assert snapshot() == before


def _write_on(kind: str, perm: str, send: Callable[..., Any], ok: int) -> Callable[..., None]:
    """A write on each object of `kind`: done in scope, 404 outside, 403 without `perm`."""

    def case(client: Any, w: Any, persona: str, exp: dict[str, set[int]]) -> None:
        for pk in sorted(every(w, kind)):
            if persona not in WRITERS[perm]:
                _refused(client, lambda pk=pk: send(client, pk), 403)
            elif pk not in exp[kind]:
                _refused(client, lambda pk=pk: send(client, pk), 404)
            else:
                response = send(client, pk)
                assert response.status_code == ok, response.content[:200]

    return case


def _move(client: Any, pk: int) -> Any:
    # In place: same building, unit and room — a real move that leaves the world as it was.
    h = Household.objects.select_related("unit").get(pk=pk)
    payload = {"building": h.unit.building_id, "unit": h.unit.number, "room": h.room}
    return client.post(f"/api/households/{pk}/move", payload, content_type="application/json")


def _patch(client: Any, pk: int) -> Any:
    return client.patch(f"/api/residents/{pk}", {"note": "已走访"}, content_type="application/json")


def _unmask(client: Any, pk: int) -> Any:
    return client.post(f"/api/residents/{pk}/unmask")


def _create(client: Any, w: Any, persona: str, exp: dict[str, set[int]]) -> None:
    """新增居民 into each household: 201 in scope, 400 outside (the body names it), 403."""
    for pk in sorted(every(w, "household")):

        def send(pk: int = pk) -> Any:
            payload = {"household": pk, "name": "新居民", "residence_type": "floating"}
            return client.post("/api/residents", payload, content_type="application/json")

        if persona not in WRITERS["people.add_resident"]:
            _refused(client, send, 403)
        elif pk not in exp["household"]:
            _refused(client, send, 400)
        else:
            response = send()
            assert response.status_code == 201, response.content[:200]
            assert Resident.objects.get(pk=json.loads(response.content)["id"]).household_id == pk


def _by_number(url: str, key: str) -> Callable[..., None]:
    """A full ID or phone number, in the body: found exactly when its resident is in scope."""

    def case(client: Any, w: Any, persona: str, exp: dict[str, set[int]]) -> None:
        people = Resident.objects.exclude(id_card_hash=None).order_by("id")
        assert people.count() >= 4
        for r in people:
            for number in filter(None, (r.id_card, r.phone)):
                response = client.post(url, {"q": number}, "application/json")
                assert response.status_code == 200, response.content[:200]
                got = {x["id"] for x in json.loads(response.content)[key]}
                assert got == ({r.pk} & exp["resident"]), (r.name, number[-4:])

    return case


CASES: dict[tuple[str, str], Callable[..., None]] = {
    ("get", "/api/organisations"): _list("org", "/api/organisations"),
    ("get", "/api/organisations/{id}"): _detail("org", "/api/organisations/{id}"),
    ("get", "/api/organisations/{id}/children"): _children,
    ("get", "/api/grids"): _list("grid", "/api/grids"),
    ("get", "/api/buildings"): _list("building", "/api/buildings"),
    ("get", "/api/buildings/{id}"): _detail("building", "/api/buildings/{id}"),
    ("get", "/api/households"): _list("household", "/api/households"),
    ("get", "/api/households/{id}"): _detail("household", "/api/households/{id}"),
    ("post", "/api/households/{id}/move"): _write_on(
        "household", "places.change_household", _move, 200
    ),
    ("get", "/api/residents"): _list("resident", "/api/residents"),
    ("post", "/api/residents"): _create,
    ("get", "/api/residents/{id}"): _detail("resident", "/api/residents/{id}"),
    ("patch", "/api/residents/{id}"): _write_on("resident", "people.change_resident", _patch, 200),
    ("post", "/api/residents/{id}/unmask"): _write_on(
        "resident", "people.unmask_personal_data", _unmask, 200
    ),
    ("get", "/api/party-members"): _list("party_member", "/api/party-members"),
    ("get", "/api/party-members/{id}"): _detail("party_member", "/api/party-members/{id}"),
    ("get", "/api/search"): _search,
    ("post", "/api/search"): _by_number("/api/search", "residents"),
    ("post", "/api/residents/search"): _by_number("/api/residents/search", "items"),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", sorted(CASES), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_sees_exactly_its_scope(scoped, client, endpoint, persona):
    client.force_login(scoped.personas[persona])
    CASES[endpoint](client, scoped, persona, expected(scoped)[persona])


def test_every_api_operation_is_in_the_scope_matrix():
    # The cases API (tag "cases") has its own matrix in doorstep/cases/web/tests/test_api_scope_cases.py,
    # sites, bookings and activities (tag "nearby") theirs in
    # doorstep/nearby/web/tests/test_api_scope_places.py, the cockpit (tag "cockpit") in
    # doorstep/cockpit/tests/test_cockpit_scope.py, co-governance (tag "cogov") in
    # doorstep/cogov/web/tests/test_api_scope_cogov.py, owners' votes (tag "deliberation") in
    # doorstep/deliberation/web/tests/test_api_scope_votes.py.
    paths = api.get_openapi_schema()["paths"]
    operations = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if not {"cases", "nearby", "cockpit", "cogov", "deliberation"} & set(op.get("tags", []))
    }
    assert operations == set(CASES), "add a scope case for each new endpoint"


def test_the_expected_sets_match_the_world(scoped):
    # The hand-written sets above must name every object of the world exactly once.
    assert every(scoped, "org") == set(Organisation.objects.values_list("id", flat=True))
    assert every(scoped, "household") == set(Household.objects.values_list("id", flat=True))
    assert every(scoped, "resident") == set(Resident.objects.values_list("id", flat=True))
    assert every(scoped, "compound") == {scoped.compound.pk}
