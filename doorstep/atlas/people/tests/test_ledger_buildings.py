"""Importing the building list (楼栋清单): grids by name, within the importer's scope."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from doorstep.atlas.people.ledger import importer, sample
from doorstep.atlas.people.ledger.columns import BUILDING_COLUMNS
from doorstep.atlas.people.models import ImportJob, ImportStatus
from doorstep.atlas.places.models import Building, Compound

HEADERS = [c.header for c in BUILDING_COLUMNS]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(world, path, persona="community_officer") -> ImportJob:
    job = importer.start_import(
        kind="buildings",
        upload=SimpleUploadedFile(path.name, path.read_bytes()),
        actor=world.personas[persona],
    )
    importer.run_job(job.pk)
    job.refresh_from_db()
    return job


def test_buildings_are_created_in_grids_named_by_the_row_and_bad_rows_reported(world, tmp_path):
    a, b, c = world.grid_a.name, world.grid_b.name, world.grid_c.name
    rows = [
        ["学知园3号楼", b, "学知园", "北京市海淀区学知园3号楼", 18, "住宅"],
        ["学知园4号楼", b, "学知园", "", "6", ""],
        ["静淑苑2号楼", a, "", "", None, "商住"],
        ["二里庄5号楼", c, "", "", "", ""],  # grid C belongs to another community
        ["学知园3号楼", b, "", "", "", ""],
        ["静淑苑1号楼", a, "", "", "", ""],  # already registered: skipped
        ["静淑苑3号楼", "第九网格", "", "", "", ""],
        ["静淑苑4号楼", a, "", "", "三十", "仓库"],
    ]
    path = sample.write_xlsx(tmp_path / "楼栋清单.xlsx", rows, headers=HEADERS)
    before = Building.objects.count()

    job = run(world, path)

    assert job.status == ImportStatus.DONE
    assert (job.total, job.imported, job.skipped, job.error_count) == (8, 3, 1, 4)
    assert [(e["row"], e["field"], e["message"]) for e in job.errors] == [
        (5, "所属网格", f"网格“{c}”不存在或不在您负责的范围内"),
        (6, "楼栋名称", "与第2行重复：同一网格内楼栋重名"),
        (8, "所属网格", "网格“第九网格”不存在或不在您负责的范围内"),
        (9, "层数", "层数“三十”不对，应为1到200之间的整数"),
        (9, "用途", "未知的用途“仓库”，应为住宅、商住、公共建筑、其他之一"),
    ]
    assert Building.objects.count() == before + 3
    b3 = Building.objects.get(name="学知园3号楼")
    assert (b3.grid_id, b3.floors, b3.use, b3.address) == (
        world.grid_b.pk,
        18,
        "residential",
        "北京市海淀区学知园3号楼",
    )
    compound = Compound.objects.get(name="学知园")
    assert compound.community_id == world.community_1.pk
    assert set(compound.buildings.values_list("name", flat=True)) == {"学知园3号楼", "学知园4号楼"}
    assert Building.objects.get(name="静淑苑2号楼").use == "mixed"
    assert b3.search_text.startswith("学知园3号楼")


def test_importing_the_building_list_again_adds_nothing(world, tmp_path):
    rows = [[f"新楼{i}号", world.grid_a.name, "新苑", "", i % 30 + 1, ""] for i in range(40)]
    path = sample.write_xlsx(tmp_path / "楼栋清单.xlsx", rows, headers=HEADERS)
    first = run(world, path)
    counts = (Building.objects.count(), Compound.objects.count())

    again = run(world, path)

    assert (first.imported, first.skipped) == (40, 0)
    assert (again.imported, again.skipped, again.error_count) == (0, 40, 0)
    assert (Building.objects.count(), Compound.objects.count()) == counts


def test_a_grid_worker_may_not_import_buildings(world, tmp_path):
    path = sample.write_xlsx(tmp_path / "b.xlsx", [["x", world.grid_a.name]], headers=HEADERS[:2])
    before = (Building.objects.count(), ImportJob.objects.count())
    with pytest.raises(PermissionDenied):
        importer.start_import(
            kind="buildings",
            upload=SimpleUploadedFile(path.name, path.read_bytes()),
            actor=world.personas["grid_worker_a"],
        )
    assert (Building.objects.count(), ImportJob.objects.count()) == before
