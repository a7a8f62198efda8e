"""The tree (组织树) starts at the outermost nodes a user may see: one root per separate
part of their scope, never a node under another root."""

from __future__ import annotations

import pytest

from doorstep.core.testing import make_user

pytestmark = pytest.mark.django_db


def _roots(client, user) -> list[str]:
    client.force_login(user)
    response = client.get("/org/")
    assert response.status_code == 200
    return [org.name for org, _counts in response.context["rows"]]


def test_two_separate_grids_are_two_roots(world, client):
    user = make_user(
        "two_grids", "两个网格", ("grid_worker", world.grid_a), ("grid_worker", world.grid_c)
    )
    assert sorted(_roots(client, user)) == sorted([world.grid_a.name, world.grid_c.name])


def test_a_node_under_another_of_the_users_nodes_is_no_root(world, client):
    user = make_user(
        "street_and_grid",
        "街道兼网格",
        ("street_officer", world.street),
        ("grid_worker", world.grid_a),
    )
    assert _roots(client, user) == [world.street.name]
