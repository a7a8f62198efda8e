"""The data-scope matrix for pages: every persona × every object page of the map.

Each persona sees exactly its subtree; an object outside it answers 404 (never its data);
a page the role may not use at all answers 403. A walk over the URL patterns makes sure a
new page cannot escape this matrix.
"""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

PERSONAS = [
    "grid_worker_a",
    "grid_worker_b",
    "grid_leader_a",
    "community_officer",
    "street_officer",
    "party_member",
    "resident",
    "outsider",
    "system_admin",
    "security_admin",
    "audit_admin",
]


def visible(world) -> dict[str, dict[str, set]]:
    """What each persona may see, written out by hand from the world's layout."""
    w = world
    central = w.grid_a.children.get(kind="central_household")
    orgs_all = {w.street, w.community_1, w.community_2, w.grid_a, w.grid_b, w.grid_c, w.branch_a}
    grid_a_orgs = {w.grid_a, w.branch_a, central}
    hh_a = {w.household_a, w.household_a2}
    res_a = {w.planted, w.member.resident}
    result = {
        "grid_worker_a": {
            "org": grid_a_orgs,
            "building": {w.building_a},
            "household": hh_a,
            "resident": res_a,
        },
        "grid_leader_a": {
            "org": grid_a_orgs,
            "building": {w.building_a},
            "household": hh_a,
            "resident": res_a,
        },
        "grid_worker_b": {
            "org": {w.grid_b},
            "building": {w.building_b},
            "household": {w.household_b},
            "resident": {w.resident_b},
        },
        "community_officer": {
            "org": {w.community_1, w.grid_b, w.community_1.children.get(kind="party_committee")}
            | grid_a_orgs,
            "building": {w.building_a, w.building_b},
            "household": hh_a | {w.household_b},
            "resident": res_a | {w.resident_b},
        },
        "street_officer": {
            "org": orgs_all
            | {
                central,
                w.street.children.get(kind="working_committee"),
                w.community_1.children.get(kind="party_committee"),
            },
            "building": {w.building_a, w.building_b, w.building_c},
            "household": hh_a | {w.household_b, w.household_c},
            "resident": res_a | {w.resident_b, w.resident_c},
        },
        # A party member sees their own record and the households they keep in touch with.
        "party_member": {"org": set(), "building": set(), "household": hh_a, "resident": res_a},
        "resident": {
            "org": set(),
            "building": set(),
            "household": {w.household_a},
            "resident": {w.planted},
        },
        "outsider": {"org": set(), "building": set(), "household": set(), "resident": set()},
    }
    # The three admins hold ALL scope; their permissions, not their scope, keep them out of
    # personal data (三员分立): the matrix expects 403 wherever they lack the view permission.
    for admin in ("system_admin", "security_admin", "audit_admin"):
        result[admin] = result["street_officer"]
    return result


# Every object page of the map: url name -> (object kind, HTTP method, permission needed).
OBJECT_PAGES = {
    "atlas:organisation": ("org", "get", "organisations.view_organisation"),
    "atlas:tree_children": ("org", "get", "organisations.view_organisation"),
    "atlas:building": ("building", "get", "places.view_building"),
    "atlas:household": ("household", "get", "places.view_household"),
    "atlas:household_move": ("household", "get", "places.change_household"),
    "atlas:resident_create": ("household", "get", "people.add_resident"),
    "atlas:resident": ("resident", "get", "people.view_resident"),
    "atlas:resident_edit": ("resident", "get", "people.change_resident"),
    "atlas:resident_unmask": ("resident", "post", "people.unmask_personal_data"),
    "atlas:resident_delete": ("resident", "post", "people.delete_resident"),
}
# Pages without an object id, each covered by its own test below or in the ledger tests.
LIST_PAGES = {
    "atlas:tree",
    "atlas:search",
    "atlas:party_members",
    "atlas:audit",
    "atlas:ledger",
    "atlas:ledger_template",
    "atlas:ledger_import",
    "atlas:ledger_import_result",
    "atlas:ledger_export",
    "atlas:ledger_export_job",  # atlas/web/tests/test_ledger_export_jobs.py
    "atlas:ledger_export_download",
    "atlas:conflicts",  # atlas/people/tests/test_conflicts.py
    "atlas:conflict_resolve",
    "atlas:basemap",  # public geography for any signed-in user: places/tests/test_basemap.py
}


def _objects(world, kind: str) -> list:
    every = visible(world)["street_officer"][kind]
    return sorted(every, key=lambda o: (type(o).__name__, o.pk))


def test_every_atlas_url_is_in_the_scope_matrix():
    names = {
        f"atlas:{p.name}"
        for p in get_resolver().url_patterns
        if getattr(p, "namespace", None) == "atlas"
        for p in p.url_patterns
    }
    assert names, "no atlas urls found"
    missing = names - set(OBJECT_PAGES) - LIST_PAGES
    assert not missing, f"pages not covered by the scope matrix: {sorted(missing)}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", sorted(OBJECT_PAGES))
def test_object_pages_show_exactly_the_personas_subtree(world, client, persona, page):
    kind, method, perm = OBJECT_PAGES[page]
    user = world.personas[persona]
    client.force_login(user)
    allowed = visible(world)[persona][kind]
    for obj in _objects(world, kind):
        response = getattr(client, method)(reverse(page, args=[obj.pk]))
        if perm and not user.has_perm(perm):
            expected = 403
        elif obj in allowed:
            expected = 302 if page == "atlas:resident_delete" else 200
        else:
            expected = 404
        assert response.status_code == expected, (persona, page, str(obj), response.status_code)
        if expected != 200:  # the refusal's content (the header names the user, who may be obj)
            assert str(obj) not in response.content.decode().partition("<main>")[2]


def test_anonymous_visitors_are_sent_to_login(world, client):
    for page in OBJECT_PAGES:
        response = client.get(reverse(page, args=[world.planted.pk]))
        assert response.status_code in {302, 405}
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_tree_starts_at_the_personas_scope(world, client, persona):
    client.force_login(world.personas[persona])
    body = client.get(reverse("atlas:tree")).content.decode()
    roots = {
        "system_admin": world.street,
        "security_admin": world.street,
        "grid_worker_a": world.grid_a,
        "grid_leader_a": world.grid_a,
        "grid_worker_b": world.grid_b,
        "community_officer": world.community_1,
        "street_officer": world.street,
    }
    if persona in roots:
        root = roots[persona]
        assert f'id="node-{root.pk}"' in body
        assert body.count('class="card"') == 1
    else:
        assert "没有可查看的组织范围" in body
    others = {
        world.street,
        world.community_1,
        world.community_2,
        world.grid_a,
        world.grid_b,
        world.grid_c,
    }
    for org in others - visible(world)[persona]["org"]:
        assert f'id="node-{org.pk}"' not in body


@pytest.mark.parametrize("persona", PERSONAS)
def test_party_member_list_is_scoped(world, client, persona):
    user = world.personas[persona]
    client.force_login(user)
    response = client.get(reverse("atlas:party_members"))
    if not user.has_perm("people.view_partymember"):
        assert response.status_code == 403
        return
    body = response.content.decode()
    member_visible = world.member.resident in visible(world)[persona]["resident"]
    assert ("李建国" in body) is member_visible
