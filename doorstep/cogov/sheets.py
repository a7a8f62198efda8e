"""The needs and resources lists as Excel: export, template, import.

One list of columns per list feeds the template, the importer and the export, so an
exported list imports again unchanged. Files are opened by the resident ledger's reader
(xlsx read-only or CSV in UTF-8 / GB18030, checked as a whole first). An import is all or
nothing: every row is checked through the services (the same rules as the pages); if any
row is wrong, the errors of all rows are reported (row, column, reason) and nothing is
written.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from openpyxl import Workbook

from doorstep.accounts.typing import Actor
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.ledger.columns import Column
from doorstep.atlas.people.ledger.reader import LedgerFile, LedgerRejected
from doorstep.atlas.people.ledger.rows import cell_text
from doorstep.atlas.people.ledger.template import choice_list, header_sheet
from doorstep.core import audit

from . import services
from .errors import CogovError
from .models import Field, Need, Quantity, Resource, ResourceKind, Urgency

MAX_ROWS = 2000  # a list is a few hundred rows; a bigger file is some other table
FIELD_LABELS = "、".join(str(label) for _, label in Field.choices)
KIND_LABELS = "、".join(str(label) for _, label in ResourceKind.choices)
UNIT_LABELS = "、".join(str(label) for _, label in Quantity.choices)
URGENCY_LABELS = "、".join(str(label) for _, label in Urgency.choices)

NEED_COLUMNS: tuple[Column, ...] = (
    Column("node", "所在社区/网格", True, "必填：您负责范围内的社区或网格名称；重名时写“社区名/网格名”。", 22, aliases=("所在网格", "所在社区", "网格")),
    Column("title", "需求", True, "必填，最多60个字。", 24, aliases=("需求名称", "需求内容")),
    Column("group", "服务对象", False, "如：外卖骑手、独居老人；可留空。", 14),
    Column("field", "服务领域", True, f"必填，填写其一：{FIELD_LABELS}。", 12, aliases=("领域",)),
    Column("wants", "所需资源", True, f"必填，填写其一：{KIND_LABELS}。", 10, aliases=("资源类型",)),
    Column("urgency", "紧急程度", False, f"填写其一：{URGENCY_LABELS}；留空为一般。", 10),
    Column("people", "涉及人数", False, "正整数；留空为1。", 10),
    Column("amount", "需要数量", False, "大于0的数，最多两位小数；可留空。", 10),
    Column("unit", "单位", False, f"填写了需要数量时必填，填写其一：{UNIT_LABELS}。", 8),
    Column("window_start", "开始日期", False, "如 2026-05-01；可留空。", 12, text=True),
    Column("window_end", "截止日期", False, "如 2026-05-31，不早于开始日期；可留空。", 12, text=True),
    Column("detail", "说明", False, "最多1000个字；可留空。", 36),
)  # fmt: skip

RESOURCE_COLUMNS: tuple[Column, ...] = (
    Column("provider", "提供单位", True, "必填：共建单位、职能部门、街道或社区的名称（须在您的范围内）。", 22, aliases=("单位", "提供方")),
    Column("title", "资源", True, "必填，最多60个字。", 24, aliases=("资源名称",)),
    Column("kind", "资源类型", True, f"必填，填写其一：{KIND_LABELS}。", 10),
    Column("fields", "服务领域", True, f"必填，可填多个，用顿号分隔：{FIELD_LABELS}。", 20, aliases=("领域",)),
    Column("capacity", "可提供数量", True, "必填，大于0的数，最多两位小数。", 10, aliases=("数量", "容量")),
    Column("unit", "单位", True, f"必填，填写其一：{UNIT_LABELS}。", 8),
    Column("available_from", "可用起", False, "如 2026-05-01；可留空。", 12, text=True),
    Column("available_to", "可用止", False, "如 2026-12-31，不早于可用起；可留空。", 12, text=True),
    Column("reach_m", "服务半径（米）", False, "步行米数，100–20000；留空为1125（步行15分钟）。", 12, aliases=("服务半径",)),
    Column("detail", "说明", False, "最多1000个字；可留空。", 36),
)  # fmt: skip

SHEETS = {"needs": ("需求清单", NEED_COLUMNS), "resources": ("资源清单", RESOURCE_COLUMNS)}


@dataclass
class Outcome:
    imported: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


# -- export ------------------------------------------------------------------------------


def need_values(n: Need) -> list[Any]:
    return [
        _node_name(n.node),
        n.title,
        n.group,
        n.get_field_display(),
        n.get_wants_display(),
        n.get_urgency_display(),
        n.people,
        _number(n.amount),
        n.get_unit_display() if n.unit else "",
        n.window_start.isoformat() if n.window_start else "",
        n.window_end.isoformat() if n.window_end else "",
        n.detail,
    ]


def resource_values(r: Resource) -> list[Any]:
    return [
        r.provider.name,
        r.title,
        r.get_kind_display(),
        "、".join(r.field_labels),
        _number(r.capacity),
        r.get_unit_display(),
        r.available_from.isoformat() if r.available_from else "",
        r.available_to.isoformat() if r.available_to else "",
        r.reach_m,
        r.detail,
    ]


def _number(value: Any) -> str:
    return f"{value.normalize():f}" if value is not None else ""


def _node_name(node: Organisation) -> str:
    parent = node.parent
    return f"{parent.name}/{node.name}" if parent is not None else node.name


def headers(which: str) -> list[str]:
    return [c.header for c in SHEETS[which][1]]


# -- template ----------------------------------------------------------------------------


def template(which: str) -> bytes:
    title, columns = SHEETS[which]
    wb = Workbook()
    ws = wb.active
    ws.title = title
    header_sheet(ws, columns)
    if which == "needs":
        choice_list(ws, columns, "field", Field.choices)
        choice_list(ws, columns, "wants", ResourceKind.choices)
        choice_list(ws, columns, "urgency", [(str(c), lbl) for c, lbl in Urgency.choices])
    else:
        choice_list(ws, columns, "kind", ResourceKind.choices)
    choice_list(ws, columns, "unit", Quantity.choices)
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "是否必有", "说明与可填写的值"])
    for col in columns:
        notes.append([col.header, "是" if col.required else "否", col.note])
    notes.append([])
    notes.append(
        [
            "",
            "",
            "有任何一行出错时整个文件都不会导入：请按导入结果列出的行号、列名和原因改正后重新导入。",
        ]
    )
    notes.column_dimensions["C"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- import ------------------------------------------------------------------------------


def import_list(*, which: str, actor: Actor, upload: IO[bytes], file_name: str) -> Outcome:
    """Import a needs or resources list; all rows or none (see the module)."""
    title, columns = SHEETS[which]
    perm = "cogov.add_need" if which == "needs" else "cogov.add_resource"
    if not actor.has_perm(perm):
        raise CogovError(f"没有导入{title}的权限")
    outcome = Outcome()
    with LedgerFile(
        upload, kind=which, file_name=file_name, columns=columns, sheet_title=title
    ) as sheet:
        rows = list(_limited(sheet.rows()))
        if not rows:
            raise LedgerRejected("文件中没有数据：表头以下都是空行")
        places = _places(actor, which)
        header = {c.key: c.header for c in columns}
        with transaction.atomic():
            for number, values in rows:
                cells = {
                    key: cell_text(values[i]) if i < len(values) else ""
                    for key, i in sheet.columns.items()
                }
                try:
                    with transaction.atomic():
                        _write(which, actor, cells, places)
                except CogovError as exc:
                    column = header.get(exc.field or "", "")
                    outcome.errors.append({"row": number, "field": column, "message": exc.message})
                else:
                    outcome.imported += 1
            if outcome.errors:
                transaction.set_rollback(True)
                outcome.imported = 0
            else:
                audit.record(
                    actor=actor,
                    action="import",
                    target_type="import",
                    target_id=f"cogov:{which}",
                    detail={"what": f"cogov:{which}", "rows": outcome.imported},
                )
    return outcome


def _limited(rows: Iterable[tuple[int, Sequence[Any]]]) -> Iterable[tuple[int, Sequence[Any]]]:
    for i, row in enumerate(rows):
        if i >= MAX_ROWS:
            raise LedgerRejected(f"一次最多导入{MAX_ROWS}行，请拆分成几个文件")
        yield row


def _places(actor: Actor, which: str) -> dict[str, list[Organisation]]:
    """Name (and "parent/name") → the organisations of the actor's scope a row may name."""
    kinds = services.NEED_NODE_KINDS if which == "needs" else services.PROVIDER_KINDS
    found: dict[str, list[Organisation]] = {}
    for org in (
        Organisation.objects.visible_to(actor).filter(kind__in=kinds).select_related("parent")
    ):
        found.setdefault(org.name, []).append(org)
        if org.parent is not None:
            found.setdefault(f"{org.parent.name}/{org.name}", []).append(org)
    return found


