"""The filing form's building picker and category cascade are kept in the figure cache
(views_common.buildings_for, category_picker.kept_cascade): a building added to the
street, a category renamed or retired show at once. The writes commit
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


def _categories(client, **post) -> dict[str, str]:
    page = (client.post if post else client.get)(reverse("desk:new"), post).content.decode()
    return dict(
        re.findall(
            r'<input type="radio" name="category" value="(\d+)"(?: checked)?> ([^<]*)</label>', page
        )
    )


def test_a_category_renamed_or_retired_shows_at_once(cw, client):
    from doorstep.cases.models import Category

    client.force_login(cw.personas["resident"])
    before = _categories(client)
    assert before[str(cw.repair.pk)] == cw.repair.name
    assert _categories(client) == before
    Category.objects.filter(pk=cw.repair.pk).update(name="公共设施报修")
    assert _categories(client)[str(cw.repair.pk)] == "公共设施报修"
    Category.objects.filter(pk=cw.repair.pk).update(active=False)
    assert str(cw.repair.pk) not in _categories(client)


def test_a_refused_form_keeps_the_chosen_category(cw, client):
    client.force_login(cw.personas["resident"])
    page = client.post(reverse("desk:new"), {"category": str(cw.repair.pk)}).content.decode()
    assert f'name="category" value="{cw.repair.pk}" checked>' in page
    blank = client.get(reverse("desk:new")).content.decode()  # the blank form's own entry
    assert f'name="category" value="{cw.repair.pk}" checked>' not in blank
