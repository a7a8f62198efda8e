"""Leaks and crashes found in review, each pinned by a test."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from doorstep.atlas.people import households
from doorstep.atlas.people.models import ImportJob, PartyMember, PartyStatus, Resident
from doorstep.core.models import AuditAction, AuditEntry


def test_admins_without_people_permissions_see_no_names_on_party_pages(world, client):
    central = world.grid_a.children.get(kind="central_household")
    for persona in ("system_admin", "security_admin"):
        client.force_login(world.personas[persona])
        branch = client.get(
            reverse("atlas:organisation", args=[world.branch_a.pk])
        ).content.decode()
        assert "李建国" not in branch
        page = client.get(reverse("atlas:organisation", args=[central.pk])).content.decode()
        assert world.household_a.address not in page


def test_a_branch_lists_only_members_living_in_the_viewers_scope(world, client):
    households.save_party_member(
        member=PartyMember(
            resident=world.resident_c, organisation=world.branch_a, status=PartyStatus.FORMAL
        )
    )
    client.force_login(world.personas["grid_worker_a"])
    body = client.get(reverse("atlas:organisation", args=[world.branch_a.pk])).content.decode()
    assert "李建国" in body and "赵磊" not in body


def test_the_party_superior_is_named_only_inside_the_viewers_scope(world, client):
    client.force_login(world.personas["grid_worker_a"])
    body = client.get(reverse("atlas:organisation", args=[world.branch_a.pk])).content.decode()
    assert "清华东路社区党委" not in body
    client.force_login(world.personas["community_officer"])
    body = client.get(reverse("atlas:organisation", args=[world.branch_a.pk])).content.decode()
    assert "上级党组织" in body and "清华东路社区党委" in body


def test_nul_bytes_and_huge_queries_get_answers_not_errors(world, client):
    client.force_login(world.personas["street_officer"])
    assert client.get(reverse("atlas:search"), {"q": "王\x00芳"}).status_code == 200
    assert client.get(reverse("atlas:search"), {"q": "王" * 100_000}).status_code == 200
    assert client.get(reverse("atlas:party_members"), {"status": "\x00"}).status_code == 200
    client.force_login(world.personas["audit_admin"])
    assert client.get(reverse("atlas:audit"), {"action": "\x00"}).status_code == 200


def test_an_unknown_username_is_not_kept_readable_in_the_audit_log(world, client):
    client.post(reverse("accounts:login"), {"username": "13912345678", "password": "x" * 12})
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert "13912345678" not in entry.payload()
    assert entry.actor_name.startswith("未知账号:")


def test_a_csv_cell_with_a_nul_byte_is_refused_with_its_row_number(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.personas["community_officer"])
    text = (
        "姓名,身份证号,联系电话,人口类型,与户主关系,楼栋,单元,室号,重点人群,备注\n"
        "李\x00四,110108199001010028,,户籍,户主,静淑苑1号楼,1单元,909,,\n"
    )
    upload = SimpleUploadedFile("residents.csv", text.encode("utf-8"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("atlas:ledger_import"), {"kind": "residents", "file": upload}
        )
    assert response.status_code == 302
    assert not Resident.objects.filter(name="李四").exists()
    job = ImportJob.objects.get()
    assert job.errors == [
        {"row": 2, "field": "姓名", "message": "含有不可见的控制字符（U+0000），请删除后再提交"}
    ]


def test_a_buildings_grid_cannot_be_changed_in_admin(world, client):
    client.force_login(world.personas["system_admin"])
    page = client.get(reverse("admin:places_building_change", args=[world.building_a.pk]))
    assert 'name="grid"' not in page.content.decode()