def _place(
    name: str, places: dict[str, list[Organisation]], field_name: str, label: str
) -> Organisation:
    key = "/".join(p.strip() for p in name.replace("／", "/").split("/"))
    candidates = places.get(key, [])
    if not key:
        raise CogovError(f"请填写{label}", field_name)
    if not candidates:
        raise CogovError(f"找不到“{name}”，或不在您的范围内", field_name)
    if len(candidates) > 1:
        raise CogovError(f"“{name}”有重名，请写成“上级名称/{name}”", field_name)
    return candidates[0]


def _write(
    which: str, actor: Actor, cells: dict[str, str], places: dict[str, list[Organisation]]
) -> None:
    if which == "needs":
        node = _place(cells.get("node", ""), places, "node", "所在社区/网格")
        services.record_need(
            actor=actor,
            node=node,
            title=cells.get("title", ""),
            field=cells.get("field", ""),
            wants=cells.get("wants", ""),
            group=cells.get("group", ""),
            detail=cells.get("detail", ""),
            urgency=_urgency(cells.get("urgency", "")),
            people=cells.get("people", ""),
            amount=cells.get("amount", ""),
            unit=cells.get("unit", ""),
            window_start=cells.get("window_start") or None,
            window_end=cells.get("window_end") or None,
        )
    else:
        provider = _place(cells.get("provider", ""), places, "provider", "提供单位")
        services.offer_resource(
            actor=actor,
            provider=provider,
            title=cells.get("title", ""),
            kind=cells.get("kind", ""),
            fields=cells.get("fields", ""),
            capacity=cells.get("capacity", ""),
            unit=cells.get("unit", ""),
            detail=cells.get("detail", ""),
            available_from=cells.get("available_from") or None,
            available_to=cells.get("available_to") or None,
            reach_m=cells.get("reach_m", ""),
        )


def _urgency(value: str) -> str:
    by_label = {str(label): str(code) for code, label in Urgency.choices}
    return by_label.get(value.strip(), value)
