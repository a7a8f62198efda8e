"""Importing the resident ledger (居民台账) from Excel: per-row errors, re-runs, whole-file refusals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from doorstep.atlas.people import conflicts
from doorstep.atlas.people.ledger import importer, sample
from doorstep.atlas.people.ledger.reader import LedgerRejected
from doorstep.atlas.people.models import ImportJob, ImportStatus, Resident
from doorstep.atlas.places.models import Household, Unit
from doorstep.core.crypto import lookup_hash
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def run(world, path, persona="community_officer", kind="residents", captured=None) -> ImportJob:
    job = importer.start_import(kind=kind, upload=upload(path), actor=world.personas[persona])
    importer.run_job(job.pk)
    job.refresh_from_db()
    return job


def snapshot() -> tuple[int, int, int, int]:
    return (
        Resident.objects.count(),
        Household.objects.count(),
        Unit.objects.count(),
        ImportJob.objects.count(),
    )


def ten_thousand_rows_with_fifty_bad(world):
    """10,000 rows over buildings of grids A and B; 50 bad rows of five kinds.

    Returns the rows and the exact error entries the import must report."""
    buildings = [world.building_a.name, world.building_b.name]
    rows = [sample.resident_row(i, buildings[i // 5000]) for i in range(10_000)]
    expected = []
    first_planted = 0
    for k in range(50):
        i = 17 + k * 199  # spread over all 20 batches
        sheet_row = i + 2  # row 1 is the header
        kind = k % 5
        if kind == 0:
            rows[i][1] = sample.with_wrong_check_digit(rows[i][1])
            expected.append((sheet_row, "身份证号", "身份证号校验位错误"))
        elif kind == 1:
            rows[i][5] = "不存在的楼"
            expected.append(
                (sheet_row, "楼栋", "楼栋“不存在的楼”不存在或不在您负责的范围内，请先导入楼栋清单")
            )
        elif kind == 2:
            rows[i][1] = rows[i - 5][1]  # the same person five rows up
            expected.append((sheet_row, "身份证号", f"与第{sheet_row - 5}行的身份证号重复"))
        elif kind == 3:
            rows[i][1] = sample.impossible_date_id(i)
            expected.append((sheet_row, "身份证号", "身份证号中的出生日期不存在"))
        else:
            rows[i][1] = PLANTED_ID_CARD  # 王芳, already registered at 静淑苑1号楼1单元101
            if not first_planted:
                first_planted = sheet_row
                message = conflicts.IN_SCOPE  # the importer can see 王芳: named plainly
            else:
                message = f"与第{first_planted}行的身份证号重复"
            expected.append((sheet_row, "身份证号", message))
    return rows, expected


def test_ten_thousand_rows_import_all_but_the_fifty_bad_ones_and_a_rerun_adds_nothing(
    world, tmp_path
):
    rows, expected = ten_thousand_rows_with_fifty_bad(world)
    path = sample.write_xlsx(tmp_path / "居民台账.xlsx", rows)
    before = Resident.objects.count()

    job = run(world, path)

    assert job.status == ImportStatus.DONE
    assert (job.total, job.imported, job.skipped, job.error_count) == (10_000, 9_950, 0, 50)
    assert [(e["row"], e["field"], e["message"]) for e in job.errors] == expected
    assert job.last_row == 10_001
    assert Resident.objects.count() == before + 9_950
    entry = AuditEntry.objects.filter(action=AuditAction.IMPORT).get()
    assert entry.actor == world.personas["community_officer"]
    assert entry.target_id == str(job.pk)
    assert entry.detail == {
        "kind": "residents",
        "status": "done",
        "total": 10_000,
        "imported": 9_950,
        "skipped": 0,
        "registered": 0,
        "errors": 50,
    }

    # The same file again adds nothing: imported people are present, the bad rows stay bad.
    counts = snapshot()
    again = run(world, path)

    assert (again.total, again.imported, again.skipped, again.error_count) == (10_000, 0, 9_950, 50)
    assert [(e["row"], e["field"], e["message"]) for e in again.errors] == expected
    assert snapshot()[:3] == counts[:3]


def test_an_imported_resident_has_what_create_resident_would_give_them(world, tmp_path):
    row = sample.resident_row(42, world.building_b.name)
    row[8] = "独居老人、低保"
    path = sample.write_xlsx(tmp_path / "one.xlsx", [row])

    job = run(world, path)

    assert (job.imported, job.error_count) == (1, 0)
    resident = Resident.objects.get(id_card_hash=lookup_hash(row[1]))
    assert resident.name == row[0]
    assert resident.id_card == row[1]
    assert resident.id_last4 == row[1][-4:]
    assert resident.phone == row[2]
    assert resident.phone_hash == lookup_hash(row[2])
    assert resident.phone_last4 == row[2][-4:]
    assert resident.birth_date.isoformat() == "1940-01-01"
    assert resident.gender == ("M" if int(row[1][16]) % 2 else "F")
    assert resident.residence_type == "registered"
    assert resident.tags == ["elderly_alone", "subsistence"]
    assert resident.search_text.startswith(row[0])
    household = resident.household
    assert (household.unit.building_id, household.unit.number, household.room) == (
        world.building_b.pk,
        row[6],
        row[7],
    )
    assert household.grid_id == world.grid_b.pk
    assert resident.grid_id == world.grid_b.pk


def test_the_stored_numbers_are_encrypted_at_rest(world, tmp_path):
    from django.db import connection

    row = sample.resident_row(7, world.building_a.name)
    run(world, sample.write_xlsx(tmp_path / "one.xlsx", [row]))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_card, phone FROM people_resident WHERE id_card_hash = %s",
            [lookup_hash(row[1])],
        )
        stored_id, stored_phone = cursor.fetchone()
    assert row[1] not in stored_id
    assert row[2] not in stored_phone


def test_a_person_already_registered_in_the_same_household_counts_as_present(world, tmp_path):
    row = [
        "王芳",
        PLANTED_ID_CARD,
        "",
        "户籍",
        "户主",
        world.building_a.name,
        "1单元",
        "101",
        "",
        "",
    ]
    job = run(world, sample.write_xlsx(tmp_path / "f.xlsx", [row]))

    assert (job.imported, job.skipped, job.error_count) == (0, 1, 0)


def test_rows_without_an_id_card_number_are_matched_by_name_within_the_household(world, tmp_path):
    rows = [
        ["小明", "", "", "户籍", "子女", world.building_a.name, "1", "101", "", ""],
        ["小明", "", "", "户籍", "子女", world.building_a.name, "1单元", "101", "", ""],
    ]
    path = sample.write_xlsx(tmp_path / "f.xlsx", rows)
    first = run(world, path)
    again = run(world, path)

    assert (first.imported, first.error_count) == (1, 1)
    assert first.errors == [
        {"row": 3, "field": "姓名", "message": "与第2行重复：同一户同名且都未填身份证号"}
    ]
    assert (again.imported, again.skipped, again.error_count) == (0, 1, 1)
    assert Resident.objects.filter(name="小明", household=world.household_a).count() == 1


def test_every_kind_of_bad_cell_is_reported_by_row_and_column(world, tmp_path):
    good = sample.resident_row(1, world.building_a.name)
    rows = [
        [*good[:2], "12345", *good[3:]],
        [good[0], sample.id_card(2), good[2], "外籍", *good[4:]],
        [good[0], sample.id_card(3), good[2], good[3], "邻居", *good[5:]],
        [*sample.resident_row(4, world.building_a.name)[:8], "贫困户", ""],
        ["", sample.id_card(5), *good[2:6], "", ""],
        [good[0], 110108194001010011, *good[2:]],
        [good[0], sample.id_card(6), good[2], good[3], good[4], world.building_c.name, *good[6:]],
    ]
    job = run(world, sample.write_xlsx(tmp_path / "bad.xlsx", rows))

    assert (job.imported, job.error_count) == (0, 7)
    assert [(e["row"], e["field"]) for e in job.errors] == [
        (2, "联系电话"),
        (3, "人口类型"),
        (4, "与户主关系"),
        (5, "重点人群"),
        (6, "姓名"),
        (6, "单元"),
        (6, "室号"),
        (7, "身份证号"),
        (8, "楼栋"),
    ]
    messages = {(e["row"], e["field"]): e["message"] for e in job.errors}
    assert messages[(3, "人口类型")] == "未知的人口类型“外籍”，应为户籍、流动、租住之一"
    assert messages[(5, "重点人群")].startswith("未知的重点人群“贫困户”")
    assert messages[(7, "身份证号")].startswith("身份证号被存成了数字")
    # 二里庄3号楼 is in grid C, outside 清华东路社区: as if it did not exist.
    assert messages[(8, "楼栋")] == "楼栋“二里庄3号楼”不存在或不在您负责的范围内，请先导入楼栋清单"


def test_a_file_missing_a_required_column_is_refused_whole_and_writes_nothing(
    world, tmp_path, media
):
    headers = [h for h in sample.RESIDENT_HEADERS if h not in {"身份证号", "室号"}]
    rows = [
        [
            v
            for h, v in zip(
                sample.RESIDENT_HEADERS, sample.resident_row(i, world.building_a.name), strict=False
            )
            if h in headers
        ]
        for i in range(20)
    ]
    path = sample.write_xlsx(tmp_path / "missing.xlsx", rows, headers=headers)
    before = snapshot()
    audits = AuditEntry.objects.count()

    with pytest.raises(LedgerRejected) as caught:
        importer.start_import(
            kind="residents", upload=upload(path), actor=world.personas["community_officer"]
        )

    assert caught.value.message == "缺少必填列：身份证号、室号。请使用本页提供的模板"
    assert snapshot() == before
    assert AuditEntry.objects.count() == audits
    assert not (media / "imports").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.txt", b"hello", "只能导入 Excel（.xlsx）或 CSV 文件，请使用本页提供的模板"),
        (
            "renamed.xlsx",
            b"%PDF-1.4 not a workbook",
            "文件不是有效的 Excel（.xlsx）文件：可能已损坏，或只是改了扩展名",
        ),
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "不支持旧版 .xls 格式或加密的工作簿，请在 Excel 中“另存为” .xlsx 后再上传",
        ),
        ("empty.xlsx", b"", "文件是空的"),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused(world, name, content, message):
    before = snapshot()
    with pytest.raises(LedgerRejected) as caught:
        importer.start_import(
            kind="residents",
            upload=SimpleUploadedFile(name, content),
            actor=world.personas["community_officer"],
        )
    assert caught.value.message == message
    assert snapshot() == before


def test_a_file_with_only_a_header_is_refused(world, tmp_path):
    path = sample.write_xlsx(tmp_path / "empty.xlsx", [["", "", ""], []])
    before = snapshot()
    with pytest.raises(LedgerRejected) as caught:
        importer.start_import(
            kind="residents", upload=upload(path), actor=world.personas["community_officer"]
        )
    assert caught.value.message == "文件中没有数据：表头以下都是空行"
    assert snapshot() == before


def test_a_file_over_the_size_limit_is_refused(world, tmp_path, settings):
    path = sample.write_xlsx(
        tmp_path / "big.xlsx", [sample.resident_row(i, "x") for i in range(200)]
    )
    settings.IMPORT_MAX_BYTES = 1024 * 1024 // 4  # 0.25 MB
    big = SimpleUploadedFile("big.xlsx", path.read_bytes() + b"\0" * (1024 * 1024 // 4))
    with pytest.raises(LedgerRejected) as caught:
        importer.start_import(
            kind="residents", upload=big, actor=world.personas["community_officer"]
        )
    assert caught.value.message == "文件太大：最大 0.25 MB，请拆分成几个文件分别导入"
    assert ImportJob.objects.count() == 0


def test_a_title_row_above_the_header_and_blank_rows_are_tolerated(world, tmp_path):
    rows = [
        sample.RESIDENT_HEADERS,
        sample.resident_row(1, world.building_a.name),
        [None] * 10,
        sample.resident_row(2, world.building_a.name),
    ]
    path = sample.write_xlsx(tmp_path / "titled.xlsx", rows, headers=["清华东路社区居民台账"])
    job = run(world, path)
    assert (job.total, job.imported, job.last_row) == (2, 2, 5)


def test_a_csv_saved_by_excel_in_gb18030_imports_too(world, tmp_path):
    rows = [sample.resident_row(i, world.building_b.name) for i in range(30)]
    rows[4][3] = "外籍"
    path = sample.write_csv(tmp_path / "台账.csv", rows, encoding="gb18030")
    job = run(world, path)
    assert (job.total, job.imported, job.error_count) == (30, 29, 1)
    assert job.errors == [
        {"row": 6, "field": "人口类型", "message": "未知的人口类型“外籍”，应为户籍、流动、租住之一"}
    ]


def test_an_importer_without_permission_is_refused_and_nothing_is_written(world, tmp_path):
    path = sample.write_xlsx(tmp_path / "f.xlsx", [sample.resident_row(1, world.building_a.name)])
    before = snapshot()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        importer.start_import(
            kind="residents", upload=upload(path), actor=world.personas["grid_worker_a"]
        )
    assert snapshot() == before


def test_a_finished_job_run_again_does_nothing(world, tmp_path):
    path = sample.write_xlsx(tmp_path / "f.xlsx", [sample.resident_row(1, world.building_a.name)])
    job = run(world, path)
    audits = AuditEntry.objects.count()

    assert importer.run_job(job.pk) == ImportStatus.DONE
    assert AuditEntry.objects.count() == audits
    assert Resident.objects.filter(id_card_hash=lookup_hash(sample.id_card(1))).count() == 1


def test_a_csv_missing_a_column_is_refused_whole(world, tmp_path):
    headers = [h for h in sample.RESIDENT_HEADERS if h != "人口类型"]
    path = sample.write_csv(tmp_path / "台账.csv", [["张三"] * len(headers)], headers=headers)
    before = snapshot()
    with pytest.raises(LedgerRejected) as caught:
        importer.start_import(
            kind="residents", upload=upload(path), actor=world.personas["community_officer"]
        )
    assert caught.value.message == "缺少必填列：人口类型。请使用本页提供的模板"
    assert snapshot() == before


def test_a_stored_file_that_no_longer_reads_is_rejected_by_the_task(world, tmp_path, monkeypatch):
    path = sample.write_xlsx(tmp_path / "f.xlsx", [sample.resident_row(1, world.building_a.name)])
    monkeypatch.setattr(importer, "_enqueue", lambda job_id: None)
    job = importer.start_import(
        kind="residents", upload=upload(path), actor=world.personas["community_officer"]
    )
    with open(job.file.path, "wb") as fh:
        fh.write(b"PK\x03\x04 truncated")
    before = Resident.objects.count()

    assert importer.run_job(job.pk) == ImportStatus.REJECTED

    job.refresh_from_db()
    assert job.message == "文件不是有效的 Excel（.xlsx）文件：可能已损坏"
    assert job.finished_at is not None
    assert Resident.objects.count() == before
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.detail["status"] == "rejected"


def test_a_workbook_claiming_too_small_a_size_is_read_to_its_last_row(world, tmp_path):
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "说明"
    sheet = book.create_sheet("居民台账")  # not the first sheet: found by its title
    sheet.append(sample.RESIDENT_HEADERS)
    for i in range(30):
        sheet.append(sample.resident_row(i, world.building_a.name))
    honest = tmp_path / "honest.xlsx"
    book.save(honest)
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(honest) as src, zipfile.ZipFile(lying, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:B2"', data)
            dst.writestr(item, data)

    job = run(world, lying)

    assert (job.total, job.imported, job.error_count) == (30, 30, 0)


def test_the_error_list_is_capped_but_the_count_stays_exact(world, tmp_path, monkeypatch, settings):
    settings.IMPORT_BATCH_SIZE = 4
    monkeypatch.setattr(importer, "MAX_REPORTED_ERRORS", 3)
    rows = [sample.resident_row(i, "无此楼") for i in range(5)] + [
        sample.resident_row(9, world.building_a.name)
    ]

    job = run(world, sample.write_xlsx(tmp_path / "bad.xlsx", rows))

    assert (job.total, job.imported, job.error_count) == (6, 1, 5)
    assert [e["row"] for e in job.errors] == [2, 3, 4]
