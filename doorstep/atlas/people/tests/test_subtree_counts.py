"""subtree_counts: the tree's figures read from the counters equal the ones counted from
the rows, and the party chain is walked by the database — once per organisation, party
organisations only, a cycle ending the walk."""

from __future__ import annotations

import dataclasses

import pytest

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.queries import subtree_counts

pytestmark = pytest.mark.django_db


def _figures(counts):
    out = {f.name: getattr(counts, f.name) for f in dataclasses.fields(counts)}
    out["by_type"] = {k: v for k, v in counts.by_type.items() if v}
    return out


def test_counts_from_the_counters_equal_counts_from_the_rows(world):
    nodes = [world.street, *Organisation.objects.filter(parent=world.street)]
    nodes += list(Organisation.objects.filter(kind=Kind.GRID, path__startswith=world.street.path))
    counted = subtree_counts(world.street, nodes)
    read = subtree_counts(world.street, nodes, from_counters=True)
    for node in nodes:
        assert _figures(read[node.pk]) == _figures(counted[node.pk]), node
    street = read[world.street.pk]
    assert (street.grids, street.buildings, street.communities) == (3, 3, 2)
    assert street.residents > 0 and street.party_members > 0


def test_the_party_chain_counts_each_party_organisation_once_and_ends_on_a_cycle(world):
    committee = world.street.children.get(kind=Kind.WORKING_COMMITTEE)
    before = subtree_counts(world.street, [committee])[committee.pk]
    assert (before.org_members, before.org_descendants) == (1, 2)
    # a central household under the grid branch's party link is not a party organisation
    central = world.grid_a.children.get(kind=Kind.CENTRAL_HOUSEHOLD)
    Organisation.objects.filter(pk=central.pk).update(party_parent=world.branch_a)
    # a data error: the committee made the child of the branch below it (a cycle)
    Organisation.objects.filter(pk=committee.pk).update(party_parent=world.branch_a)
    after = subtree_counts(world.street, [committee, world.branch_a])
    assert (after[committee.pk].org_members, after[committee.pk].org_descendants) == (1, 2)
    # from the branch the walk goes round once: committee, community committee, itself
    assert (after[world.branch_a.pk].org_members, after[world.branch_a.pk].org_descendants) == (
        1,
        2,
    )


def test_a_leaf_has_no_children_to_count_and_its_tree_opens(world, client):
    """Expanding a leaf of the tree asks for the counts of no node at all."""
    from django.urls import reverse

    assert subtree_counts(world.street, [], from_counters=True) == {}
    client.force_login(world.personas["street_officer"])
    leaf = world.branch_a
    assert not Organisation.objects.filter(parent=leaf).exists()
    assert client.get(reverse("atlas:tree_children", args=[leaf.pk])).status_code == 200
