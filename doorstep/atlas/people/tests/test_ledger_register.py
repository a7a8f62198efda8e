"""The housing register's columns of the resident ledger (专有部分面积、面积依据、产权身份):
imported through the same batches and bad-row report as the rest of a row, exported with
the rest of the ledger, and counted as owners' votes count them (holdings.roll_of)."""

from __future__ import annotations

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from doorstep.accounts.models import Role
from doorstep.atlas.people import holdings
from doorstep.atlas.people.ledger import exporter, importer, sample
from doorstep.atlas.people.models import Holding, HoldingRole, ImportJob, Resident
from doorstep.atlas.places.models import AreaSource, Household
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(world, path, persona="community_officer") -> ImportJob:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    job = importer.start_import(kind="residents", upload=upload, actor=world.personas[persona])
    importer.run_job(job.pk)
    job.refresh_from_db()
    return job


def row(name, card, building, room, *, area="", source="", holding="", relation="户主"):
    return [
        name,
        card,
        "",
        "户籍",
        relation,
        building,
        "1单元",
        room,
        "",
        "",
        area,
        source,
        holding,
    ]


def register_state() -> tuple:
    """Everything the register holds: areas and holdings."""
    return (
        sorted(Household.objects.values_list("pk", "area", "area_source", "developer_held")),
        sorted(Holding.objects.values_list("household_id", "resident_id", "role")),
    )


def test_areas_owners_and_a_proxy_are_registered_from_the_ledger(world, tmp_path):
    a = world.building_a.name
    rows = [
        # a new flat owned jointly by a couple, the area typed in full-width with its unit
        row("周建华", sample.id_card(11), a, "501", area="１０２．３０㎡", holding="业主"),
        row("吴秀英", sample.id_card(12), a, "501", holding="產權人", relation="配偶"),
        row("周小明", sample.id_card(13), a, "501", area="102.3", relation="子女"),
        # a tenant's flat: the owner's proxy lives there; the area as Excel stores a number
        row("孙平", sample.id_card(14), a, "502", area=88.05, source="实测"),
        row("郑丽", sample.id_card(15), a, "502", holding="委托代理人", relation="其他"),
        # 王芳 is already registered in 101: her row registers her as owner and the area
        row("王芳", PLANTED_ID_CARD, a, "101", area="89.52", holding="业主"),
    ]
    job = run(world, sample.write_xlsx(tmp_path / "register.xlsx", rows))

    assert (job.imported, job.skipped, job.registered, job.error_count) == (5, 1, 6, 0)
    flat = Household.objects.get(unit__building=world.building_a, room="501")
    rented = Household.objects.get(unit__building=world.building_a, room="502")
    assert (flat.area, flat.area_source) == (10230, AreaSource.REGISTERED)
    assert (rented.area, rented.area_source) == (8805, AreaSource.SURVEYED)
    world.household_a.refresh_from_db()
    assert world.household_a.area == 8952
    assert sorted(Holding.objects.values_list("resident__name", "role")) == [
        ("吴秀英", HoldingRole.OWNER),
        ("周建华", HoldingRole.OWNER),
        ("王芳", HoldingRole.OWNER),
        ("郑丽", HoldingRole.PROXY),
    ]
    # The couple is one owner of one part; the proxy's flat counts as an owner of its own.
    roll = {p.household_id: p for p in holdings.roll_of(Household.objects.all())}
    assert roll[flat.pk].owner != roll[rented.pk].owner
    assert roll[flat.pk].area == 10230
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, target_type="places.household")
    assert entry.actor == world.personas["community_officer"]
    assert entry.detail["import_job"] == job.pk
    assert len(entry.detail["holdings"]) == 4
    assert sorted(c[0] for c in entry.detail["areas"]) == sorted(
        [flat.pk, rented.pk, world.household_a.pk]
    )

    again = run(world, sample.write_xlsx(tmp_path / "again.xlsx", rows))

    assert (again.imported, again.skipped, again.registered, again.error_count) == (0, 6, 0, 0)
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE).count() == 1


