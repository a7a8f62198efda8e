"""The cockpit's data scope: every persona × every administrative node, page and API; and
every cockpit API operation is in this matrix."""

from __future__ import annotations

import pytest

from config.api import api

pytestmark = pytest.mark.django_db

# persona → the nodes whose cockpit opens (by attribute of the world)
EXPECTED = {
    "street_officer": {"street", "community_1", "community_2", "grid_a", "grid_b", "grid_c"},
    "community_officer": {"community_1", "grid_a", "grid_b"},
    "grid_worker_a": {"grid_a"},
    "grid_leader_a": {"grid_a"},
    "party_member": set(),
    "resident": set(),
    "system_admin": {"street", "community_1", "community_2", "grid_a", "grid_b", "grid_c"},
}
NODES = ("street", "community_1", "community_2", "grid_a", "grid_b", "grid_c")


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_persona_opens_exactly_its_nodes(world, client, persona):
    client.force_login(world.personas[persona])
    for name in NODES:
        org = getattr(world, name)
        page = client.get(f"/cockpit/{org.pk}/").status_code
        data = client.get(f"/api/cockpit/{org.pk}").status_code
        want = 200 if name in EXPECTED[persona] else 404
        assert (page, data) == (want, want), (persona, name)


def test_every_cockpit_operation_is_in_this_matrix():
    paths = api.get_openapi_schema()["paths"]
    cockpit_ops = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "cockpit" in op.get("tags", [])
    }
    assert cockpit_ops == {("get", "/api/cockpit/{org_id}")}


def test_may_open_says_what_the_query_says_for_every_persona(cw, django_assert_num_queries):
    """The navigation's 驾驶舱 entry (cockpit.access.may_open) is decided from what the user
    holds where that settles it; for every persona — staff, liaisons at departments (a
    node role outside the administrative tree), SELF roles, the admins and someone with no
    role — it equals asking the database."""
    from doorstep.accounts.models import User
    from doorstep.cockpit import access

    assert {"liaison_city", "volunteer", "outsider", "system_admin"} <= set(cw.personas)
    answers = {}
    for name, persona in cw.personas.items():
        fresh = User.objects.get(pk=persona.pk)  # nothing held read yet
        expected = access._openable(User.objects.get(pk=persona.pk)).exists()
        answers[name] = access.may_open(fresh)
        assert answers[name] == expected, name
    assert answers["community_officer"] and not answers["resident"]
    assert not answers["liaison_city"] and not answers["outsider"]
    # A community officer's answer costs only the two queries of what they hold.
    officer = User.objects.get(pk=cw.personas["community_officer"].pk)
    with django_assert_num_queries(2):
        assert access.may_open(officer)
