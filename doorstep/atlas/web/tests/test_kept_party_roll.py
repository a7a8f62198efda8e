"""The party roll (党员名册) keeps each page's ids and its total in the figure cache
(core.paging.SortedIds): a kept page equals a freshly sorted one after a member joins and
after a member's status changes, a filter and a narrower scope each get their own list,
and a repeat sends neither the sort nor the count. The writes commit (transaction=True),
as in production."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from doorstep.atlas.people import households
from doorstep.atlas.people.models import PartyMember, PartyStatus, Resident
from doorstep.core.testing import id_sorts, kept_equals_fresh

pytestmark = pytest.mark.django_db(transaction=True)

ROW = re.compile(r'<tr><td><a href="/residents/(\d+)/">')
TOTAL = re.compile(r"共 (\d+) 人")


def _shown(client, url: str) -> tuple[int, list[int]]:
    """(the total the heading states, the members' residents on the page, in order)."""
    r = client.get(url)
    assert r.status_code == 200, url
    html = r.content.decode()
    return int(TOTAL.search(html).group(1)), [int(pk) for pk in ROW.findall(html)]


def _check(client, settings, url: str) -> tuple[int, list[int]]:
    return kept_equals_fresh(settings, lambda: _shown(client, url))


def test_the_kept_party_roll_follows_joins_and_status_changes(world, client, settings):
    client.force_login(world.personas["street_officer"])
    before = _check(client, settings, "/party/")
    assert before[0] == len(before[1]) >= 1
    _shown(client, "/party/")  # (a name's first computation only learns which tables it reads)
    with CaptureQueriesContext(connection) as warm:
        assert _shown(client, "/party/") == before
    assert id_sorts(warm, "people_partymember") == 0

    newcomer = Resident.objects.filter(grid=world.grid_a).exclude(pk__in=before[1])[0]
    member = households.save_party_member(
        member=PartyMember(
            resident=newcomer,
            organisation=world.member.organisation,
            status=PartyStatus.PROBATIONARY,
            joined_on=dt.date(2024, 7, 1),
        )
    )
    joined = _check(client, settings, "/party/")
    assert joined[0] == before[0] + 1 and newcomer.pk in joined[1]

    url = f"/party/?status={PartyStatus.PROBATIONARY}"
    probationary = _check(client, settings, url)
    assert probationary == (1, [newcomer.pk])
    _shown(client, url)
    member.status = PartyStatus.FORMAL
    households.save_party_member(member=member)
    assert _check(client, settings, url) == (0, [])


def test_a_narrower_scope_gets_its_own_kept_roll(world, client, settings):
    client.force_login(world.personas["street_officer"])
    street = _check(client, settings, "/party/")
    _shown(client, "/party/")
    client.force_login(world.personas["grid_worker_b"])
    grid_b = _check(client, settings, "/party/")
    assert grid_b != street
