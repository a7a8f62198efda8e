"""The 12345 import page: a real xlsx in, cases out; bad files say why and write nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from doorstep.cases.models import Case

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
            ["GD002", "求助", "不存在的分类", "路灯不亮", "学院路", "2026-11-20 10:00", 5],
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
