"""Exporting the resident ledger: scoped, masked per role, audited, re-importable."""

from __future__ import annotations

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from doorstep.accounts.models import Role
from doorstep.atlas.people.ledger import exporter, importer
from doorstep.atlas.people.models import Resident
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE

HEADERS = (
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
)


def cells(export) -> list[tuple]:
    book = openpyxl.load_workbook(export.file, read_only=True)
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def data_rows(export) -> list[tuple]:
    export.file.seek(0)
    book = openpyxl.load_workbook(export.file, read_only=True)
    rows = list(book["居民台账"].iter_rows(values_only=True))
    book.close()
    return rows


def everything_written(export) -> str:
    export.file.seek(0)
    return "\n".join(str(v) for row in cells(export) for v in row if v is not None)


def grant_export_to_grid_workers() -> None:
    """Grid workers hold the export permission by default; make sure of it."""
    role = Role.objects.get(code="grid_worker")
    assert role.permissions.filter(codename="export_ledger").exists()


def test_a_street_officer_gets_masked_numbers_and_the_export_is_audited(world):
    officer = world.personas["street_officer"]
    export = exporter.export_residents(actor=officer)

    rows = data_rows(export)
    assert rows[0] == HEADERS
    assert (
        "王芳",
        "110***********000X",
        "139****5678",
        "户籍",
        "户主",
        "静淑苑1号楼",
        "1单元",
        "101",
        "独居老人",
        None,  # 备注
        None,  # no area, area source or holding registered in the test world
        None,
        None,
    ) in rows
    assert len(rows) == 1 + 4
    text = everything_written(export)
    assert PLANTED_ID_CARD not in text
    assert PLANTED_PHONE not in text
    assert (export.rows, export.masked) == (4, True)
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == officer
    assert entry.detail == {"ledger": "residents", "rows": 4, "masked": True, "grid": None}


def test_community_staff_with_the_unmask_permission_get_numbers_in_clear(world):
    export = exporter.export_residents(actor=world.personas["community_officer"])

    rows = data_rows(export)
    assert ("王芳", PLANTED_ID_CARD, PLANTED_PHONE) in [r[:3] for r in rows]
    assert {r[0] for r in rows[1:]} == {"王芳", "李建国", "張偉"}  # grid C is another community
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.detail == {"ledger": "residents", "rows": 3, "masked": False, "grid": None}


def test_a_grid_worker_allowed_to_export_sees_only_their_grid_masked(world):
    grant_export_to_grid_workers()
    export = exporter.export_residents(actor=world.personas["grid_worker_b"])

    rows = data_rows(export)
    assert [r[0] for r in rows[1:]] == ["張偉"]
    assert rows[1][1] == "110***********0038"
    text = everything_written(export)
    assert "王芳" not in text
    assert PLANTED_ID_CARD not in text
    assert PLANTED_PHONE not in text


def test_a_grid_worker_masks_even_in_their_own_grid(world):
    grant_export_to_grid_workers()
    export = exporter.export_residents(actor=world.personas["grid_worker_a"])
    text = everything_written(export)
    assert "王芳" in text
    assert PLANTED_ID_CARD not in text
    assert PLANTED_PHONE not in text


def test_one_grid_can_be_exported_alone(world):
    export = exporter.export_residents(actor=world.personas["community_officer"], grid=world.grid_b)
    assert [r[0] for r in data_rows(export)[1:]] == ["張偉"]
    assert AuditEntry.objects.get(action=AuditAction.EXPORT).detail["grid"] == world.grid_b.pk


def test_without_the_export_permission_nothing_is_exported_or_logged(world):
    with pytest.raises(PermissionDenied):
        exporter.export_residents(actor=world.personas["party_member"])
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_name_that_looks_like_a_formula_is_written_as_text(world):
    Resident.objects.filter(pk=world.resident_b.pk).update(name='=HYPERLINK("http://x","y")')
    export = exporter.export_residents(actor=world.personas["community_officer"])
    export.file.seek(0)
    book = openpyxl.load_workbook(export.file)
    names = [c.value for c in book["居民台账"]["A"]]
    cell = next(c for c in book["居民台账"]["A"] if c.value == '=HYPERLINK("http://x","y")')
    assert cell.data_type == "s"
    assert len(names) == 4


def test_an_unmasked_export_imports_back_as_already_present(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    officer = world.personas["community_officer"]
    export = exporter.export_residents(actor=officer)
    before = Resident.objects.count()

    job = importer.start_import(
        kind="residents", upload=SimpleUploadedFile("back.xlsx", export.file.read()), actor=officer
    )
    importer.run_job(job.pk)
    job.refresh_from_db()

    assert (job.total, job.imported, job.skipped, job.error_count) == (3, 0, 3, 0)
    assert Resident.objects.count() == before
