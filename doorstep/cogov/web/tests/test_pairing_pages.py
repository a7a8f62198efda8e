"""结对 pages: the street pairs a department with a community and links a cadre to a grid;
the department's liaison publishes its service list, which the community's public list
page prints; the cadre logs a 三结三问 visit that puts a need on the list and files a case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.atlas.organisations.models import Kind
from doorstep.atlas.organisations.services import create_organisation
from doorstep.cases.models import Case
from doorstep.cogov.models import Need, Pairing, PairingOffer
from doorstep.core.testing import make_user
from doorstep.service.models import Visit

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LATER = TODAY + dt.timedelta(days=365)


def _pair(client, co, **form):
    return client.post(
        reverse("cogov:pairing_new"),
        {"starts_on": TODAY.isoformat(), "ends_on": LATER.isoformat(), **form},
        follow=True,
    ).content.decode()


def test_the_street_pairs_a_department_whose_liaison_publishes_the_public_service_list(co, client):
    district = create_organisation(name="海淀区", kind=Kind.DISTRICT, parent=None)
    bureau = create_organisation(name="区民政局", kind=Kind.DEPARTMENT, parent=district)
    liaison = make_user("civil", "民政局联络员", ("department_liaison", bureau))
    client.force_login(co.p["street_officer"])
    page = client.get(reverse("cogov:pairings")).content.decode()
    assert "登记部门结对" in page and "区民政局" in page
    body = _pair(client, co, kind="department", department=bureau.pk, node=co.world.community_1.pk)
    assert "已登记区民政局与清华东路社区结对" in body
    pairing = Pairing.objects.get()
    client.force_login(liaison)
    page = client.get(reverse("cogov:pairings")).content.decode()
    assert "清华东路社区" in page and "登记部门结对" not in page  # sees its own, pairs nothing
    offer = reverse("cogov:pairing_act", args=[pairing.pk, "offer"])
    r = client.post(offer, {"title": "政策宣讲进社区", "frequency": "每季度一次"}, follow=True)
    assert "已发布结对服务项目“政策宣讲进社区”" in r.content.decode()
    r = client.post(offer, {"title": "义诊" * 40}, follow=True)  # too long: nothing written
    assert "服务项目" in r.content.decode() and "60" in r.content.decode()
    assert client.post(offer, {"title": "\x1b[31m义诊"}).status_code == 400  # control character
    assert PairingOffer.objects.count() == 1
    # the community's public list prints it, for anyone
    client.logout()
    public = client.get(reverse("cogov:public", args=[co.world.grid_a.pk])).content.decode()
    assert "结对服务清单" in public and "政策宣讲进社区" in public and "每季度一次" in public
    # another community's page does not
    other = client.get(reverse("cogov:public", args=[co.world.community_2.pk])).content.decode()
    assert "政策宣讲进社区" not in other


def test_a_linked_cadre_logs_a_visit_with_a_need_and_a_case(co, cw, client):
    client.force_login(co.p["street_officer"])
    cadre = make_user("cadre2", "区住建委张处长")
    body = _pair(
        client, co, kind="cadre", cadre="cadre2", level="district", post="区住建委处长",
        node=co.world.community_1.pk,
    )  # fmt: skip
    assert "已登记区住建委张处长联系清华东路社区" in body
    assert "没有这个账号" in _pair(
        client, co, kind="cadre", cadre="nobody", level="street", post="科员",
        node=co.world.grid_a.pk,
    )  # fmt: skip
    client.force_login(cadre)
    page = client.get(reverse("cogov:visits")).content.decode()
    assert "记录走访" in page and "清华东路第一网格" in page  # a grid of the linked community
    assert "二里庄第一网格" not in page
    form = {
        "node": co.world.grid_a.pk,
        "visited_on": TODAY.isoformat(),
        "asks": ["need", "advice"],
        "found": "楼栋长反映：外卖骑手夜里找不到诊所",
        "need_title": "骑手夜间就医",
        "need_field": "new_workers",
        "need_wants": "service",
        "need_people": "20",
        "case_category": cw.repair.pk,
        "case_description": "静淑苑1号楼门禁坏了，骑手进不去",
        "building": co.world.building_a.pk,
    }
    r = client.post(reverse("cogov:visit_new"), form, follow=True).content.decode()
    case = Case.objects.get(description="静淑苑1号楼门禁坏了，骑手进不去")
    assert f"走访已记录，需求已登记到需求清单，已转办工单 {case.number}" in r
    visit = Visit.objects.get(kind="cadre")
    assert visit.visitor == cadre and visit.asks == ["need", "advice"]
    assert Need.objects.get(visit=visit).people == 20
    assert 'data-figure="visits"><b>1</b>' in r and 'data-figure="cases"><b>1</b>' in r
    # a bad visit: a message, nothing written
    bad = {**form, "found": "走访" * 300, "need_title": "另一条"}
    r = client.post(reverse("cogov:visit_new"), bad, follow=True).content.decode()
    assert "请填写走访情况（不超过500字）" in r
    assert Visit.objects.count() == 1 and Need.objects.count() == 1 and Case.objects.count() == 1
    # the community sees the cadre's visit; a grid worker has no visits page
    client.force_login(co.p["community_officer"])
    page = client.get(reverse("cogov:visits")).content.decode()
    assert "外卖骑手夜里找不到诊所" in page and "区住建委张处长" in page
    client.force_login(co.p["grid_worker_a"])
    assert client.get(reverse("cogov:visits")).status_code == 403
