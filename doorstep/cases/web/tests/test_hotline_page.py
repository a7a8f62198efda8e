"""The 12345 import page: a real xlsx in, cases out; bad files say why and write nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from doorstep.cases.models import Case, HotlineLabel, HotlineOrder

pytestmark = pytest.mark.django_db

HEADER = ["工单编号", "诉求类型", "问题分类", "诉求内容", "地址", "来电时间", "办结时限"]


def xlsx(rows: list[list[object]]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("12345.xlsx", buf.getvalue())


def test_street_imports_and_sees_row_errors(cw, client):
    client.force_login(cw.personas["street_officer"])
    building = cw.world.building_a.name
    upload = xlsx(
        [
            ["GD001", "投诉", "物业报修", "电梯坏了", f"{building}3单元", "2026-11-20 09:00", 5],
            ["GD002", "求助", "物业报修", "路灯不亮", "学院路", "2026-11-20 25:00", 5],
        ]
    )
    r = client.post("/cases/hotline/", {"file": upload})
    assert r.status_code == 200
    body = r.content.decode()
    assert "新导入 1 件" in body and "有误 1 行" in body
    assert "<td>3</td>" in body  # the refused row, numbered as Excel shows it
    case = Case.objects.get(external_no="GD001")
    assert case.kind == "hotline" and case.territory == cw.world.grid_a
    # the same file again: nothing new
    r = client.post(
        "/cases/hotline/",
        {
            "file": xlsx(
                [["GD001", "投诉", "物业报修", "电梯坏了", building, "2026-11-20 09:00", 5]]
            )
        },
    )
    assert "新导入 0 件" in r.content.decode()
    assert Case.objects.filter(external_no="GD001").count() == 1


def test_top_level_labels_wait_and_a_mapping_learned_once_classifies_the_next_file(cw, client):
    """Acceptance: a file whose labels are top-level classes imports every row into 待分类;
    after a dispatcher maps each label once, a second file with the same labels imports
    with categories set. Titles lose newlines and full-width spaces; an order without an
    address waits in 待定位."""
    officer = cw.personas["community_officer"]
    client.force_login(officer)
    a = cw.world.building_a.name
    first = [
        ["R01", "投诉", "城乡建设", "楼道灯\n坏了　一周", a, "2026-11-20 09:00", 5],
        ["R02", "求助", "城乡建设", "电梯异响", a, "2026-11-20 10:00", 5],
        ["R03", "建议", "民政服务类", "想要一个助餐点", a, "2026-11-20 11:00", 5],
        ["R04", "求助", "民政服务类", "老人独居需要探访", "", "2026-11-20 12:00", 5],
    ]
    first[0][3] = "楼道灯\n坏了\u3000\u3000一周 "
    body = client.post("/cases/hotline/", {"file": xlsx(first)}).content.decode()
    assert "新导入 0 件" in body and "待分类 4" in body and "待定位 1" in body
    assert not Case.objects.filter(external_no__startswith="R0").exists()
    page = client.get(reverse("desk:hotline_waiting"))
    assert page.context["page"].paginator.count == 4
    order = HotlineOrder.objects.get(external_no="R01")
    assert order.title == "【投诉】楼道灯 坏了 一周"
    assert HotlineOrder.objects.get(external_no="R04").needs == ["待分类", "待定位"]
    # The dispatcher maps each label once: the other order of that label follows.
    r = client.post(reverse("desk:hotline_classify", args=[order.pk]), {"category": cw.repair.pk})
    assert r.status_code == 302
    assert set(Case.objects.filter(external_no__in=["R01", "R02"]).values_list(
        "category_id", flat=True)) == {cw.repair.pk}  # fmt: skip
    r03 = HotlineOrder.objects.get(external_no="R03")
    client.post(reverse("desk:hotline_classify", args=[r03.pk]), {"category": cw.wish.pk})
    case = Case.objects.get(external_no="R03")
    assert case.category == cw.wish and case.created_at.hour == 3  # the call time (UTC)
    # R04 has its category now but no place: it waits in 待定位 until given a building.
    r04 = HotlineOrder.objects.get(external_no="R04")
    assert r04.needs == ["待定位"] and r04.category == cw.wish
    client.post(reverse("desk:hotline_place", args=[r04.pk]), {"building": cw.world.building_a.pk})
    assert Case.objects.get(external_no="R04").territory == cw.world.grid_a
    assert client.get(reverse("desk:hotline_waiting")).context["page"].paginator.count == 0
    # The second file with the same labels imports with the categories set.
    second = [
        ["S01", "投诉", "城乡建设", "垃圾没人清", a, "2026-11-21 09:00", 5],
        ["S02", "求助", "民政服务类", "需要轮椅", a, "2026-11-21 10:00", 5],
    ]
    body = client.post("/cases/hotline/", {"file": xlsx(second)}).content.decode()
    assert "新导入 2 件" in body
    assert Case.objects.get(external_no="S01").category == cw.repair
    assert Case.objects.get(external_no="S02").category == cw.wish


def test_the_queue_refuses_strangers_and_bad_choices(cw, client):
    officer = cw.personas["community_officer"]
    client.force_login(officer)
    a = cw.world.building_a.name
    client.post(
        "/cases/hotline/",
        {"file": xlsx([["T01", "投诉", "城乡建设", "x", a, "2026-11-20 09:00", 5]])},
    )
    order = HotlineOrder.objects.get()
    # a category that is not a leaf, or none: a message, nothing written
    top = cw.repair.parent.parent
    r = client.post(reverse("desk:hotline_classify", args=[order.pk]), {"category": top.pk})
    assert r.status_code == 400 and "最末一级" in r.content.decode()
    r = client.post(reverse("desk:hotline_classify", args=[order.pk]), {"category": "x\x01"})
    assert r.status_code == 400
    assert HotlineOrder.objects.get().category_id is None and not HotlineLabel.objects.exists()
    # someone without the import permission, or another community's staff, sees nothing
    client.force_login(cw.personas["resident"])
    assert client.get(reverse("desk:hotline_waiting")).status_code == 403
    r = client.post(reverse("desk:hotline_classify", args=[order.pk]), {"category": cw.repair.pk})
    assert r.status_code == 403
    assert HotlineOrder.objects.get().category_id is None and not Case.objects.exists()


def test_bad_files_and_roles(cw, client):
    client.force_login(cw.personas["street_officer"])
    n = Case.objects.count()
    r = client.post("/cases/hotline/", {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert r.status_code == 400 and "xlsx" in r.content.decode()
    r = client.post("/cases/hotline/", {"file": SimpleUploadedFile("a.xlsx", b"not a workbook")})
    assert r.status_code == 400
    r = client.post("/cases/hotline/", {})
    assert r.status_code == 400
    client.force_login(cw.personas["grid_worker_a"])
    assert client.get("/cases/hotline/").status_code == 403
    assert Case.objects.count() == n