def test_bad_register_cells_refuse_their_row_whole_and_name_the_cell(world, tmp_path):
    a = world.building_a.name
    world.household_a2.developer_held = True
    world.household_a2.save()
    李建国 = Resident.objects.get(name="李建国")
    holdings.register(
        actor=world.personas["community_officer"],
        household=world.household_a,
        resident=Resident.objects.get(name="王芳"),
        role=HoldingRole.PROXY,
    )
    before = register_state()
    residents = Resident.objects.count()
    rows = [
        row("甲", sample.id_card(21), a, "601", area="八十平米"),
        row("乙", sample.id_card(22), a, "602", area="89.555"),
        row("丙", sample.id_card(23), a, "603", area="0"),
        row("丁", sample.id_card(24), a, "604", area="15000"),
        row("戊", sample.id_card(25), a, "605", holding="房东"),
        row("己", sample.id_card(26), a, "606", source="估算", area="70"),
        row("庚", sample.id_card(27), a, "607", source="实测"),
        row("辛", sample.id_card(28), a, "608", area="70.1"),
        row("壬", sample.id_card(29), a, "608", area="71", relation="配偶"),
        row("癸", sample.id_card(30), a, "609", holding="委托代理人"),
        row("子", sample.id_card(31), a, "609", holding="代理人", relation="其他"),
        # 102 is the developer's unsold flat: it has no private owner
        row("丑", sample.id_card(32), a, "102", holding="业主", relation="其他"),
        # 101 has its proxy (王芳) registered already
        row("寅", sample.id_card(33), a, "101", holding="委托代理人", relation="其他"),
        # 李建国 lives in 102, but however a row names him it has no private owner
        row("李建国", 李建国.id_card, a, "102", holding="业主"),
    ]
    job = run(world, sample.write_xlsx(tmp_path / "bad.xlsx", rows))

    messages = [(e["row"], e["field"], e["message"]) for e in job.errors]
    assert messages == [
        (2, "专有部分面积（㎡）", "面积“八十平米”不是数字，请填写平方米数，如 89.52"),
        (3, "专有部分面积（㎡）", "面积最多保留两位小数（按不动产登记填写）"),
        (4, "专有部分面积（㎡）", "面积应大于0"),
        (5, "专有部分面积（㎡）", "面积超过10000平方米，请核对（应填一户的专有部分面积）"),
        (6, "产权身份", "未知的产权身份“房东”，应为业主或委托代理人（租户和其他居民留空）"),
        (7, "面积依据", "未知的面积依据“估算”，应为不动产登记、实测、买卖合同之一"),
        (8, "专有部分面积（㎡）", "填写了面积依据，请同时填写面积"),
        (10, "专有部分面积（㎡）", "与第9行填写的该户面积（70.10㎡）不一致"),
        (12, "产权身份", "该户在第11行已填写委托代理人，每户只能登记一位"),
        (13, "产权身份", "该户登记为建设单位未售或未交付，不能登记个人业主"),
        (14, "产权身份", "该户已登记另一位委托代理人，每户只能登记一位"),
        (15, "产权身份", "该户登记为建设单位未售或未交付，不能登记个人业主"),
    ]
    # The good rows (辛 with 70.10 ㎡, 癸 as proxy) went in; a refused row wrote nothing.
    assert (job.imported, job.error_count) == (2, 12)
    assert Resident.objects.count() == residents + 2
    assert not Resident.objects.filter(name__in=["甲", "乙", "壬", "子", "丑", "寅"]).exists()
    after = register_state()
    assert after != before
    flat = Household.objects.get(unit__building=world.building_a, room="608")
    assert flat.area == 7010
    measured = [h[0] for h in after[0] if h[1] is not None]
    assert measured == [flat.pk]
    assert set(after[1]) - set(before[1]) == {
        (
            Household.objects.get(unit__building=world.building_a, room="609").pk,
            Resident.objects.get(name="癸").pk,
            HoldingRole.PROXY,
        )
    }


def test_an_importer_without_the_register_permission_is_refused_those_cells(world, tmp_path):
    role = Role.objects.get(code="community_staff")
    role.permissions.remove(Permission.objects.get(codename="add_holding"))
    before = register_state()
    rows = [row("王芳", PLANTED_ID_CARD, world.building_a.name, "101", holding="业主")]

    job = run(world, sample.write_xlsx(tmp_path / "f.xlsx", rows))

    assert job.errors == [
        {"row": 2, "field": "产权身份", "message": "您不能登记该户的业主和委托代理人"}
    ]
    assert register_state() == before


def test_the_register_exports_with_the_ledger_and_imports_back_unchanged(world, tmp_path):
    officer = world.personas["community_officer"]
    a = world.building_a.name
    rows = [
        row("王芳", PLANTED_ID_CARD, a, "101", area="89.50", source="买卖合同", holding="业主"),
        row("郑丽", sample.id_card(15), a, "101", holding="委托代理人", relation="其他"),
    ]
    run(world, sample.write_xlsx(tmp_path / "in.xlsx", rows))
    before = register_state()
    export = exporter.export_residents(actor=officer)
    export.file.seek(0)
    content = export.file.read()
    export.file.seek(0)
    table = list(openpyxl.load_workbook(export.file)["居民台账"].iter_rows(values_only=True))
    header = table[0]
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in table[1:]}
    assert (by_name["王芳"]["专有部分面积（㎡）"], by_name["王芳"]["面积依据"]) == (
        "89.50",
        "买卖合同",
    )
    assert by_name["王芳"]["产权身份"] == "业主"
    assert by_name["郑丽"]["产权身份"] == "委托代理人"
    assert by_name["郑丽"]["专有部分面积（㎡）"] == "89.50"  # the part's area, on each row
    assert by_name["李建国"]["产权身份"] is None

    back = importer.start_import(
        kind="residents", upload=SimpleUploadedFile("back.xlsx", content), actor=officer
    )
    importer.run_job(back.pk)
    back.refresh_from_db()

    assert (back.imported, back.registered, back.error_count) == (0, 0, 0)
    assert back.skipped == back.total
    assert register_state() == before
