"""The lists as Excel: export, re-import, and files with bad rows that change nothing."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doorstep.cogov import services
from doorstep.cogov.models import Need, Resource
from doorstep.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _xlsx(rows: list[list[object]]) -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("清单.xlsx", buf.getvalue())


NEED_HEADER = [
    "所在社区/网格",
    "需求",
    "服务对象",
    "服务领域",
    "所需资源",
    "紧急程度",
    "涉及人数",
    "需要数量",
    "单位",
    "开始日期",
    "截止日期",
]


def test_a_needs_file_with_bad_rows_lists_every_error_and_imports_nothing(co, client):
    client.force_login(co.p["community_officer"])
    upload = _xlsx(
        [
            ["清华东路社区需求清单（2026年5月）"],  # a title row above the header
            NEED_HEADER,
            [
                "清华东路第一网格",
                "外卖骑手歇脚驿站",
                "外卖骑手",
                "新就业群体",
                "场地",
                "较急",
                60,
                40,
                "人",
                "2026-05-01",
                "2026-05-31",
            ],
            [
                "清华东路社区/清华东路第二网格",
                "独居老人助餐",
                "独居老人",
                "助老养老",
                "资金",
                "",
                25,
                6000,
                "元",
                "",
                "",
            ],
            ["二里庄第一网格", "北区骑手", "", "新就业群体", "场地", "", 5, "", "", "", ""],
            [
                "清华东路第一网格",
                "课后托管",
                "",
                "天气",
                "服务",
                "",
                "很多",
                "",
                "",
                "2026-06-01",
                "2026-05-01",
            ],
            ["清华东路第一网格", "楼道清理", "", "环境治理", "服务", "", "", 3, "吨", "", ""],
        ]
    )
    r = client.post(reverse("cogov:import", args=["needs"]), {"file": upload})
    body = r.content.decode()
    assert r.status_code == 400 and "未导入任何一行" in body
    for expected in (
        "第5行",
        "找不到“二里庄第一网格”",
        "第6行",
        "不能早于开始日期",
        "第7行",
        "请选择单位",
    ):
        assert expected in body, expected
    assert "第3行" not in body and "第4行" not in body
    assert not Need.objects.exists()
    assert not AuditEntry.objects.filter(action="import").exists()


def test_needs_export_and_import_round_trip(co, client):
    client.force_login(co.p["community_officer"])
    for title, node in (("外卖骑手歇脚驿站", co.world.grid_a), ("老人助餐", co.world.grid_b)):
        services.record_need(
            actor=co.p["community_officer"], node=node, title=title, field="elderly",
            wants="funds", amount="6000", unit="yuan", window_start="2026-05-01",
        )  # fmt: skip
    r = client.get(reverse("cogov:needs_xlsx"))
    assert r.status_code == 200 and AuditEntry.objects.filter(action="export").count() == 1
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[1][:5] == ["所在社区/网格", "需求", "服务对象", "服务领域", "所需资源"]
    assert rows[2][:2] == ["清华东路社区/清华东路第一网格", "外卖骑手歇脚驿站"]
    Need.objects.all().delete()
    upload = SimpleUploadedFile("导出.xlsx", r.content)
    r = client.post(reverse("cogov:import", args=["needs"]), {"file": upload})
    assert r.status_code == 200 and "已导入 2 条" in r.content.decode()
    again = Need.objects.order_by("id")
    assert [(n.title, n.node, n.amount, str(n.window_start)) for n in again] == [
        ("外卖骑手歇脚驿站", co.world.grid_a, 6000, "2026-05-01"),
        ("老人助餐", co.world.grid_b, 6000, "2026-05-01"),
    ]


def test_a_resources_csv_in_gb18030_with_a_bad_row(co, client):
    client.force_login(co.p["street_officer"])
    text = (
        "提供单位,资源,资源类型,服务领域,可提供数量,单位,服务半径（米）\r\n"
        "904医院,夜间义诊,服务,医疗健康、新就业群体,20,小时,3000\r\n"
        "无锡市锡剧院,戏曲进社区,服务,文体教育,4,场次,\r\n"
    )
    good = SimpleUploadedFile("资源.csv", text.encode("gb18030"))
    r = client.post(reverse("cogov:import", args=["resources"]), {"file": good})
    assert r.status_code == 200 and "已导入 2 条" in r.content.decode()
    assert sorted(Resource.objects.values_list("title", "reach_m")) == [
        ("夜间义诊", 3000),
        ("戏曲进社区", 1125),
    ]
    bad = SimpleUploadedFile(
        "资源.csv",
        (
            text
            + "某某公司,捐款,资金,助老养老,-5,元,\r\n904医院,义\x01诊,服务,医疗健康,5,小时,\r\n"
        ).encode("gb18030"),
    )
    r = client.post(reverse("cogov:import", args=["resources"]), {"file": bad})
    body = r.content.decode()
    assert r.status_code == 400 and "第4行" in body and "找不到“某某公司”" in body
    assert "第5行" in body and "控制字符" in body
    assert Resource.objects.count() == 2


def test_a_file_that_is_not_a_list_is_refused_whole(co, client):
    client.force_login(co.p["community_officer"])
    r = client.post(
        reverse("cogov:import", args=["needs"]),
        {"file": SimpleUploadedFile("a.xls", b"\xd0\xcf\x11\xe0junk")},
    )
    assert r.status_code == 400 and "另存为" in r.content.decode()
    r = client.post(
        reverse("cogov:import", args=["needs"]),
        {"file": _xlsx([["姓名", "身份证号"], ["王芳", "1"]])},
    )
    assert r.status_code == 400 and "找不到表头" in r.content.decode()
    assert client.get(reverse("cogov:template", args=["needs"])).status_code == 200
    client.force_login(co.p["liaison_904"])
    assert client.get(reverse("cogov:import", args=["needs"])).status_code == 403
    assert not Need.objects.exists()
