"""The dispatch form: suggestions first (with their reasons, the first one picked), then a
type-ahead over the units and people who may take the case — by name, 繁体, pinyin or
initials — each unit with its full path."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case
from doorstep.cases.workflow import S

pytestmark = pytest.mark.django_db


def accepted(cw, category=None):
    p = cw.personas
    case = services.create_case(
        actor=p["resident"], category=category or cw.repair, description="楼道灯坏了",
        location=locate(building=cw.world.building_a),
    )  # fmt: skip
    return services.perform(case, "accept", actor=p["community_officer"])


def search(client, case, q, name="co"):
    return client.get(reverse("desk:handlers", args=[case.number]), {"q": q, "name": name})


def handled_by_grid_a(cw):
    """A 报修 of this community, dispatched to grid A and handled to the end."""
    p, w = cw.personas, cw.world
    case = accepted(cw)
    case = services.perform(case, "dispatch", actor=p["community_officer"], lead=w.grid_a)
    case = services.perform(case, "sign", actor=p["grid_worker_a"])
    case = services.perform(case, "start", actor=p["grid_worker_a"])
    case = services.perform(case, "resolve", actor=p["grid_worker_a"], note="修好了")
    case = services.perform(case, "verify", actor=p["community_officer"])
    services.perform(case, "rate", actor=p["resident"], rating="satisfied", solved=True)


def test_history_puts_the_usual_handler_first_with_its_reason(cw, client):
    p, w = cw.personas, cw.world
    for _ in range(2):  # two 报修 of this community handled to the end by grid A
        handled_by_grid_a(cw)
    case = accepted(cw)
    client.force_login(p["community_officer"])
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    first = re.search(r'<input type="radio" name="lead" value="([^"]+)" checked>', body)
    assert first and first.group(1) == f"o:{w.grid_a.pk}"
    assert "本社区同类工单近期有 2 件由其办结" in body
    # one click on 派单 sends it to the suggestion
    r = client.post(
        reverse("desk:move", args=[case.number, "dispatch"]),
        {"version": case.version, "lead": first.group(1)},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.DISPATCHED
    assert case.assignments.get(role="lead").organisation_id == w.grid_a.pk


def test_the_kept_history_follows_each_closing(cw, client):
    """The street's history is kept between pages (suggest.cached_history); closing a case
    of the street renews it, so the next page counts that case too."""
    p = cw.personas
    handled_by_grid_a(cw)
    case = accepted(cw)
    client.force_login(p["community_officer"])
    page = reverse("desk:case", args=[case.number])
    assert "本社区同类工单近期有 1 件由其办结" in client.get(page).content.decode()
    assert "本社区同类工单近期有 1 件由其办结" in client.get(page).content.decode()  # kept
    handled_by_grid_a(cw)
    assert "本社区同类工单近期有 2 件由其办结" in client.get(page).content.decode()


def test_the_type_ahead_finds_by_name_traditional_pinyin_and_initials(cw, client):
    case = accepted(cw)
    client.force_login(cw.personas["community_officer"])
    grid = cw.world.grid_a  # 清华东路第一网格
    for q in ("清华东路第一", "清華東路第一", "qinghuadonglu", "qhdldy"):
        body = search(client, case, q).content.decode()
        assert f'value="o:{grid.pk}"' in body, q
    body = search(client, case, "李建国").content.decode()
    assert "党员李建国" in body and 'type="checkbox" name="co"' in body
    lead = search(client, case, "qhdl", name="lead").content.decode()
    assert 'type="radio" name="lead"' in lead
    assert "没有找到" in search(client, case, "不存在的单位xyz").content.decode()


def test_two_units_of_the_same_name_are_told_apart_by_their_paths(cw, client):
    w = cw.world
    twin = create_organisation(
        name="李建国党员中心户", kind=Kind.CENTRAL_HOUSEHOLD, parent=w.grid_b
    )
    case = accepted(cw)
    client.force_login(cw.personas["community_officer"])
    body = search(client, case, "李建国党员中心户").content.decode()
    labels = re.findall(r'<label class="pick"[^>]*>(.*?)</label>', body, re.S)
    texts = [re.sub(r"<[^>]+>", "", t).strip() for t in labels if "李建国党员中心户" in t]
    assert len(texts) == 2 and texts[0] != texts[1]
    assert any(w.grid_a.name in t for t in texts) and any(w.grid_b.name in t for t in texts)
    assert f'value="o:{twin.pk}"' in body


def test_bad_queries_and_strangers(cw, client):
    case = accepted(cw)
    client.force_login(cw.personas["community_officer"])
    assert search(client, case, "\x01qhdl").status_code == 200
    assert 'name="co"' not in search(client, case, "\x01qhdl").content.decode()
    assert search(client, case, "清" * 5000).status_code == 200
    before = Case.objects.get(pk=case.pk).version
    client.force_login(cw.personas["resident"])  # files cases, does not dispatch them
    assert search(client, case, "qhdl").status_code in (403, 404)
    client.force_login(cw.personas["grid_worker_b"])  # another grid: not in scope
    assert search(client, case, "qhdl").status_code in (403, 404)
    assert Case.objects.get(pk=case.pk).version == before
