"""The downloadable ledger templates (导入模板): a header row, a notes sheet, and the
buildings or grids the downloading user may import into."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import HoldingRole, ImportKind, Relation, ResidenceType
from doorstep.atlas.places.models import AreaSource, Building, BuildingUse

from .columns import COLUMNS, SHEET_TITLES, Column

REFERENCE_LIMIT = 5000  # rows in the "可选楼栋/可选网格" sheet
_VALIDATED_ROWS = 10000
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="C8161D")
REQUIRED_FILL = PatternFill("solid", fgColor="8C0F14")

GENERAL_NOTES = [
    "第一个工作表的第一行是列名，请不要修改或删除；从第二行起每行填写一条记录。",
    "深红色表头是必须有的列（见本表“是否必有”）；其余列可以删除，内容也可以留空。",
    "有错误的行会被跳过，并在导入结果中列出行号、列名和原因；其余行照常导入。改正后可以重新导入整个文件，已导入的记录不会重复登记。",
    "身份证号、电话、单元、室号请保持“文本”格式：Excel 会把长数字改成科学计数法并丢掉后几位。",
    "也可以把本表另存为 CSV（UTF-8）后导入。",
]


def header_sheet(ws: Any, columns: tuple[Column, ...]) -> None:
    for index, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=col.header)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if col.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = col.width + 2
        if col.text:
            ws.column_dimensions[letter].number_format = "@"
    ws.freeze_panes = "A2"


def choice_list(
    ws: Any, columns: tuple[Column, ...], key: str, choices: Sequence[tuple[str, Any]]
) -> None:
    index = next(i for i, c in enumerate(columns, start=1) if c.key == key)
    letter = get_column_letter(index)
    options = ",".join(str(label) for _, label in choices)
    dv = DataValidation(
        type="list",
        formula1=f'"{options}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="请从列表中选择",
        error=f"可填：{options.replace(',', '、')}",
    )
    dv.add(f"{letter}2:{letter}{_VALIDATED_ROWS + 1}")
    ws.add_data_validation(dv)


def _notes_sheet(wb: Workbook, columns: tuple[Column, ...]) -> None:
    ws = wb.create_sheet("填写说明")
    ws.append(["列名", "是否必有", "说明与可填写的值"])
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for col in columns:
        ws.append([col.header, "是" if col.required else "否", col.note])
    ws.append([])
    for line in GENERAL_NOTES:
        ws.append(["", "", line])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 100
    for row in ws.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")


def _reference_sheet(wb: Workbook, kind: str, actor: Any) -> None:
    rows: Iterable[Sequence[Any]]
    if kind == ImportKind.RESIDENTS:
        ws = wb.create_sheet("可选楼栋")
        ws.append(["楼栋名称", "所属网格", "地址"])
        rows = (
            Building.objects.visible_to(actor)
            .order_by("grid__path", "name")
            .values_list("name", "grid__name", "address")[:REFERENCE_LIMIT]
        )
    else:
        ws = wb.create_sheet("可选网格")
        ws.append(["网格名称", "所属社区"])
        rows = (
            Organisation.objects.visible_to(actor)
            .filter(kind=Kind.GRID)
            .order_by("path")
            .values_list("name", "parent__name")[:REFERENCE_LIMIT]
        )
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for row in rows:
        ws.append(list(row))
    for letter, width in zip("ABC", (20, 20, 36), strict=True):
        ws.column_dimensions[letter].width = width


def build_template(*, kind: str, actor: Any) -> bytes:
    """The import template of one ledger, with the places `actor` may import into."""
    columns = COLUMNS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES[kind]
    header_sheet(ws, columns)
    if kind == ImportKind.RESIDENTS:
        choice_list(ws, columns, "residence_type", ResidenceType.choices)
        choice_list(ws, columns, "relation", Relation.choices)
        choice_list(ws, columns, "area_source", AreaSource.choices)
        choice_list(ws, columns, "holding", HoldingRole.choices)
    else:
        choice_list(ws, columns, "use", BuildingUse.choices)
    _notes_sheet(wb, columns)
    _reference_sheet(wb, kind, actor)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
