"""The residents list behind a cockpit figure keeps each page's ids and its total in the
figure cache (drill.SortedIds): a kept page equals a freshly sorted one after each write
that changes it — a new resident, a renamed building that reorders the list, a changed
vulnerable-group tag — a viewer with a narrower scope gets their own list, and a repeat
sends neither the sort nor the count. The writes commit (transaction=True), as in
production."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from doorstep.atlas.people.models import ResidenceType, Resident
from doorstep.atlas.people.services import create_resident
from doorstep.atlas.places.models import Building
from doorstep.core.testing import id_sorts, kept_equals_fresh

pytestmark = pytest.mark.django_db(transaction=True)

ROW = re.compile(r'<tr><td><a href="/residents/(\d+)/">')
TOTAL = re.compile(r'data-total="(\d+)"')


def _shown(client, url: str) -> tuple[int, list[int]]:
    """(the total the heading states, the residents listed on the page, in order)."""
    r = client.get(url)
    assert r.status_code == 200, url
    html = r.content.decode()
    return int(TOTAL.search(html).group(1)), [int(pk) for pk in ROW.findall(html)]


def _check(client, settings, url: str) -> tuple[int, list[int]]:
    return kept_equals_fresh(settings, lambda: _shown(client, url))


def test_a_kept_residents_list_follows_every_write(world, client, settings):
    client.force_login(world.personas["street_officer"])
    url = f"/cockpit/{world.street.pk}/list/residents/"
    before = _check(client, settings, url)
    assert before[0] == len(before[1]) > 2
    _shown(client, url)  # (a name's first computation only learns which tables it reads)
    with CaptureQueriesContext(connection) as warm:
        assert _shown(client, url) == before
    assert id_sorts(warm, "people_resident") == 0

    home = Resident.objects.get(pk=before[1][0]).household
    added = create_resident(
        household=home, name="新来的", residence_type=ResidenceType.REGISTERED, actor=None
    )
    grown = _check(client, settings, url)
    assert grown[0] == before[0] + 1 and added.pk in grown[1]

    # The list is sorted by building name: renaming the last building moves its residents
    # to the front.
    last = Resident.objects.get(pk=grown[1][-1]).household.unit.building
    Building.objects.filter(pk=last.pk).update(name="0 号楼")
    reordered = _check(client, settings, url)
    assert reordered[0] == grown[0]
    first = Resident.objects.get(pk=reordered[1][0])
    assert first.household.unit.building_id == last.pk
    assert reordered[1] != grown[1]


def test_a_kept_tag_list_follows_a_changed_tag(world, client, settings):
    client.force_login(world.personas["street_officer"])
    url = f"/cockpit/{world.street.pk}/list/residents/?tag=disabled"
    before = _check(client, settings, url)
    _shown(client, url)
    outsider = Resident.objects.filter(grid__path__startswith=world.street.path).exclude(
        pk__in=before[1]
    )[0]
    Resident.objects.filter(pk=outsider.pk).update(tags=["disabled"])
    after = _check(client, settings, url)
    assert after[0] == before[0] + 1 and outsider.pk in after[1]


def test_each_node_and_viewer_gets_its_own_kept_list(world, client, settings):
    client.force_login(world.personas["street_officer"])
    street = _check(client, settings, f"/cockpit/{world.grid_a.pk}/list/residents/")
    _shown(client, f"/cockpit/{world.grid_a.pk}/list/residents/")
    other = _check(client, settings, f"/cockpit/{world.grid_b.pk}/list/residents/")
    assert other != street  # the same query but for the node's ids, which the key holds
    client.force_login(world.personas["grid_worker_a"])
    grid = _check(client, settings, f"/cockpit/{world.grid_a.pk}/list/residents/")
    assert grid == street  # the same rows, asked by a viewer who may see the grid
    client.force_login(world.personas["grid_worker_b"])
    assert client.get(f"/cockpit/{world.grid_a.pk}/list/residents/").status_code == 404
