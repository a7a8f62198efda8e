"""Each row of a case list (the 工单 desk, 我的诉求) says what the case is, links to it and
escapes what people typed; the deadline flag shows only while the case is open."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html

from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case

pytestmark = pytest.mark.django_db


def _rows(client, path: str) -> dict[str, html.HtmlElement]:
    page = client.get(path)
    assert page.status_code == 200
    items = html.fromstring(page.content).xpath('//ul[@class="case-list"]/li[@class="case-item"]')
    return {item.xpath('.//span[@class="number"]')[0].text_content(): item for item in items}


def test_each_row_shows_the_case_and_links_to_it(cw, client):
    p, w = cw.personas, cw.world
    hostile = '<script>alert(1)</script>楼道"灯"坏了 & 漏水'
    case = services.create_case(
        actor=p["resident"], category=cw.repair, description=hostile,
        location=locate(building=w.building_a),
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(
        title=hostile, due_at=timezone.now() + dt.timedelta(hours=1)
    )
    case.refresh_from_db()

    for login, path in (("community_officer", "/cases/?tab=all"), ("resident", "/cases/mine/")):
        client.force_login(p[login])
        page = client.get(path)
        assert b"<script>alert(1)" not in page.content
        row = _rows(client, path)[case.number]
        link = row.xpath('.//a[@class="title"]')[0]
        assert link.get("href") == reverse("desk:case", args=[case.number])
        assert link.text_content() == hostile  # shown as typed, never as markup
        meta = [s.text_content() for s in row.xpath('.//div[@class="meta"]/span')]
        assert case.status_label in meta and cw.repair.name in meta
        assert case.get_kind_display() in meta and case.territory.name in meta
        local = timezone.localtime(case.created_at)
        assert f"{local:%Y-%m-%d %H:%M}" in meta
        assert row.xpath('.//span[starts-with(@class, "flag ")]'), (
            "an open case with a deadline shows its flag"
        )

    Case.objects.filter(pk=case.pk).update(status="cancelled")
    client.force_login(p["community_officer"])
    row = _rows(client, "/cases/?tab=all")[case.number]
    assert not row.xpath('.//span[starts-with(@class, "flag ")]')
    assert re.search(r"\S", row.xpath('.//span[starts-with(@class, "status ")]')[0].text_content())
