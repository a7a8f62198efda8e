"""Exporting the resident ledger (导出居民台账) to Excel.

The workbook has the import template's columns, so an unmasked export can be imported
again. Rows come from `Resident.objects.visible_to(actor)` only; ID-card and phone numbers
are masked unless the actor may unmask them. openpyxl's write-only mode streams rows to a
temporary file, so memory stays flat for any number of rows. Every export is audited.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.people.models import (
    TAG_LABELS,
    Holding,
    HoldingRole,
    Relation,
    ResidenceType,
    Resident,
)
from doorstep.atlas.places.models import AreaSource
from doorstep.core import audit
from doorstep.core.masking import mask_id_card, mask_phone
from doorstep.core.models import AuditAction
from doorstep.core.xlsx import cell_text

from .columns import RESIDENT_COLUMNS
from .register import area_text

_FONT = Font(bold=True, color="FFFFFF")
_FILL = PatternFill("solid", fgColor="C8161D")
_RESIDENCE = dict(ResidenceType.choices)
_RELATION = dict(Relation.choices)
_AREA_SOURCE = dict(AreaSource.choices)
_HOLDING = dict(HoldingRole.choices)


@dataclass(frozen=True)
class Export:
    """A written workbook, open for reading from the start."""

    file: IO[bytes]
    file_name: str
    rows: int
    masked: bool


def _text_cell(ws: Any, value: str) -> WriteOnlyCell:
    # Always a string, never a formula: a name like "=HYPERLINK(…)" must not run in Excel.
    cell = WriteOnlyCell(ws, value=cell_text(value))
    cell.data_type = "s"
    return cell


def _values(r: Resident, masked: bool) -> list[str]:
    unit = r.household.unit
    return [
        r.name,
        mask_id_card(r.id_card) if masked else r.id_card,
        mask_phone(r.phone) if masked else r.phone,
        str(_RESIDENCE.get(r.residence_type, r.residence_type)),
        str(_RELATION.get(r.relation, r.relation)),
        unit.building.name,
        unit.number,
        r.household.room,
        "、".join(TAG_LABELS.get(t, t) for t in (r.tags or [])),
        r.note,
        area_text(r.household.area),
        str(_AREA_SOURCE.get(r.household.area_source, "")),
        str(_HOLDING.get(r.holding_role, "")),  # type: ignore[attr-defined]
    ]


def export_residents(*, actor: Any, grid: Organisation | None = None) -> Export:
    """Write the residents in the actor's scope (optionally one grid's) to a workbook."""
    if not actor.has_perm("people.export_ledger"):
        raise PermissionDenied("没有导出台账的权限")
    masked = not actor.has_perm("people.unmask_personal_data")
    residents = (
        Resident.objects.visible_to(actor)
        .select_related("household__unit__building")
        .annotate(
            holding_role=Subquery(
                Holding.objects.filter(
                    household_id=OuterRef("household_id"), resident_id=OuterRef("pk")
                ).values("role")[:1]
            )
        )
    )
    if grid is not None:
        residents = residents.filter(grid=grid)
    residents = residents.order_by(
        "household__unit__building__name", "household__unit__number", "household__room", "id"
    )

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民台账")
    for index, col in enumerate(RESIDENT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.width + 2
    header = []
    for col in RESIDENT_COLUMNS:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font, cell.fill = _FONT, _FILL
        header.append(cell)
    ws.append(header)
    rows = 0
    for resident in residents.iterator(chunk_size=2000):
        ws.append([_text_cell(ws, v) for v in _values(resident, masked)])
        rows += 1

    now = timezone.localtime()
    notes = wb.create_sheet("导出说明")
    notes.append(["导出时间", now.strftime("%Y-%m-%d %H:%M")])
    notes.append(["导出人", _text_cell(notes, str(actor))])
    notes.append(["范围", _text_cell(notes, grid.name if grid else "您负责的全部范围")])
    notes.append(["行数", rows])
    notes.append(
        [
            "脱敏",
            "身份证号和电话已脱敏；脱敏的文件不能再导入"
            if masked
            else "未脱敏：请妥善保管，用后删除",
        ]
    )

    out = tempfile.TemporaryFile()  # noqa: SIM115 -- the response closes it once sent
    wb.save(out)
    out.seek(0)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT,
            target_type="people.resident",
            detail={
                "ledger": "residents",
                "rows": rows,
                "masked": masked,
                "grid": grid.pk if grid else None,
            },
        )
    name = f"居民台账-{grid.name + '-' if grid else ''}{now:%Y%m%d-%H%M}.xlsx"
    return Export(file=out, file_name=name, rows=rows, masked=masked)
