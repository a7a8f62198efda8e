"""The co-governance pages: a need recorded, matched and confirmed through the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from doorstep.cogov import matching, services
from doorstep.cogov.models import Match, Need, Resource

pytestmark = pytest.mark.django_db


def _resource(co, **kw):
    data = {
        "title": "夜间义诊",
        "kind": "service",
        "fields": ["health", "new_workers"],
        "capacity": "20",
        "unit": "hours",
    }
    data.update(kw)
    return services.offer_resource(actor=co.p["liaison_904"], provider=co.hospital, **data)


def test_staff_record_a_need_accept_a_suggestion_and_the_liaison_confirms(co, client):
    resource = _resource(co)
    client.force_login(co.p["community_officer"])
    r = client.get(reverse("cogov:need_new"))
    assert r.status_code == 200 and "清华东路第一网格" in r.content.decode()
    r = client.post(
        reverse("cogov:need_new"),
        {
            "node": co.world.grid_a.pk,
            "title": "外卖骑手夜间就医难",
            "group": "外卖骑手",
            "field": "new_workers",
            "wants": "service",
            "urgency": "2",
            "people": "40",
            "amount": "6",
            "unit": "hours",
            "building": co.world.building_a.pk,
        },
    )
    need = Need.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("cogov:need", args=[need.pk])
    body = client.get(r["Location"]).content.decode()
    assert "推荐资源" in body and "夜间义诊" in body and "步行约2分钟" in body
    r = client.post(
        reverse("cogov:need_accept", args=[need.pk]), {"resource": resource.pk, "amount": "6"}
    )
    assert r.status_code == 302
    match = Match.objects.get()
    assert match.status == "accepted" and Resource.objects.get().remaining == 14
    body = client.get(reverse("cogov:needs")).content.decode()
    assert "外卖骑手夜间就医难" in body and "对接中" in body

    client.force_login(co.p["liaison_904"])
    body = client.get(reverse("cogov:matches")).content.decode()
    assert "外卖骑手夜间就医难" in body and "认领" in body
    r = client.post(reverse("cogov:match_act", args=[match.pk, "confirm"]))
    assert r.status_code == 302
    match.refresh_from_db()
    assert match.status == "confirmed"

    client.force_login(co.p["community_officer"])
    r = client.post(
        reverse("cogov:match_act", args=[match.pk, "complete"]),
        {"rating": "5", "met": "1", "next": reverse("cogov:need", args=[need.pk])},
    )
    assert r["Location"] == reverse("cogov:need", args=[need.pk])
    need.refresh_from_db()
    assert need.status == "met"
    body = client.get(reverse("cogov:needs") + "?status=met").content.decode()
    assert "外卖骑手夜间就医难" in body


def test_a_bad_need_form_says_why_in_chinese_and_writes_nothing(co, client):
    client.force_login(co.p["community_officer"])
    r = client.post(
        reverse("cogov:need_new"),
        {
            "node": co.world.grid_a.pk,
            "title": "骑手驿站",
            "field": "new_workers",
            "wants": "venue",
            "urgency": "1",
            "people": "5",
            "window_start": "2026-06-01",
            "window_end": "2026-05-01",
        },
    )
    assert r.status_code == 400 and "截止日期不能早于开始日期" in r.content.decode()
    r = client.post(reverse("cogov:need_new"), {"node": co.world.grid_c.pk, "title": "x"})
    assert r.status_code == 400  # grid C is not the officer's: not a choice
    assert not Need.objects.exists()


def test_an_over_capacity_accept_shows_the_reason_and_changes_nothing(co, client):
    resource = _resource(co, capacity="4")
    need = services.record_need(
        actor=co.p["community_officer"],
        node=co.world.grid_a,
        title="骑手体检",
        field="new_workers",
        wants="service",
    )
    client.force_login(co.p["community_officer"])
    r = client.post(
        reverse("cogov:need_accept", args=[need.pk]),
        {"resource": resource.pk, "amount": "5"},
        follow=True,
    )
    assert "剩余容量不足" in r.content.decode()
    assert not Match.objects.exists() and Resource.objects.get().remaining == 4


def test_a_liaison_sees_its_own_resources_and_not_the_needs_before_a_match(co, client):
    resource = _resource(co)
    services.record_need(
        actor=co.p["community_officer"],
        node=co.world.grid_a,
        title="骑手体检",
        field="new_workers",
        wants="service",
    )
    client.force_login(co.p["liaison_904"])
    body = client.get(reverse("cogov:resource", args=[resource.pk])).content.decode()
    assert "另有1条附近的需求" in body and "骑手体检" not in body
    assert "骑手体检" not in client.get(reverse("cogov:needs")).content.decode()
    client.force_login(co.p["liaison_theatre"])
    assert client.get(reverse("cogov:resource", args=[resource.pk])).status_code == 404
    r = client.post(reverse("cogov:resource_status", args=[resource.pk]), {"status": "paused"})
    assert r.status_code == 404 and Resource.objects.get().status == "active"


def test_others_cannot_act_on_a_match(co, client):
    resource = _resource(co)
    need = services.record_need(
        actor=co.p["community_officer"],
        node=co.world.grid_a,
        title="骑手体检",
        field="new_workers",
        wants="service",
    )
    match = matching.accept(
        actor=co.p["community_officer"], need=need, resource=resource, amount="2"
    )
    for persona in ("liaison_theatre", "resident", "grid_worker_b"):
        client.force_login(co.p[persona])
        r = client.post(reverse("cogov:match_act", args=[match.pk, "confirm"]))
        assert r.status_code in (403, 404), persona
    client.force_login(co.p["community_officer"])
    client.post(reverse("cogov:match_act", args=[match.pk, "confirm"]), follow=True)
    match.refresh_from_db()
    assert match.status == "accepted"


def test_the_public_lists_of_a_community_show_no_detail_and_carry_a_qr(co, client):
    _resource(co)
    services.record_need(
        actor=co.p["community_officer"],
        node=co.world.grid_a,
        title="独居老人助餐",
        group="独居老人",
        field="elderly",
        wants="funds",
        detail="王芳，静淑苑1号楼101，腿脚不便",
        building=co.world.building_a,
    )
    r = client.get(
        reverse("cogov:public", args=[co.world.community_1.pk]), HTTP_HOST="testserver:8123"
    )
    body = r.content.decode()
    assert r.status_code == 200 and "独居老人助餐" in body and "夜间义诊" in body
    assert "王芳" not in body and "静淑苑1号楼" not in body and "腿脚不便" not in body
    assert "http://testserver:8123/lists/" in body and "<svg" in body
    assert client.get(reverse("cogov:public", args=[co.hospital.pk])).status_code == 404
    other = client.get(reverse("cogov:public", args=[co.world.community_2.pk])).content.decode()
    assert "独居老人助餐" not in other


def test_a_micro_wish_joins_the_needs_list_from_its_case_page(co, cw, client):
    from doorstep.cases import services as cases
    from doorstep.cases.locating import Location

    wish = cases.create_case(
        actor=co.p["resident"], kind="micro_wish", category=cw.wish, title="想要一台助行器",
        description="腿脚不便，想要一台助行器",
        location=Location(territory=co.world.grid_a, building=co.world.building_a),
    )  # fmt: skip
    client.force_login(co.p["community_officer"])
    body = client.get(reverse("desk:case", args=[wish.number])).content.decode()
    url = reverse("cogov:wish_to_need", args=[wish.number])
    assert url in body
    r = client.post(url, {"field": "disability", "wants": "goods"})
    need = Need.objects.get()
    assert r["Location"] == reverse("cogov:need", args=[need.pk])
    assert (need.source, need.case, need.node, need.title) == (
        "wish",
        wish,
        co.world.grid_a,
        "想要一台助行器",
    )
    assert "已转为需求" in client.get(url).content.decode()
    client.post(url, {"field": "disability", "wants": "goods"})
    assert Need.objects.count() == 1
    client.force_login(co.p["liaison_904"])
    assert client.get(url).status_code in (403, 404)
