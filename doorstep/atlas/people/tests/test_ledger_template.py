"""The downloadable import templates (导入模板)."""

from __future__ import annotations

import io

import openpyxl

from doorstep.atlas.people.ledger.template import build_template

RESIDENT_HEADERS = [
    "姓名",
    "身份证号",
    "联系电话",
    "人口类型",
    "与户主关系",
    "楼栋",
    "单元",
    "室号",
    "重点人群",
    "备注",
    "专有部分面积（㎡）",
    "面积依据",
    "产权身份",
]
BUILDING_HEADERS = ["楼栋名称", "所属网格", "小区", "地址", "层数", "用途"]


def open_book(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def test_the_resident_template_has_the_headers_notes_and_the_buildings_in_scope(world):
    book = open_book(build_template(kind="residents", actor=world.personas["community_officer"]))

    assert book.sheetnames == ["居民台账", "填写说明", "可选楼栋"]
    sheet = book["居民台账"]
    assert [c.value for c in sheet[1]] == RESIDENT_HEADERS
    assert sheet.max_row == 1
    assert sheet.column_dimensions["B"].number_format == "@"
    notes = [row for row in book["填写说明"].iter_rows(values_only=True)]
    assert notes[0] == ("列名", "是否必有", "说明与可填写的值")
    assert notes[4] == ("人口类型", "是", "必填，填写其一：户籍、流动、租住。")
    buildings = [row[:2] for row in book["可选楼栋"].iter_rows(min_row=2, values_only=True)]
    assert buildings == [("静淑苑1号楼", "清华东路第一网格"), ("学知园2号楼", "清华东路第二网格")]


def test_the_building_template_lists_only_grids_in_scope(world):
    book = open_book(build_template(kind="buildings", actor=world.personas["grid_worker_b"]))

    assert [c.value for c in book["楼栋清单"][1]] == BUILDING_HEADERS
    grids = list(book["可选网格"].iter_rows(min_row=2, values_only=True))
    assert grids == [("清华东路第二网格", "清华东路社区")]
