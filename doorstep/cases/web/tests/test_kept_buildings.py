"""The filing form's building picker is kept in the figure cache (views_common.
buildings_for): a building added to the street is offered at once. The writes commit
(transaction=True), as in production."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from doorstep.atlas.places.models import Building

pytestmark = pytest.mark.django_db(transaction=True)


def _offered(client) -> dict[str, str]:
    page = client.get(reverse("desk:new")).content.decode()
    picker = re.search(r'<select name="building" id="id_building">(.*?)</select>', page, re.S)
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', picker.group(1))
    return {value: label for value, _sel, label in options if value}


def test_a_new_building_of_the_street_is_offered_at_once(cw, client):
    w = cw.world
    client.force_login(cw.personas["resident"])
    before = _offered(client)
    assert _offered(client) == before  # kept (a name's second computation keeps it)
    assert _offered(client) == before
    new = Building.objects.create(name="静淑苑12号楼", grid=w.grid_b, address="北京市海淀区")
    after = _offered(client)
    assert after == {**before, str(new.pk): f"静淑苑12号楼（{w.grid_b.name}）"}
    Building.objects.filter(pk=new.pk).update(name="静淑苑12号楼（新）")
    assert _offered(client)[str(new.pk)] == f"静淑苑12号楼（新）（{w.grid_b.name}）"
