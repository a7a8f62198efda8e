"""The ledger pages: templates, uploads (400 for a refused file), results, exports."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doorstep.atlas.people.ledger import sample
from doorstep.atlas.people.models import ImportJob, ImportStatus, Resident
from doorstep.atlas.places.models import Household, Unit
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def snapshot() -> tuple[int, int, int, int, int]:
    return (
        Resident.objects.count(),
        Household.objects.count(),
        Unit.objects.count(),
        ImportJob.objects.count(),
        AuditEntry.objects.filter(action__in=[AuditAction.IMPORT, AuditAction.EXPORT]).count(),
    )


def xlsx(tmp_path, rows, name="居民台账.xlsx", **kw) -> SimpleUploadedFile:
    path = sample.write_xlsx(tmp_path / name, rows, **kw)
    return SimpleUploadedFile(name, path.read_bytes())


def test_community_staff_see_upload_and_export_on_the_ledger_page(world, login):
    body = login("community_officer", world).get(reverse("atlas:ledger")).content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert "csrfmiddlewaretoken" in body
    assert reverse("atlas:ledger_template", args=["residents"]) in body
    assert reverse("atlas:ledger_template", args=["buildings"]) in body
    assert "导出居民台账" in body
    assert "含身份证号和电话明文" in body


def test_a_street_officer_sees_only_the_masked_export(world, login):
    body = login("street_officer", world).get(reverse("atlas:ledger")).content.decode()
    assert "导出居民台账" in body
    assert "已脱敏" in body
    assert "上传并导入" not in body
    assert reverse("atlas:ledger_template", args=["residents"]) not in body


def test_a_party_member_without_ledger_permissions_is_refused_the_page(world, login):
    assert login("party_member", world).get(reverse("atlas:ledger")).status_code == 403


def test_a_grid_worker_may_export_but_not_import(world, login):
    client = login("grid_worker_a", world)
    assert client.get(reverse("atlas:ledger")).status_code == 200
    assert client.get(reverse("atlas:ledger_template", args=["residents"])).status_code == 403


@pytest.mark.parametrize("kind", ["residents", "buildings"])
def test_the_templates_download_as_workbooks_with_the_headers(world, login, kind):
    response = login("community_officer", world).get(reverse("atlas:ledger_template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    headers = [c.value for c in book.worksheets[0][1]]
    expected = {
        "residents": [
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
        ],
        "buildings": ["楼栋名称", "所属网格", "小区", "地址", "层数", "用途"],
    }
    assert headers == expected[kind]
    assert "填写说明" in book.sheetnames


def test_an_unknown_template_is_not_found_and_others_are_refused(world, login):
    client = login("community_officer", world)
    assert client.get("/ledger/template/people.xlsx").status_code == 404
    client = login("street_officer", world)
    assert client.get(reverse("atlas:ledger_template", args=["residents"])).status_code == 403


def test_an_upload_imports_and_the_result_page_shows_counts_and_errors(
    world, login, tmp_path, django_capture_on_commit_callbacks
):
    rows = [sample.resident_row(i, world.building_b.name) for i in range(12)]
    rows[3][1] = sample.with_wrong_check_digit(rows[3][1])
    client = login("community_officer", world)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("atlas:ledger_import"), {"kind": "residents", "file": xlsx(tmp_path, rows)}
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("atlas:ledger_import_result", args=[job.pk])
    assert (job.status, job.imported, job.error_count) == (ImportStatus.DONE, 11, 1)
    assert job.uploaded_by == world.personas["community_officer"]
    assert job.file.name.startswith("imports/")
    assert (job.file_name, job.kind) == ("居民台账.xlsx", "residents")

    body = client.get(response["Location"]).content.decode()
    assert "<b>11</b><span>新导入</span>" in body
    assert "<b>1</b><span>有错误的行</span>" in body
    assert "第 5 行</td><td>身份证号</td><td>身份证号校验位错误" in body


def test_a_file_that_is_not_a_workbook_answers_400_and_writes_nothing(world, login, media):
    before = snapshot()
    response = login("community_officer", world).post(
        reverse("atlas:ledger_import"),
        {"kind": "residents", "file": SimpleUploadedFile("名单.xlsx", b"name,id\n")},
    )
    assert response.status_code == 400
    assert "文件不是有效的 Excel（.xlsx）文件" in response.content.decode()
    assert snapshot() == before
    assert not (media / "imports").exists()


def test_a_missing_column_answers_400_with_the_column_named(world, login, tmp_path):
    headers = [h for h in sample.RESIDENT_HEADERS if h != "楼栋"]
    rows = [sample.resident_row(1, "x")[:5] + sample.resident_row(1, "x")[6:]]
    before = snapshot()
    response = login("community_officer", world).post(
        reverse("atlas:ledger_import"),
        {"kind": "residents", "file": xlsx(tmp_path, rows, headers=headers)},
    )
    assert response.status_code == 400
    assert "缺少必填列：楼栋" in response.content.decode()
    assert snapshot() == before


def test_an_upload_without_a_file_answers_400(world, login):
    response = login("community_officer", world).post(
        reverse("atlas:ledger_import"), {"kind": "residents"}
    )
    assert response.status_code == 400
    assert "请选择要导入的文件" in response.content.decode()


def test_an_upload_by_someone_without_the_import_permission_is_refused(world, login, tmp_path):
    before = snapshot()
    for persona in ("grid_worker_a", "street_officer"):
        response = login(persona, world).post(
            reverse("atlas:ledger_import"),
            {
                "kind": "residents",
                "file": xlsx(tmp_path, [sample.resident_row(1, world.building_a.name)]),
            },
        )
        assert response.status_code == 403
    assert snapshot() == before


def test_the_upload_form_needs_a_csrf_token(world, tmp_path):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas["community_officer"])
    before = snapshot()
    response = client.post(
        reverse("atlas:ledger_import"),
        {
            "kind": "residents",
            "file": xlsx(tmp_path, [sample.resident_row(1, world.building_a.name)]),
        },
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_someone_else_cannot_see_an_import_result(
    world, login, tmp_path, django_capture_on_commit_callbacks
):
    client = login("community_officer", world)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("atlas:ledger_import"),
            {
                "kind": "residents",
                "file": xlsx(tmp_path, [sample.resident_row(1, world.building_a.name)]),
            },
        )
    job = ImportJob.objects.get()
    url = reverse("atlas:ledger_import_result", args=[job.pk])
    for persona in ("street_officer", "grid_worker_a", "outsider"):
        assert login(persona, world).get(url).status_code == 404


def test_the_export_is_masked_for_a_street_officer(world, login):
    response = login("street_officer", world).post(reverse("atlas:ledger_export"))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(content))
    text = "\n".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )
    assert "110***********000X" in text
    assert PLANTED_ID_CARD not in text
    assert PLANTED_PHONE not in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (entry.detail["rows"], entry.detail["masked"]) == (4, True)


def test_the_export_is_in_clear_for_community_staff(world, login):
    response = login("community_officer", world).post(
        reverse("atlas:ledger_export"), {"grid": world.grid_a.pk}
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book["居民台账"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == ["李建国", "王芳"]
    assert ("王芳", PLANTED_ID_CARD, PLANTED_PHONE) in [r[:3] for r in rows]
    assert AuditEntry.objects.get(action=AuditAction.EXPORT).detail["masked"] is False


def test_exporting_a_grid_outside_the_scope_is_not_found_and_not_logged(world, login):
    client = login("community_officer", world)
    assert client.post(reverse("atlas:ledger_export"), {"grid": world.grid_c.pk}).status_code == 404
    assert client.post(reverse("atlas:ledger_export"), {"grid": "abc"}).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_export_by_someone_without_the_permission_is_refused_and_not_logged(world, login):
    for persona in ("party_member", "outsider", "resident", "audit_admin"):
        assert login(persona, world).post(reverse("atlas:ledger_export")).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.post(reverse("atlas:ledger_export"))
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
