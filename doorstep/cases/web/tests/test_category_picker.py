"""The category picker: the community's most used first, a type-ahead by name, 繁体,
pinyin or initials (leaves only, with their full path), and the three-level cascade."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from doorstep.cases import services
from doorstep.cases.locating import locate

pytestmark = pytest.mark.django_db


def found(client, q):
    body = client.get(reverse("desk:categories"), {"category_q": q}).content.decode()
    return re.findall(r'name="category" value="(\d+)"', body), body


def test_the_type_ahead_finds_leaves_by_name_traditional_pinyin_and_initials(cw, client):
    client.force_login(cw.personas["resident"])
    for q in ("物业报修", "物業報修", "wuyebaoxiu", "wybx"):
        ids, body = found(client, q)
        assert ids == [str(cw.repair.pk)], q
        assert "城乡建设 › 住房保障与房地产 › 物业报修" in body
    ids, _ = found(client, "城乡建设")  # a class is not a leaf: its leaves come back
    assert str(cw.repair.pk) in ids and str(cw.hazard.pk) in ids
    assert found(client, "\x01wy")[0] == [] and found(client, "没有这种分类")[0] == []


def test_the_communitys_most_used_come_first_and_the_cascade_holds_every_leaf(cw, client):
    p = cw.personas
    for _ in range(3):
        services.create_case(
            actor=p["resident"], category=cw.hazard, description="井盖松动",
            location=locate(building=cw.world.building_a), accepted=True,
        )  # fmt: skip
    client.force_login(p["resident"])
    body = client.get(reverse("desk:new")).content.decode()
    common = body[body.index("本社区常用") : body.index('id="category-search"')]
    assert f'value="{cw.hazard.pk}"' in common and f'value="{cw.repair.pk}"' not in common
    cascade = body[body.index('id="category-cascade"') :]
    for leaf in (cw.repair, cw.hazard, cw.wish):
        assert f'value="{leaf.pk}"' in cascade
    # posted from the chips like any other way of picking
    r = client.post(
        reverse("desk:new"),
        {"kind": "request", "category": str(cw.hazard.pk), "description": "又松了",
         "where": "building", "building": str(cw.world.building_a.pk)},
    )  # fmt: skip
    assert r.status_code == 302
