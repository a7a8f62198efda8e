"""The filing pages: a resident's request with photos, the building picker, bad input, and a
grid worker's patrol report."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doorstep.cases.models import Case
from doorstep.cases.testing import png
from doorstep.cases.workflow import S

pytestmark = pytest.mark.django_db


def file_as(client, cw, **over):
    data = {
        "kind": "request",
        "category": str(cw.repair.pk),
        "description": "3单元楼道灯坏了一周，晚上很黑",
        "where": "building",
        "building": str(cw.world.building_a.pk),
    }
    data.update(over)
    return client.post(reverse("desk:new"), data)


def shown_moves(body: str) -> set[str]:
    return set(re.findall(r'data-move="([a-z_]+)"', body))


# ---------------------------------------------------------------- filing


def test_resident_files_with_a_photo_and_gets_a_number(cw, client):
    client.force_login(cw.personas["resident"])
    page = client.get(reverse("desk:new"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "我要点单" in body and "物业报修" in body
    # their home building is preselected
    assert f'value="{cw.world.building_a.pk}" selected' in body
    r = file_as(client, cw, photos=[png()], anonymous="on")
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == reverse("desk:filed", args=[case.number])
    done = client.get(r["Location"]).content.decode()
    assert case.number in done and "提交成功" in done
    assert case.status == S.SUBMITTED and case.anonymous
    assert case.attachments.count() == 1
    # the photo is served through the scoped view, to the reporter
    att = case.attachments.get()
    got = client.get(reverse("desk:photo", args=[case.number, att.pk]))
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    # and shown on the case page among the photos filed with it
    page = client.get(reverse("desk:case", args=[case.number])).content.decode()
    photos = re.search(r'<h2>诉求内容</h2>.*?<div class="photos">(.*?)</div>', page, re.S)
    assert photos and reverse("desk:photo", args=[case.number, att.pk]) in photos.group(1)
    mine = client.get(reverse("desk:mine")).content.decode()
    assert case.number in mine and "待受理" in mine


def test_a_micro_wish_by_address(cw, client):
    client.force_login(cw.personas["resident"])
    r = file_as(
        client,
        cw,
        kind="micro_wish",
        category=str(cw.wish.pk),
        where="address",
        building="",
        address="学知园2号楼门口",
        description="想要一套儿童绘本",
    )
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.kind == "micro_wish" and case.territory == cw.world.grid_b


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png"),
            "不是有效的图片",
        ),
        (SimpleUploadedFile("x.txt", b"hello", content_type="text/plain"), "不是有效的图片"),
    ],
)
def test_a_file_that_is_not_an_image_is_refused(cw, client, upload, message):
    client.force_login(cw.personas["resident"])
    r = file_as(client, cw, photos=[upload])
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not Case.objects.exists()


def test_the_building_picker_offers_the_filers_street_and_nothing_beyond(cw, client):
    from doorstep.atlas.organisations.models import Kind
    from doorstep.atlas.organisations.services import create_organisation
    from doorstep.atlas.places.models import Building

    w = cw.world
    other = create_organisation(name="清河街道", kind=Kind.STREET, parent=None, code="T-OTHER")
    far_grid = create_organisation(
        name="清河第一网格",
        kind=Kind.GRID,
        parent=create_organisation(name="清河社区", kind=Kind.COMMUNITY, parent=other),
    )
    far = Building.objects.create(name="清河<b>9号楼</b>", grid=far_grid, address="北京市海淀区")
    odd = Building.objects.create(name="静淑苑<i>5号楼</i>", grid=w.grid_b, address="北京市海淀区")
    client.force_login(cw.personas["resident"])
    page = client.get(reverse("desk:new")).content.decode()
    picker = re.search(r'<select name="building" id="id_building">(.*?)</select>', page, re.S)
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', picker.group(1))
    offered = {value: label for value, _sel, label in options if value}
    home = cw.personas["resident"].resident.household.unit.building
    assert offered[str(w.building_a.pk)] == f"{w.building_a.name}（{w.grid_a.name}）"
    assert offered[str(w.building_c.pk)] == f"{w.building_c.name}（{w.grid_c.name}）"
    assert offered[str(odd.pk)] == "静淑苑&lt;i&gt;5号楼&lt;/i&gt;（清华东路第二网格）"
    assert str(far.pk) not in offered
    assert [v for v, sel, _l in options if sel] == [str(home.pk)]  # the home is chosen
    # a building of another street is refused when posted, and nothing is filed
    r = file_as(client, cw, building=str(far.pk))
    assert r.status_code == 400 and "有效的楼栋" in r.content.decode()
    assert not Case.objects.exists()
    # what was posted stays chosen on the form shown again
    r = file_as(client, cw, building=str(odd.pk), description="")
    assert r.status_code == 400 and f'<option value="{odd.pk}" selected>' in r.content.decode()
    r = file_as(client, cw, building=str(odd.pk))
    assert r.status_code == 302 and Case.objects.get().building == odd


def test_an_oversized_photo_is_refused(cw, client, settings):
    settings.CASE_PHOTO_MAX_BYTES = 100
    client.force_login(cw.personas["resident"])
    r = file_as(client, cw, photos=[png(size=64)])
    assert r.status_code == 400
    assert "过大" in r.content.decode()
    assert not Case.objects.exists()


def test_unknown_category_and_missing_text(cw, client):
    client.force_login(cw.personas["resident"])
    r = file_as(client, cw, category="999999")
    assert r.status_code == 400 and "分类不存在" in r.content.decode()
    r = file_as(client, cw, category=str(cw.repair.parent_id))
    assert r.status_code == 400 and "最末一级" in r.content.decode()
    r = file_as(client, cw, description="")
    assert r.status_code == 400 and "请填写诉求内容" in r.content.decode()
    r = file_as(client, cw, building="424242")
    assert r.status_code == 400 and "有效的楼栋" in r.content.decode()
    assert not Case.objects.exists()


def test_a_point_outside_every_grid_is_refused(cw, client):
    client.force_login(cw.personas["resident"])
    r = file_as(client, cw, where="point", building="", lat="10.0", lon="10.0")
    assert r.status_code == 400
    assert "不在任何网格内" in r.content.decode()
    assert not Case.objects.exists()
    r = file_as(client, cw, where="point", building="", lat="abc", lon="1")
    assert r.status_code == 400 and "坐标无效" in r.content.decode()


def test_a_point_near_a_building_files_there(cw, client):
    b = cw.world.building_c
    b.lat, b.lon = 39.99, 116.35
    b.save(update_fields=["lat", "lon"])
    client.force_login(cw.personas["resident"])
    r = file_as(client, cw, where="point", building="", lat="39.9901", lon="116.3501")
    assert r.status_code == 302
    assert Case.objects.get().territory == cw.world.grid_c


def test_grid_worker_patrol_draft_then_submit(cw, client):
    client.force_login(cw.personas["grid_worker_a"])
    assert client.get(reverse("desk:patrol_new")).status_code == 200
    r = client.post(
        reverse("desk:patrol_new"),
        {
            "category": str(cw.hazard.pk),
            "description": "东门井盖缺失",
            "where": "building",
            "building": str(cw.world.building_a.pk),
        },
    )
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.status == S.DRAFT and case.kind == "patrol" and case.owner == cw.world.grid_a
    body = client.get(reverse("desk:case", args=[case.number])).content.decode()
    assert {"submit", "self_handle", "skip_escalate"} <= shown_moves(body)
    # 自行处置 without a photo: a message, nothing changed
    r = client.post(
        reverse("desk:move", args=[case.number, "self_handle"]),
        {"version": case.version, "note": "已现场处理"},
    )
    assert r.status_code == 400 and "照片" in r.content.decode()
    r = client.post(reverse("desk:move", args=[case.number, "submit"]), {"version": case.version})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.SUBMITTED and case.owner == cw.world.community_1


def test_residents_may_not_file_patrol_reports(cw, client):
    client.force_login(cw.personas["resident"])
    assert client.get(reverse("desk:patrol_new")).status_code == 403
