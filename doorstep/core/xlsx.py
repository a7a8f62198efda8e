"""One table as an Excel download (openpyxl), with the audit entry every export needs.

Callers pass rows already masked for the viewer: this module never sees a clear-text
personal number unless the caller decided the viewer may have it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText
from openpyxl.styles import Font

from . import audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")


def cell_text(value: str) -> str:
    """The text as a cell can hold it: control characters (U+0000–U+001F but tab, newline
    and carriage return) cannot be stored in an .xlsx file — openpyxl refuses the whole
    workbook — so they are dropped from what an export writes (rows stored before input
    refused them still export)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _text(value: Any) -> Any:
    """A string typed as "=…" stays text: openpyxl would write it as a formula that runs
    when the file is opened (the same for "+", "-" and "@", which Excel also evaluates)."""
    if isinstance(value, str):
        value = cell_text(value)
        if value[:1] in FORMULA_STARTS:
            return CellRichText(value)
    return value


def workbook(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_name: str = "",
    percent_columns: Sequence[int] = (),
) -> bytes:
    """A one-sheet workbook: a title line, a bold header, the rows. `percent_columns` are
    0-based column indexes holding shares (0.971) shown as 97.1%. Written in openpyxl's
    write-only mode, so memory stays flat however many rows there are."""
    return workbook_of([Sheet(sheet_name or title, title, header, rows, percent_columns)])


class Sheet(NamedTuple):
    name: str
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    percent_columns: Sequence[int] = ()


def workbook_of(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of several sheets, each laid out as `workbook` lays out its one."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(
            spec.name[:31].translate(str.maketrans("[]:*?/\\", "（）：＊？／＼"))
        )
        sheet.append([cell_text(spec.title)])
        heads = []
        for name in spec.header:
            cell = WriteOnlyCell(sheet, value=cell_text(name))
            cell.font = bold
            heads.append(cell)
        sheet.append(heads)
        percent = set(spec.percent_columns)
        for row in spec.rows:
            values: list[Any] = []
            for i, value in enumerate(row):
                if i in percent and value is not None:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "0.0%"
                    values.append(cell)
                else:
                    values.append(_text(value))
            sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(content: bytes, name: str) -> HttpResponse:
    """An attachment response; `name` (without .xlsx) may be Chinese and gets today's date."""
    filename = f"{name}-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def export(
    *,
    actor: Any,
    what: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    name: str,
    target: Any = None,
    detail: dict[str, Any] | None = None,
    percent_columns: Sequence[int] = (),
) -> HttpResponse:
    """Build the workbook, audit the export (what, how many rows, whether masked) and
    return the download. `what` names the table, e.g. "desk:cases"."""
    materialised = [list(r) for r in rows]
    content = workbook(title, header, materialised, percent_columns=percent_columns)
    audit.record(
        actor=actor,
        action="export",
        target=target,
        target_type="" if target is not None else "export",
        target_id="" if target is not None else what,
        detail={"what": what, "rows": len(materialised), **(detail or {})},
    )
    return download(content, name)
